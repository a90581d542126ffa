// TCP wrappers over loopback: accept, read, write with completion, backpressure, close.
#include <catch2/catch.hpp>

#include "common/uv.h"

namespace fleetgate::uv {
namespace {

using namespace std::chrono_literals;

TEST_CASE("an echo over 127.0.0.1 and ::1 round-trips and closes cleanly") {
  auto addr = GENERATE(std::string("127.0.0.1:0"), std::string("[::1]:0"));
  Loop loop;
  {
    std::vector<std::unique_ptr<TcpConnection>> server_side;
    auto listener = TcpListener::listen(
        loop, SocketAddress::parse(addr).value(), [&](std::unique_ptr<TcpConnection> c) {
          TcpConnection* raw = c.get();
          REQUIRE(
              raw->read_start(
                     [raw](std::string_view data) { REQUIRE(raw->write(std::string(data)).ok()); },
                     [raw](Status) { raw->close(); })
                  .ok());
          server_side.push_back(std::move(c));
        });
    REQUIRE(listener.ok());
    SocketAddress bound = (*listener)->local_address();
    CHECK(bound.port() != 0);

    bool connected = false;
    bool written = false;
    std::string echoed;
    auto client = TcpConnection::connect(loop, bound, [&](Status st) {
      REQUIRE(st.ok());
      connected = true;
    });
    REQUIRE(client.ok());
    TcpConnection& c = **client;
    REQUIRE(loop.run_until([&] { return connected; }, 5s));
    CHECK(c.peer_address().port() == bound.port());
    REQUIRE(c.read_start([&](std::string_view d) { echoed += d; }, [](Status) {}).ok());
    static const std::string kPayload(200'000, 'x');
    REQUIRE(c.write_ref(kPayload, [&](Status st) { written = st.ok(); }).ok());
    REQUIRE(loop.run_until([&] { return written && echoed.size() == kPayload.size(); }, 10s));
    CHECK(echoed == kPayload);

    client->reset();
    server_side.clear();
    (*listener)->close();
  }
  CHECK(loop.live_handles().empty());
  CHECK(loop.close().ok());
}

TEST_CASE("the peer closing ends the read with an ok status") {
  Loop loop;
  std::unique_ptr<TcpConnection> accepted;
  auto listener =
      TcpListener::listen(loop, SocketAddress::parse("127.0.0.1:0").value(),
                          [&](std::unique_ptr<TcpConnection> c) { accepted = std::move(c); });
  REQUIRE(listener.ok());
  bool connected = false;
  auto client = TcpConnection::connect(loop, (*listener)->local_address(),
                                       [&](Status st) { connected = st.ok(); });
  REQUIRE(client.ok());
  REQUIRE(loop.run_until([&] { return connected && accepted; }, 5s));
  bool ended = false;
  Status end_status = make_error(Errc::internal, "", "unset");
  REQUIRE(accepted
              ->read_start([](std::string_view) {},
                           [&](Status st) {
                             ended = true;
                             end_status = st;
                           })
              .ok());
  client->reset();
  REQUIRE(loop.run_until([&] { return ended; }, 5s));
  CHECK(end_status.ok());
  CHECK_FALSE(accepted->reading());
  accepted.reset();
  listener->reset();
  CHECK(loop.close().ok());
}

TEST_CASE("a connection refused is reported to the connect callback") {
  Loop loop;
  // Find a free port, then close it so nothing listens there.
  SocketAddress free_addr;
  {
    auto l = TcpListener::listen(loop, SocketAddress::parse("127.0.0.1:0").value(),
                                 [](std::unique_ptr<TcpConnection>) {});
    REQUIRE(l.ok());
    free_addr = (*l)->local_address();
  }
  bool called = false;
  Status result;
  auto client = TcpConnection::connect(loop, free_addr, [&](Status st) {
    called = true;
    result = st;
  });
  REQUIRE(client.ok());
  REQUIRE(loop.run_until([&] { return called; }, 5s));
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().detail == "ECONNREFUSED");
  client->reset();
  CHECK(loop.close().ok());
}

TEST_CASE("destroying a connection with queued writes never calls their callbacks") {
  Loop loop;
  std::unique_ptr<TcpConnection> accepted;
  auto listener =
      TcpListener::listen(loop, SocketAddress::parse("127.0.0.1:0").value(),
                          [&](std::unique_ptr<TcpConnection> c) { accepted = std::move(c); });
  REQUIRE(listener.ok());
  bool connected = false;
  auto client = TcpConnection::connect(loop, (*listener)->local_address(),
                                       [&](Status st) { connected = st.ok(); });
  REQUIRE(client.ok());
  REQUIRE(loop.run_until([&] { return connected && accepted; }, 5s));
  // The client never reads, so enough data stays queued in user space.
  int callbacks = 0;
  for (int i = 0; i < 64; ++i) {
    REQUIRE(accepted->write(std::string(1 << 20, 'y'), [&](Status) { ++callbacks; }).ok());
  }
  CHECK(accepted->write_queue_size() > 0);
  int before = callbacks;
  accepted.reset();
  loop.run_nowait();
  loop.run_nowait();
  CHECK(callbacks == before);
  client->reset();
  listener->reset();
  CHECK(loop.close().ok());
}

TEST_CASE("binding an address in use fails with a message naming the address") {
  Loop loop;
  auto first = TcpListener::listen(loop, SocketAddress::parse("127.0.0.1:0").value(),
                                   [](std::unique_ptr<TcpConnection>) {});
  REQUIRE(first.ok());
  auto taken = (*first)->local_address();
  auto second = TcpListener::listen(loop, taken, [](std::unique_ptr<TcpConnection>) {});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().detail == "EADDRINUSE");
  CHECK(second.error().message.find(taken.to_string()) != std::string::npos);
  first->reset();
  CHECK(loop.close().ok());
}

}  // namespace
}  // namespace fleetgate::uv
