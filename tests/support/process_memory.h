// This process's anonymous resident memory (heap and stacks, not file-backed maps such
// as LMDB's), for tests that bound what idle or stalled connections cost.
#pragma once

#include <fstream>
#include <string>

namespace fleetgate::testing {

// RssAnon from /proc/self/status in KiB, or -1 if it cannot be read.
inline long rss_anon_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "RssAnon:") {
      in >> value;
      return value;
    }
    std::getline(in, key);
  }
  return -1;
}

}  // namespace fleetgate::testing
