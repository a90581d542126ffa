// Test fixture: a DeviceApi HTTP server on its own loop thread, bound to 127.0.0.1:0,
// with an in-memory store, a manual clock, a device registry and a table-driven oracle;
// plus a blocking loopback client that parses answers with the project's HTTP parser.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/http_parser.h"
#include "tests/support/gated_store.h"
#include "southbound/http_server.h"
#include "southbound/status_committer.h"
#include "test_store.h"

namespace fleetgate::testing {

inline constexpr char kRegistryToml[] = R"(
[[device]]
id = "sensor-1"
group = "line-3"
hardware = "sensor-b"
token = "token-of-sensor-1-abcdef"

[[device]]
id = "sensor-2"
group = "line-3"
hardware = "sensor-b"
token = "token-of-sensor-2-abcdef"
)";

// Decides from tables the test fills in.
class TableOracle final : public southbound::DeploymentOracle {
 public:
  std::map<std::string, southbound::NextAnswer> next_by_device;
  std::set<std::pair<std::string, Sha256Digest>> assigned;
  std::set<Sha256Digest> public_blobs;

  southbound::NextAnswer next(const southbound::Device& d) override {
    auto it = next_by_device.find(d.id);
    return it == next_by_device.end() ? southbound::NextAnswer{} : it->second;
  }
  bool may_read(const southbound::Device* d, const Sha256Digest& blob) override {
    if (public_blobs.count(blob) != 0) return true;
    return d != nullptr && assigned.count({d->id, blob}) != 0;
  }
};

// A server under test on a libuv loop of its own thread: run code on that loop, then
// stop it and check that the loop ended with no handle left. Shared by the HTTP and CoAP
// fixtures.
class ServerLoop {
 public:
  ServerLoop() { uv_loop_init(&loop_); }
  ~ServerLoop() { stop(); }
  uv_loop_t* loop() { return &loop_; }

  // Starts the loop thread. stop() calls `close` on the loop; it must close the server and
  // then call the function it is given.
  void run(std::function<void(std::function<void()>)> close) {
    close_ = std::move(close);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<ServerLoop*>(a->data);
      self->close_([self] {
        uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->call_), nullptr);
      });
    });
    stop_.data = this;
    uv_async_init(&loop_, &call_, [](uv_async_t* a) {
      auto* self = static_cast<ServerLoop*>(a->data);
      std::lock_guard<std::mutex> lock(self->call_mu_);
      if (self->call_fn_) {
        self->call_fn_();
        self->call_fn_ = nullptr;
        self->call_cv_.notify_all();
      }
    });
    call_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }

  // Runs `fn` on the loop thread and waits for it (the server is the loop's alone).
  void on_loop(std::function<void()> fn) {
    std::unique_lock<std::mutex> lock(call_mu_);
    call_fn_ = std::move(fn);
    uv_async_send(&call_);
    call_cv_.wait(lock, [this] { return !call_fn_; });
  }

  // Closes the server and checks the loop ended with no handle left.
  bool stop() {
    if (!thread_.joinable()) return stopped_clean_;
    uv_async_send(&stop_);
    thread_.join();
    stopped_clean_ = uv_loop_close(&loop_) == 0;
    return stopped_clean_;
  }

 private:
  uv_loop_t loop_;
  uv_async_t stop_;
  uv_async_t call_;
  std::function<void(std::function<void()>)> close_;
  std::mutex call_mu_;
  std::condition_variable call_cv_;
  std::function<void()> call_fn_;
  std::thread thread_;
  bool stopped_clean_ = false;
};

// The device API as the daemon serves it: status reports go through a StatusCommitter
// (on the loop's thread pool) into `store`, behind `gate` (a fault the tests can hold).
class ServedGateway {
 public:
  explicit ServedGateway(southbound::HttpServerOptions options = {},
                         southbound::StatusCommitterOptions commits = {})
      : store(clock),
        gate(*store.get()),
        registry(southbound::DeviceRegistry::parse(kRegistryToml, "test").value()) {
    committer = std::make_unique<southbound::StatusCommitter>(loop_.loop(), gate,
                                                              cache::OutboxLimits{}, commits);
    southbound::Services services{&gate, &clock, &oracle, &registry};
    services.status_committer = committer.get();
    auto started = southbound::HttpServer::start(loop_.loop(), options, services);
    if (!started.ok()) throw std::runtime_error(started.error().to_string());
    server = std::move(started).value();
    // As the daemon stops: the server, then the commits still queued.
    loop_.run([this](std::function<void()> done) {
      server->close([this, done = std::move(done)] { committer->close(done); });
    });
  }
  ~ServedGateway() {
    gate.release();  // a test that failed while holding must not hang the stop
    stop();
  }

  void on_loop(std::function<void()> fn) { loop_.on_loop(std::move(fn)); }
  // Closes the server and every connection, and checks the loop ended with no handle.
  bool stop() { return loop_.stop(); }
  int port() const { return server->port(); }

  ManualClock clock;
  TestStore store;
  GatedStore gate;
  southbound::DeviceRegistry registry;
  TableOracle oracle;
  std::unique_ptr<southbound::StatusCommitter> committer;
  std::unique_ptr<southbound::HttpServer> server;

 private:
  ServerLoop loop_;
};

// A blocking loopback client; every wait has a deadline.
class Client {
 public:
  // `receive_buffer` > 0 shrinks the socket's receive buffer (a reader that stalls early).
  explicit Client(int port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server closed; reads will tell
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads one response. Returns status 0 if the connection closed or the deadline passed
  // before a whole response arrived.
  http::Message response(bool head = false,
                         std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    http::ParserLimits lim;
    lim.max_body_bytes = 64ull << 20;
    http::Parser p(http::Parser::Kind::response, lim);
    if (head) p.expect_no_body();
    auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
      if (!buffered_.empty()) {
        auto n = p.feed(buffered_);
        if (!n.ok()) return {};
        buffered_.erase(0, *n);
        if (p.message_complete()) return p.message();
      }
      if (!fill(until)) {
        if (p.finish().ok() && p.message_complete()) return p.message();
        return {};
      }
    }
  }

  // True if the server closes the connection before the deadline.
  bool closed_by_server(std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (fill(until)) buffered_.clear();
    return eof_;
  }

 private:
  // Reads more bytes; false on EOF, error or deadline.
  bool fill(std::chrono::steady_clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string buffered_;
};

inline std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: gw\r\n" + std::string(extra_headers) +
         "\r\n";
}

}  // namespace fleetgate::testing
