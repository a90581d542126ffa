// Runs the built `fleetgate` binary (FG_BINARY, defined for every test binary) with a
// shell-quoted argument string and captures its exit status and combined output. The
// one such runner of the test suite.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>

namespace fleetgate::testing {

struct CliRun {
  int status = -1;     // exit status, -1 if it did not exit normally (or could not start)
  std::string output;  // stdout and stderr
};

inline CliRun run_fleetgate(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((std::string(FG_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace fleetgate::testing
