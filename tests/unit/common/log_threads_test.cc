// The loop thread and pool threads log at once: every line arrives whole.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "common/log.h"

namespace fleetgate {
namespace {

TEST_CASE("concurrent events never interleave within a line") {
  const Logger log("worker");
  LogCapture capture;
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i) log.info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  auto lines = capture.lines();
  REQUIRE(lines.size() == kThreads * kEach);
  for (const auto& line : lines) {
    REQUIRE(line.rfind("level=info module=worker msg=\"tick\" thread=", 0) == 0);
    REQUIRE(line.find(" i=") != std::string::npos);
  }
}

}  // namespace
}  // namespace fleetgate
