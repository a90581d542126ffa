// Test support: runs the real `fleetgate` binary with stdout and stderr captured in files,
// and waits on it by polling with a deadline (never a fixed sleep).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/poll.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace fleetgate::testing {

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> args) {
    out_path_ = (dir_.path() + "/stdout");
    err_path_ = (dir_.path() + "/stderr");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void signal(int sig) const { ::kill(pid_, sig); }
  bool running() {
    poll_exit();
    return !exit_code_;
  }

  // The exit status (or 128+signal), or nothing if still running at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    poll_until([this] { return poll_exit(); }, timeout);
    return exit_code_;
  }

  // Polls stderr (or stdout) until it contains `text` or the deadline passes.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout, bool in_stderr = true) {
    auto seen = [&] { return (in_stderr ? err() : out()).find(text) != std::string::npos; };
    // Stops early when the process is gone without having said it.
    poll_until([&] { return seen() || !running(); }, timeout);
    return seen();
  }

  std::string out() const { return read(out_path_); }
  std::string err() const { return read(err_path_); }

 private:
  bool poll_exit() {
    if (exit_code_) return true;
    if (pid_ <= 0) {
      exit_code_ = -1;
      return true;
    }
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return true;
    }
    return false;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  TempDir dir_;
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Runs the binary to completion (bounded) and returns {exit code, stdout, stderr}.
struct Completed {
  int code = -1;
  std::string out;
  std::string err;
};

inline Completed run_to_end(std::vector<std::string> args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  ChildProcess p(std::move(args));
  Completed c;
  c.code = p.wait_exit(timeout).value_or(-1);
  c.out = p.out();
  c.err = p.err();
  return c;
}

}  // namespace fleetgate::testing
