#include "southbound/http_server.h"

#include <chrono>
#include <vector>

#include "common/clock.h"
#include "common/http_date.h"
#include "southbound/http_connection.h"

namespace fleetgate::southbound {

namespace {
constexpr size_t kReadBufferSize = 64 * 1024;

Error uv_failure(std::string_view what, const std::string& address, int rc) {
  return make_error(Errc::network, uv_err_name(rc),
                    std::string(what) + " " + address + " failed: " + uv_strerror(rc));
}
}  // namespace

Result<sockaddr_storage> parse_listen_address(const std::string& text) {
  sockaddr_storage ss{};
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return make_error(Errc::config, "listen_address",
                      "listen address '" + text + "' is not host:port");
  }
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  int port = 0;
  for (char ch : port_text) {
    if (ch < '0' || ch > '9' || port > 65535) {
      port = -1;
      break;
    }
    port = port * 10 + (ch - '0');
  }
  if (port < 0 || port > 65535) {
    return make_error(Errc::config, "listen_address",
                      "listen address '" + text + "' has an invalid port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) return ss;
  } else if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) {
    return ss;
  }
  return make_error(Errc::config, "listen_address",
                    "listen address '" + text + "' needs a numeric IPv4 or [IPv6] host");
}

HttpServer::HttpServer(uv_loop_t* loop, const HttpServerOptions& options,
                       std::unique_ptr<RequestHandler> owned, RequestHandler& handler,
                       const Clock& clock)
    : loop_(loop),
      options_(options),
      owned_handler_(std::move(owned)),
      handler_(handler),
      clock_(clock),
      read_buf_(new char[kReadBufferSize]) {}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::start(uv_loop_t* loop,
                                                      const HttpServerOptions& options,
                                                      RequestHandler& handler, const Clock& clock) {
  return listen(
      std::unique_ptr<HttpServer>(new HttpServer(loop, options, nullptr, handler, clock)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(uv_loop_t* loop,
                                                      const HttpServerOptions& options,
                                                      Services services) {
  if (services.store == nullptr || services.clock == nullptr) {
    return make_error(Errc::internal, "services", "HTTP server started without store or clock");
  }
  auto api = std::make_unique<DeviceApi>(services);
  DeviceApi& ref = *api;
  std::unique_ptr<HttpServer> server(
      new HttpServer(loop, options, std::move(api), ref, *services.clock));
  HttpServer* raw = server.get();
  ref.set_server_stats([raw] { return raw->stats(); });
  return listen(std::move(server));
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen(std::unique_ptr<HttpServer> server) {
  const HttpServerOptions& options = server->options_;
  uv_loop_t* loop = server->loop_;
  FG_ASSIGN_OR_RETURN(sockaddr_storage addr, parse_listen_address(options.listen));
  auto* tcp = new uv_tcp_t;
  uv_tcp_init(loop, tcp);
  tcp->data = server.get();
  server->listener_ = tcp;
  auto fail = [&](std::string_view what, int rc) {
    Error e = uv_failure(what, options.listen, rc);
    server->listener_ = nullptr;
    tcp->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return e;
  };
  int rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc != 0) return fail("binding", rc);
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), options.backlog, &HttpServer::on_connection);
  if (rc != 0) return fail("listening on", rc);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len);
  server->port_ =
      ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return server;
}

void HttpServer::on_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (self == nullptr || status < 0 || self->draining()) return;
  HttpConnection* c = HttpConnection::accept(*self, listener);
  self->connections_.insert(c);
  unsigned& from_peer = self->per_client_[c->peer()];
  ++from_peer;
  self->stats_.accepted++;
  self->stats_.open_connections = self->connections_.size();
  // Over a cap: a canned 503 + Retry-After without reading the request, then close, so
  // the client backs off instead of seeing a bare reset.
  if (self->connections_.size() > self->options_.max_connections) {
    self->stats_.refused_global_cap++;
    c->refuse();
  } else if (from_peer > self->options_.max_connections_per_client) {
    self->stats_.refused_client_cap++;
    c->refuse();
  } else {
    c->start_reading();
  }
}

void HttpServer::forget(HttpConnection* c, const std::string& peer) {
  connections_.erase(c);
  auto it = per_client_.find(peer);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  stats_.open_connections = connections_.size();
  maybe_done();
}

const std::string& HttpServer::date_header() {
  int64_t now = unix_seconds(clock_.now());
  if (now != date_second_) {
    date_second_ = now;
    date_ = http::format_http_date(now);
  }
  return date_;
}

uv_buf_t HttpServer::read_buffer() { return uv_buf_init(read_buf_.get(), kReadBufferSize); }

void HttpServer::close(std::function<void()> done) {
  done_ = std::move(done);
  if (closing_) return;
  closing_ = true;
  close_listener();
  std::vector<HttpConnection*> open(connections_.begin(), connections_.end());
  for (HttpConnection* c : open) c->close();
  maybe_done();
}

void HttpServer::stop_accepting() {
  close_listener();
  // Idle keep-alive connections end now; busy ones answer with Connection: close.
  std::vector<HttpConnection*> idle;
  for (HttpConnection* c : connections_) {
    if (!c->busy()) idle.push_back(c);
  }
  for (HttpConnection* c : idle) c->close();
}

size_t HttpServer::in_flight() const {
  size_t n = 0;
  for (const HttpConnection* c : connections_) n += c->busy() ? 1 : 0;
  return n;
}

void HttpServer::close_listener() {
  if (listener_closed_ || listener_closing_) return;
  listener_closing_ = true;
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) {
      auto* self = static_cast<HttpServer*>(h->data);
      delete reinterpret_cast<uv_tcp_t*>(h);
      self->listener_ = nullptr;
      self->listener_closed_ = true;
      self->maybe_done();
    });
  } else {
    listener_closed_ = true;
  }
}

void HttpServer::maybe_done() {
  if (closing_ && listener_closed_ && connections_.empty() && done_) {
    auto done = std::move(done_);
    done_ = nullptr;
    done();
  }
}

}  // namespace fleetgate::southbound
