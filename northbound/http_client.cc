#include "northbound/http_client.h"

#include <netdb.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/http_head_writer.h"
#include "common/http_parser.h"
#include "common/log.h"

namespace fleetgate::northbound {
namespace {

const Logger kLog("northbound");

}  // namespace

// ---------------------------------------------------------------------------------------
// OriginUrl

Result<OriginUrl> OriginUrl::parse(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return make_error(
        Errc::config, "origin",
        "origin '" + std::string(url) + "' is not a valid http(s) URL: " + std::string(why));
  };
  OriginUrl out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("no scheme");
  out.scheme = std::string(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return bad("scheme must be http or https");
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.base_path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.base_path.find_first_of("?#") != std::string::npos) return bad("no query or fragment");
  if (out.base_path.back() != '/') out.base_path += '/';
  if (authority.find('@') != std::string_view::npos) return bad("no user information");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535) {
      return bad("bad port");
    }
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

std::string OriginUrl::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return default_port ? h : h + ":" + std::to_string(port);
}

std::string OriginUrl::to_string() const { return scheme + "://" + authority() + base_path; }

// ---------------------------------------------------------------------------------------
// HttpClient

struct HttpClient::ParserBox {
  explicit ParserBox(http::ParserLimits limits) : parser(http::Parser::Kind::response, limits) {}
  http::Parser parser;
};

HttpClient::HttpClient(uv::Loop& loop, OriginUrl origin, HttpClientOptions options)
    : loop_(loop),
      origin_(std::move(origin)),
      options_(std::move(options)),
      deadline_(loop),
      watchdog_(loop),
      throttle_(loop) {}

HttpClient::~HttpClient() {
  if (resolving_) *resolving_ = false;
}

void HttpClient::request(std::string method, std::string target, std::vector<http::Header> headers,
                         HeadCallback on_head, BodyCallback on_body, DoneCallback on_done) {
  start(std::move(method), std::move(target), std::move(headers), std::nullopt, std::move(on_head),
        std::move(on_body), std::move(on_done));
}

void HttpClient::request(std::string method, std::string target, std::vector<http::Header> headers,
                         std::string body, HeadCallback on_head, BodyCallback on_body,
                         DoneCallback on_done) {
  start(std::move(method), std::move(target), std::move(headers), std::move(body),
        std::move(on_head), std::move(on_body), std::move(on_done));
}

void HttpClient::start(std::string method, std::string target, std::vector<http::Header> headers,
                       std::optional<std::string> body, HeadCallback on_head, BodyCallback on_body,
                       DoneCallback on_done) {
  if (busy()) {
    on_done(make_error(Errc::busy, "busy", "HTTP client already has an exchange in flight"));
    return;
  }
  if (origin_.scheme == "https" && !options_.tls) {
    on_done(make_error(Errc::config, "tls", "https origin without a TLS context"));
    return;
  }
  method_ = std::move(method);
  target_ = std::move(target);
  headers_ = std::move(headers);
  body_ = std::move(body);
  on_head_ = std::move(on_head);
  on_body_ = std::move(on_body);
  on_done_ = std::move(on_done);
  if (conn_ && conn_ready_) {
    reused_ = true;
    send_request();
  } else {
    reused_ = false;
    connect();
  }
}

void HttpClient::cancel() {
  if (busy()) fail(make_error(Errc::cancelled, "cancelled", "request cancelled"));
}

void HttpClient::connect() {
  drop_connection();
  arm(options_.connect_timeout, "connect_timeout",
      "connecting to " + origin_.authority() + " took longer than " +
          std::to_string(options_.connect_timeout.count()) + " ms");
  // IP literals need no resolver; names go through uv_getaddrinfo (off the loop thread).
  std::string literal = origin_.host.find(':') != std::string::npos
                            ? "[" + origin_.host + "]:" + std::to_string(origin_.port)
                            : origin_.host + ":" + std::to_string(origin_.port);
  auto parsed = SocketAddress::parse(literal);
  if (parsed.ok()) {
    on_resolved(std::move(parsed));
    return;
  }
  struct Req {
    uv_getaddrinfo_t raw;
    std::shared_ptr<bool> alive;
    HttpClient* self;
  };
  auto* req = new Req{{}, std::make_shared<bool>(true), this};
  resolving_ = req->alive;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(
      loop_.raw(), &req->raw,
      [](uv_getaddrinfo_t* r, int status, addrinfo* res) {
        std::unique_ptr<Req> owned(reinterpret_cast<Req*>(r));
        if (!*owned->alive) {
          uv_freeaddrinfo(res);
          return;
        }
        HttpClient* self = owned->self;
        self->resolving_.reset();
        if (status < 0 || !res) {
          uv_freeaddrinfo(res);
          self->on_resolved(
              make_error(Errc::network, "resolve",
                         "cannot resolve '" + self->origin_.host + "': " + uv_strerror(status)));
          return;
        }
        SocketAddress addr = SocketAddress::from_sockaddr(res->ai_addr);
        uv_freeaddrinfo(res);
        // from_sockaddr keeps the port the resolver put there (none): set ours.
        auto with_port =
            SocketAddress::parse((addr.is_v6() ? "[" + addr.host() + "]" : addr.host()) + ":" +
                                 std::to_string(self->origin_.port));
        self->on_resolved(std::move(with_port));
      },
      origin_.host.c_str(), nullptr, &hints);
  if (rc < 0) {
    resolving_.reset();
    delete req;
    on_resolved(uv::uv_error(rc, "resolve " + origin_.host));
  }
}

