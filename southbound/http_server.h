// The device-facing HTTP/1.1 server on the gateway's libuv loop.
//
// Glossary:
//   connection  - one accepted TCP stream; answers one request at a time (pipelined
//                 requests wait in a small buffer while reading is stopped).
//   idle        - a keep-alive connection with no request in progress (idle_timeout).
//   head / body - a request whose head or body is still arriving (head_timeout /
//                 body_timeout bound them from the first byte, so a slowloris client
//                 that trickles bytes is closed anyway).
//   send window - how many blob bytes are handed to the kernel at once; the next window
//                 is written only after the previous write completes, so a slow reader
//                 never makes the gateway hold more than one window per connection.
//   deferred reply - an answer a handler gives later (DeferredReply, http_reply.h), e.g.
//                 once a status report is durable; the connection waits for it with
//                 reading stopped, for at most reply_timeout.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/http_parser.h"
#include "common/result.h"
#include "common/tls_stream.h"
#include "southbound/device_api.h"
#include "southbound/http_reply.h"

namespace fleetgate {
class Clock;
}

namespace fleetgate::southbound {

class HttpConnection;
class TlsServerContext;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // "host:port", "[v6]:port"; port 0 picks one
  http::ParserLimits limits;
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds send_timeout{60'000};  // no write progress for this long: close
  // A handler's deferred answer (DeferredReply) not given in this long: 503 + Retry-After,
  // and the connection closes.
  std::chrono::milliseconds reply_timeout{30'000};
  unsigned max_connections = 10'000;
  unsigned max_connections_per_client = 256;
  uint64_t send_window = 256 * 1024;
  int backlog = 1024;
  // Non-null: serve HTTPS with this context (make_tls_server_context). Not owned; it must
  // outlive the server.
  SSL_CTX* tls = nullptr;
};

struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t refused_global_cap = 0;
  uint64_t refused_client_cap = 0;
  uint64_t requests = 0;
  uint64_t bad_requests = 0;  // parse errors answered 4xx
  uint64_t timeouts = 0;
  uint64_t body_bytes_sent = 0;
  uint64_t open_connections = 0;
};

class HttpServer {
 public:
  // Binds and listens on options.listen; requests go to `handler`, which must outlive
  // the server. `clock` supplies the Date header.
  static Result<std::unique_ptr<HttpServer>> start(uv_loop_t* loop,
                                                   const HttpServerOptions& options,
                                                   RequestHandler& handler, const Clock& clock);
  // The gateway's entry point: serves the device API (DeviceApi) with `services`.
  static Result<std::unique_ptr<HttpServer>> start(uv_loop_t* loop,
                                                   const HttpServerOptions& options,
                                                   Services services);
  // Stops listening; connections go on until their current exchange ends. Idempotent.
  void stop_accepting();
  // Connections with a request arriving or a response being sent.
  size_t in_flight() const;
  // Stops listening and closes every connection; `done` runs once all handles are closed.
  // NOTE: the server must stay alive until `done` has run.
  void close(std::function<void()> done);
  ~HttpServer();

  int port() const { return port_; }
  const HttpServerStats& stats() const { return stats_; }
  const HttpServerOptions& options() const { return options_; }

  // Used by connections.
  bool draining() const { return closing_ || listener_closing_; }
  uv_loop_t* loop() const { return loop_; }
  RequestHandler& handler() { return handler_; }
  HttpServerStats& mutable_stats() { return stats_; }
  const std::string& date_header();  // cached per second
  uv_buf_t read_buffer();            // one buffer shared by all connections of the loop
  void forget(HttpConnection* c, const std::string& peer);

 private:
  HttpServer(uv_loop_t* loop, const HttpServerOptions& options,
             std::unique_ptr<RequestHandler> owned, RequestHandler& handler, const Clock& clock);
  static Result<std::unique_ptr<HttpServer>> listen(std::unique_ptr<HttpServer> server);
  static void on_connection(uv_stream_t* listener, int status);
  void maybe_done();
  void close_listener();

  uv_loop_t* loop_;
  HttpServerOptions options_;
  std::unique_ptr<RequestHandler> owned_handler_;  // set by the Services overload
  RequestHandler& handler_;
  const Clock& clock_;
  uv_tcp_t* listener_ = nullptr;  // freed in its close callback
  int port_ = 0;
  HttpServerStats stats_;
  std::unordered_set<HttpConnection*> connections_;
  std::unordered_map<std::string, unsigned> per_client_;
  std::unique_ptr<char[]> read_buf_;
  std::string date_;
  int64_t date_second_ = -1;
  bool closing_ = false;
  bool listener_closed_ = false;
  bool listener_closing_ = false;
  std::function<void()> done_;
};

// Parses "127.0.0.1:8080" or "[::1]:8080" into a socket address.
Result<sockaddr_storage> parse_listen_address(const std::string& text);

}  // namespace fleetgate::southbound
