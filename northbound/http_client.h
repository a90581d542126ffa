// An HTTP/1.1 client for one origin (scheme, host, port) on a libuv loop: plain TCP or
// TLS (common/tls_stream.h, configured by common/tls_client.h), responses parsed by the strict
// llhttp wrapper (common/http_parser.h), one request at a time over a kept-alive connection.
//
// Glossary:
//   exchange  - one request and its response.
//   reuse     - a kept-alive connection carries the next exchange; if it turns out to
//               be dead before any response byte arrives, the exchange is retried once
//               on a fresh connection (the origin may close idle connections any time).
//   watchdog  - once the body flows, every `watchdog_window` the bytes received in that
//               window must reach min_bytes_per_s * window; a crawling or stalled
//               transfer is abandoned (Errc::timeout "slow_transfer") so the caller can
//               resume it later instead of waiting forever.
//
// Threads: every call, and every callback, is on the loop thread. The synchronous
// Origin interface is built on top of this (northbound/https_origin.h).
// NOTE: do not destroy the client from inside one of its callbacks; defer it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"
#include "common/result.h"
#include "common/tls_client.h"
#include "common/tls_stream.h"
#include "common/token_bucket.h"
#include "common/uv.h"

namespace fleetgate::northbound {

// "https://host[:port]/base/path/" split into its parts. Only http and https.
struct OriginUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // name or IP literal (without brackets)
  uint16_t port = 0;
  std::string base_path;  // always ends with '/'

  static Result<OriginUrl> parse(std::string_view url);
  std::string authority() const;  // for the Host header
  std::string to_string() const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + TCP + TLS handshake
  std::chrono::milliseconds header_timeout{30'000};   // request sent -> response head
  std::chrono::milliseconds idle_timeout{30'000};     // no byte at all for this long
  uint64_t min_bytes_per_s = 1024;                    // watchdog floor; 0 disables it
  std::chrono::milliseconds watchdog_window{20'000};
  size_t max_head_bytes = 16 * 1024;
  std::shared_ptr<tls::ClientContext> tls;  // required for https
  // The WAN byte rate, shared by every client of the gateway (loop thread only); null:
  // unlimited. Reading pauses (uv_read_stop) while the bucket is in debt, so TCP flow
  // control slows the origin down. The watchdog floor never exceeds half this rate.
  std::shared_ptr<TokenBucket> wan_rate;
  std::string user_agent = "fleetgate/0";
};

class HttpClient {
 public:
  // Sees the response head; an error aborts the exchange (and the connection).
  using HeadCallback = std::function<Status(const http::Message& head)>;
  // Sees consecutive body bytes; an error aborts the exchange.
  using BodyCallback = std::function<Status(std::string_view bytes)>;
  // Exactly once per request(): ok when the whole response arrived.
  using DoneCallback = std::function<void(Status)>;

  HttpClient(uv::Loop& loop, OriginUrl origin, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts an exchange. `target` is origin-form ("/repo/timestamp.json"). Host and
  // User-Agent are added. Only one exchange at a time: a second one fails with busy.
  void request(std::string method, std::string target, std::vector<http::Header> headers,
               HeadCallback on_head, BodyCallback on_body, DoneCallback on_done);
  // The same with a request body, sent after the head with its Content-Length. A dead
  // kept-alive connection makes the exchange go again with the same body: use it for
  // idempotent methods (PUT).
  void request(std::string method, std::string target, std::vector<http::Header> headers,
               std::string body, HeadCallback on_head, BodyCallback on_body, DoneCallback on_done);
  // Aborts the current exchange (its DoneCallback gets Errc::cancelled).
  void cancel();

  bool busy() const { return static_cast<bool>(on_done_); }
  const OriginUrl& origin() const { return origin_; }
  // Counters for metrics and tests: wire bytes received, connections opened.
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t connections_opened() const { return connections_opened_; }

 private:
  void start(std::string method, std::string target, std::vector<http::Header> headers,
             std::optional<std::string> body, HeadCallback on_head, BodyCallback on_body,
             DoneCallback on_done);
  void connect();
  void on_resolved(Result<SocketAddress> address);
  void on_connected(Status status);
  void send_request();
  void on_data(std::string_view data);
  void on_end(Status status);
  void feed(std::string_view plain);
  void arm(std::chrono::milliseconds timeout, std::string_view detail, std::string message);
  void start_watchdog();
  void complete();
  void fail(Error error);
  void drop_connection();
  Status write_out(std::string_view plain);

  uv::Loop& loop_;
  OriginUrl origin_;
  HttpClientOptions options_;

  // The connection (may outlive an exchange when kept alive).
  std::unique_ptr<uv::TcpConnection> conn_;
  std::unique_ptr<TlsStream> tls_;
  // The plaintext of one read, decrypted before any of it is parsed (parsing may drop
  // tls_); kept so its capacity is reused from read to read.
  PlaintextBuffer plain_;
  bool conn_ready_ = false;          // TCP connected and, for https, handshake done
  std::shared_ptr<bool> resolving_;  // set to false to ignore a pending resolution

  // The current exchange.
  std::string method_, target_;
  std::vector<http::Header> headers_;
  std::optional<std::string> body_;  // kept until the exchange ends: a retry sends it again
  HeadCallback on_head_;
  BodyCallback on_body_;
  DoneCallback on_done_;
  struct ParserBox;
  std::unique_ptr<ParserBox> parser_;
  bool reused_ = false;  // the exchange went out on a kept-alive connection
  bool any_response_ = false;
  bool head_delivered_ = false;
  std::unique_ptr<Error> sink_error_;  // an error raised inside a parser callback

  void throttle(size_t bytes);

  uv::Timer deadline_;
  uv::Timer watchdog_;
  uv::Timer throttle_;
  uint64_t window_bytes_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t connections_opened_ = 0;
};

}  // namespace fleetgate::northbound