void HttpClient::on_resolved(Result<SocketAddress> address) {
  if (!address.ok()) return fail(address.take_error());
  const SocketAddress peer = *address;
  auto conn =
      uv::TcpConnection::connect(loop_, peer, [this](Status s) { on_connected(std::move(s)); });
  if (!conn.ok()) return fail(conn.take_error());
  conn_ = std::move(conn).value();
  ++connections_opened_;
}

void HttpClient::on_connected(Status status) {
  if (!status.ok()) {
    Error e = status.take_error();
    return fail(make_error(Errc::network, "connect",
                           "cannot connect to " + origin_.authority() + ": " + e.message));
  }
  (void)conn_->set_nodelay(true);
  Status reading = conn_->read_start([this](std::string_view d) { on_data(d); },
                                     [this](Status s) { on_end(std::move(s)); });
  if (!reading.ok()) return fail(reading.take_error());
  if (origin_.scheme == "https") {
    auto session = TlsStream::create(options_.tls->context().raw(), TlsStream::Role::client,
                                     origin_.host, options_.tls->pins());
    if (!session.ok()) return fail(session.take_error());
    tls_ = std::move(session).value();
    Status started = tls_->start();
    if (!started.ok()) return fail(started.take_error());
    std::string out = tls_->take_output();
    if (!out.empty()) (void)conn_->write(std::move(out));
    return;  // send_request() once the handshake completes (on_data)
  }
  conn_ready_ = true;
  send_request();
}

Status HttpClient::write_out(std::string_view plain) {
  if (!tls_) return conn_->write(std::string(plain));
  FG_TRY(tls_->send(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(plain.data()), plain.size())));
  std::string out = tls_->take_output();
  if (out.empty()) return ok_status();
  return conn_->write(std::move(out));
}

void HttpClient::send_request() {
  http::ParserLimits limits;
  limits.max_head_bytes = options_.max_head_bytes;
  limits.max_body_bytes = UINT64_MAX;  // streamed to the caller, which caps it
  parser_ = std::make_unique<ParserBox>(limits);
  parser_->parser.set_body_sink([this](std::string_view bytes) {
    if (!head_delivered_) {
      head_delivered_ = true;
      Status s = on_head_(parser_->parser.message());
      if (!s.ok()) {
        sink_error_ = std::make_unique<Error>(s.take_error());
        return false;
      }
    }
    window_bytes_ += bytes.size();
    Status s = on_body_(bytes);
    if (!s.ok()) {
      sink_error_ = std::make_unique<Error>(s.take_error());
      return false;
    }
    return true;
  });
  if (method_ == "HEAD") parser_->parser.expect_no_body();
  any_response_ = false;
  head_delivered_ = false;
  sink_error_.reset();
  auto head = http::HeadWriter::request(method_, target_);
  head.add("Host", origin_.authority()).add("User-Agent", options_.user_agent);
  for (const http::Header& h : headers_) head.add(h.name, h.value);
  if (body_) head.add("Content-Length", std::to_string(body_->size()));
  std::string wire = std::move(head).finish();
  if (body_) wire += *body_;
  Status written = write_out(wire);
  if (!written.ok()) return fail(written.take_error());
  arm(options_.header_timeout, "header_timeout",
      origin_.authority() + " sent no response head within " +
          std::to_string(options_.header_timeout.count()) + " ms");
}

void HttpClient::throttle(size_t bytes) {
  if (!options_.wan_rate || options_.wan_rate->unlimited() || !conn_) return;
  // libuv's monotonic clock: the same time base as the loop's timers.
  const auto now = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(uv_hrtime()));
  options_.wan_rate->charge(bytes, now);
  const auto pause = options_.wan_rate->wait_for(1, now);
  if (pause.count() <= 0) return;
  conn_->read_stop();
  throttle_.start(std::chrono::ceil<std::chrono::milliseconds>(pause), [this] {
    if (!conn_) return;
    Status s = conn_->read_start([this](std::string_view d) { on_data(d); },
                                 [this](Status st) { on_end(std::move(st)); });
    if (!s.ok()) fail(s.take_error());
  });
}

void HttpClient::on_data(std::string_view data) {
  bytes_received_ += data.size();
  throttle(data.size());
  if (!tls_) return feed(data);
  plain_.clear();
  const bool was_established = tls_->handshake_done();
  Status s = tls_->receive(data, plain_);
  std::string out = tls_->take_output();
  if (!out.empty() && conn_) (void)conn_->write(std::move(out));
  if (!s.ok()) return fail(s.take_error());
  if (!was_established && tls_->handshake_done()) {
    conn_ready_ = true;
    if (busy()) send_request();
  }
  if (!plain_.empty()) feed(plain_.view());
}

