// Reading what a test wrote or a program produced: a whole file as bytes in a string,
// the counterpart of TempDir::file().
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace fleetgate::testing {

// The file's bytes; empty if it cannot be read.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace fleetgate::testing
