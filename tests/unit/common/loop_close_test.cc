// A loop closes only when every handle is gone; wrappers free their handles on close.
#include <catch2/catch.hpp>

#include <thread>

#include "common/uv.h"

namespace fleetgate::uv {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a loop whose wrappers are destroyed closes with no live handles") {
  Loop loop;
  {
    Timer timer(loop);
    SignalWatcher sig(loop);
    auto listener = TcpListener::listen(loop, SocketAddress::parse("127.0.0.1:0").value(),
                                        [](std::unique_ptr<TcpConnection>) {});
    REQUIRE(listener.ok());
    timer.start(10s, [] {});
    CHECK(loop.live_handles().size() == 3);
  }
  CHECK(loop.live_handles().empty());
  Status st = loop.close();
  INFO((st.ok() ? "" : st.error().to_string()));
  CHECK(st.ok());
  CHECK(loop.closed());
}

TEST_CASE("closing a loop with an open handle fails and names the handle") {
  Loop loop;
  auto timer = std::make_unique<Timer>(loop);
  Status st = loop.close();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().detail == "handles_open");
  CHECK(st.error().message.find("timer") != std::string::npos);
  CHECK_FALSE(loop.closed());
  timer.reset();
  CHECK(loop.close().ok());
}

TEST_CASE("a timer fires on the loop and stops") {
  Loop loop;
  int fired = 0;
  {
    Timer timer(loop);
    timer.start(1ms, [&] { ++fired; });
    CHECK(loop.run_until([&] { return fired == 1; }, 5s));
    CHECK_FALSE(timer.active());
  }
  CHECK(loop.close().ok());
}

TEST_CASE("a wrapper destroyed inside its own callback is safe") {
  Loop loop;
  auto timer = std::make_unique<Timer>(loop);
  bool fired = false;
  timer->start(
      0ms,
      [&] {
        fired = true;
        timer.reset();
      },
      1ms);
  CHECK(loop.run_until([&] { return fired && !timer; }, 5s));
  CHECK(loop.close().ok());
}

TEST_CASE("defer_delete destroys the object on the next loop turn, not before") {
  Loop loop;
  struct Tracked {
    explicit Tracked(bool* g) : gone(g) {}
    ~Tracked() { *gone = true; }
    bool* gone;
  };
  bool gone = false;
  loop.defer_delete(std::make_unique<Tracked>(&gone));
  CHECK_FALSE(gone);
  loop.run_nowait();
  CHECK(gone);
  CHECK(loop.close().ok());
}

TEST_CASE("queued work runs off the loop and reports back on it") {
  Loop loop;
  std::thread::id worker;
  bool done = false;
  loop.queue_work([&] { worker = std::this_thread::get_id(); },
                  [&](Status st) {
                    CHECK(st.ok());
                    done = true;
                  });
  CHECK(loop.run_until([&] { return done; }, 5s));
  CHECK(worker != std::this_thread::get_id());
  CHECK(loop.close().ok());
}

}  // namespace
}  // namespace fleetgate::uv