void HttpClient::feed(std::string_view plain) {
  if (!busy() || !parser_) {
    // Bytes nobody asked for on an idle kept-alive connection: it is not reusable.
    drop_connection();
    return;
  }
  any_response_ = true;
  http::Parser& p = parser_->parser;
  const bool had_head = p.head_complete();
  auto consumed = p.feed(plain);
  if (sink_error_) return fail(std::move(*sink_error_));
  if (!consumed.ok()) return fail(consumed.take_error());
  if (!had_head && p.head_complete()) {
    start_watchdog();
  }
  if (p.head_complete()) {
    // Idle timeout from here on: any byte restarts it.
    arm(options_.idle_timeout, "idle_timeout",
        origin_.authority() + " sent nothing for " + std::to_string(options_.idle_timeout.count()) +
            " ms");
  }
  if (p.head_complete() && !head_delivered_) {
    head_delivered_ = true;
    Status s = on_head_(p.message());
    if (!s.ok()) return fail(s.take_error());
  }
  if (p.message_complete()) {
    const bool leftover = *consumed < plain.size();
    if (!p.message().keep_alive || leftover) drop_connection();
    complete();
  }
}

void HttpClient::on_end(Status status) {
  if (!busy()) {
    drop_connection();  // an idle kept-alive connection closed by the origin
    return;
  }
  if (status.ok() && parser_) {
    // A response delimited by the end of the connection completes here.
    Status finished = parser_->parser.finish();
    if (finished.ok() && parser_->parser.message_complete()) {
      if (!head_delivered_) {
        head_delivered_ = true;
        Status s = on_head_(parser_->parser.message());
        if (!s.ok()) return fail(s.take_error());
      }
      drop_connection();
      return complete();
    }
  }
  if (reused_ && !any_response_) {
    // The origin closed the kept-alive connection before our request reached it.
    kLog.debug("kept-alive connection was closed; retrying on a new one",
               {{"origin", origin_.authority()}});
    reused_ = false;
    connect();
    return;
  }
  std::string why = status.ok() ? "the origin closed the connection" : status.error().message;
  fail(make_error(Errc::network, "connection_lost",
                  "connection to " + origin_.authority() + " lost during " + method_ + " " +
                      target_ + ": " + why));
}

void HttpClient::arm(std::chrono::milliseconds timeout, std::string_view detail,
                     std::string message) {
  deadline_.start(timeout, [this, d = std::string(detail), m = std::move(message)]() {
    fail(make_error(Errc::timeout, d, m));
  });
}

void HttpClient::start_watchdog() {
  if (options_.min_bytes_per_s == 0) return;
  window_bytes_ = 0;
  uint64_t min_rate = options_.min_bytes_per_s;
  if (options_.wan_rate && !options_.wan_rate->unlimited()) {
    min_rate = std::min(min_rate, options_.wan_rate->rate() / 2);
  }
  const uint64_t floor = min_rate * static_cast<uint64_t>(options_.watchdog_window.count()) / 1000;
  watchdog_.start(
      options_.watchdog_window,
      [this, floor]() {
        if (window_bytes_ < floor) {
          fail(make_error(Errc::timeout, "slow_transfer",
                          "transfer from " + origin_.authority() +
                              " crawled: " + std::to_string(window_bytes_) + " bytes in " +
                              std::to_string(options_.watchdog_window.count()) +
                              " ms, below the floor of " +
                              std::to_string(options_.min_bytes_per_s) + " bytes/s"));
          return;
        }
        window_bytes_ = 0;
      },
      options_.watchdog_window);
}

void HttpClient::drop_connection() {
  conn_ready_ = false;
  throttle_.stop();
  tls_.reset();
  if (conn_) {
    conn_->close();
    // Freed later: we may be inside one of its callbacks.
    loop_.defer_delete(std::move(conn_));
  }
}

void HttpClient::complete() {
  deadline_.stop();
  watchdog_.stop();
  DoneCallback done = std::move(on_done_);
  on_done_ = nullptr;
  on_head_ = nullptr;
  on_body_ = nullptr;
  body_.reset();
  if (parser_) loop_.defer_delete(std::move(parser_));
  done(ok_status());
}

void HttpClient::fail(Error error) {
  deadline_.stop();
  watchdog_.stop();
  drop_connection();
  if (resolving_) {
    *resolving_ = false;
    resolving_.reset();
  }
  if (!on_done_) return;
  DoneCallback done = std::move(on_done_);
  on_done_ = nullptr;
  on_head_ = nullptr;
  on_body_ = nullptr;
  body_.reset();
  if (parser_) loop_.defer_delete(std::move(parser_));
  done(std::move(error));
}

}  // namespace fleetgate::northbound
