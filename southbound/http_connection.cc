#include "southbound/http_connection.h"

#include <algorithm>

#include "common/http_head_writer.h"
#include "southbound/http_server.h"

namespace fleetgate::southbound {

namespace {
constexpr uint64_t kLingerMs = 2000;
// A body up to this size is copied behind the head so the answer is one buffer.
constexpr size_t kJoinBodyBytes = 16 * 1024;

std::string peer_ip(uv_tcp_t* tcp) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char ip[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), ip, sizeof ip);
  } else {
    uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), ip, sizeof ip);
  }
  return ip;
}

uv_buf_t buf_of(const std::string& s) {
  return uv_buf_init(const_cast<char*>(s.data()), static_cast<unsigned>(s.size()));
}
}  // namespace

HttpConnection::HttpConnection(HttpServer& server)
    : server_(server), parser_(http::Parser::Kind::request, server.options().limits) {}

HttpConnection::~HttpConnection() = default;

HttpConnection* HttpConnection::accept(HttpServer& server, uv_stream_t* listener) {
  auto* c = new HttpConnection(server);
  uv_tcp_init(server.loop(), &c->tcp_);
  uv_timer_init(server.loop(), &c->timer_);
  c->tcp_.data = c;
  c->timer_.data = c;
  c->open_handles_ = 2;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->tcp_)) != 0) {
    c->close();
    return c;
  }
  uv_tcp_nodelay(&c->tcp_, 1);
  c->peer_ = peer_ip(&c->tcp_);
  if (server.options().tls != nullptr) {
    auto tls = TlsStream::create(server.options().tls, TlsStream::Role::server);
    if (!tls.ok()) {
      c->close();
      return c;
    }
    c->tls_ = std::move(tls).value();
  }
  return c;
}

void HttpConnection::close() {
  if (closing_) return;
  closing_ = true;
  // A late answer finds no connection and is dropped.
  if (auto target = awaiting_.lock()) target->connection = nullptr;
  awaiting_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &HttpConnection::on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &HttpConnection::on_closed);
}

void HttpConnection::refuse() {
  if (closing_) return;
  // Plain HTTP only: under TLS an answer would first cost a handshake, so a refused
  // TLS client sees the connection close.
  if (tls_) {
    close();
    return;
  }
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Retry-After: 5\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 28\r\n"
      "Connection: close\r\n"
      "\r\n"
      "too many connections; retry\n";
  keep_alive_ = false;
  // A fresh socket's send buffer is empty: the answer goes out whole or not at all.
  uv_buf_t b = uv_buf_init(const_cast<char*>(kBusy.data()), static_cast<unsigned>(kBusy.size()));
  if (uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1) !=
      static_cast<int>(kBusy.size())) {
    close();
    return;
  }
  linger();  // FIN, then drop what the client sends until it closes (or briefly)
}

void HttpConnection::on_closed(uv_handle_t* h) {
  auto* c = static_cast<HttpConnection*>(h->data);
  if (--c->open_handles_ > 0) return;
  HttpServer& server = c->server_;
  std::string peer = std::move(c->peer_);
  server.forget(c, peer);
  delete c;  // drops any blob reader only now: cancelled writes pointed into its map
}

void HttpConnection::start_reading() {
  if (closing_ || reading_) return;
  if (phase_ != Phase::lingering) set_phase(Phase::idle);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &HttpConnection::on_alloc,
                    &HttpConnection::on_read) != 0) {
    close();
    return;
  }
  reading_ = true;
}

void HttpConnection::set_phase(Phase p) {
  phase_ = p;
  if (closing_) return;  // a closing timer must not be re-armed
  const HttpServerOptions& o = server_.options();
  std::chrono::milliseconds t{0};
  switch (p) {
    case Phase::idle:
      t = o.idle_timeout;
      break;
    case Phase::head:
      t = o.head_timeout;
      break;
    case Phase::body:
      t = o.body_timeout;
      break;
    case Phase::sending:
      t = o.send_timeout;
      break;
    case Phase::lingering:
      t = std::chrono::milliseconds(kLingerMs);
      break;
  }
  uv_timer_start(&timer_, &HttpConnection::on_timer, static_cast<uint64_t>(t.count()), 0);
}

void HttpConnection::on_timer(uv_timer_t* t) {
  auto* c = static_cast<HttpConnection*>(t->data);
  if (c->closing_) return;
  c->server_.mutable_stats().timeouts++;
  if (auto target = c->awaiting_.lock()) {
    // The handler did not answer in time: the device retries later.
    target->connection = nullptr;
    c->awaiting_.reset();
    HttpReply r = HttpReply::text(503, "no answer in time; retry");
    r.header("Retry-After", "5");
    r.close_connection = true;
    c->respond(std::move(r), c->deferred_head_);
    return;
  }
  if (c->phase_ == Phase::head || c->phase_ == Phase::body) {
    c->reject(408, "request not received in time");
  } else {
    c->close();  // idle keep-alive, a stalled reader, or the end of lingering
  }
}

void HttpConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<HttpConnection*>(h->data);
  *buf = c->server_.read_buffer();
}

void HttpConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<HttpConnection*>(s->data);
  if (c->closing_) return;
  if (n < 0) {
    c->close();  // EOF or error; a half-received request is dropped
    return;
  }
  if (n == 0) return;
  if (c->phase_ == Phase::lingering) return;  // draining after our final response
  std::string_view data(buf->base, static_cast<size_t>(n));
  if (!c->tls_) {
    c->consume(data);
    return;
  }
  // One buffer for all connections of this loop thread: consume() copies what it keeps.
  static thread_local PlaintextBuffer plain;
  plain.clear();
  Status st = c->tls_->receive(data, plain);
  if (!plain.empty()) c->consume(plain.view());
  if (!st.ok() || c->tls_->peer_closed()) {
    c->flush_tls();  // a fatal alert, if BoringSSL produced one
    c->close();
    return;
  }
  c->flush_tls();  // handshake records
}

void HttpConnection::flush_tls() {
  if (!tls_ || closing_ || !tls_->has_output()) return;
  struct ControlWrite {
    uv_write_t req;
    std::string bytes;
  };
  auto* w = new ControlWrite;
  w->bytes = tls_->take_output();
  w->req.data = w;
  uv_buf_t b = buf_of(w->bytes);
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1,
               [](uv_write_t* req, int) { delete static_cast<ControlWrite*>(req->data); }) != 0) {
    delete w;
    close();
  }
}

void HttpConnection::consume(std::string_view data) {
  if (phase_ == Phase::sending) {
    // More plaintext from a TLS record that also held the request being answered.
    if (pending_.size() + data.size() > 64 * 1024) {
      close();  // a client pipelining this much is not a device
      return;
    }
    pending_.append(data.data(), data.size());
    return;
  }
  while (!data.empty() && !closing_ && phase_ != Phase::sending && phase_ != Phase::lingering) {
    if (phase_ == Phase::idle) set_phase(Phase::head);
    auto consumed = parser_.feed(data);
    if (!consumed.ok()) {
      reject(http::status_for(consumed.error()), consumed.error().message);
      return;
    }
    data.remove_prefix(*consumed);
    if (parser_.message_complete()) {
      // Most answers go out in one write while we are here; then the loop parses the
      // next pipelined request. Otherwise the rest waits until the answer is sent.
      if (!dispatch()) {
        if (!closing_ && phase_ == Phase::sending) pending_.assign(data.data(), data.size());
        return;
      }
      continue;
    }
    if (parser_.head_complete() && phase_ == Phase::head) set_phase(Phase::body);
  }
}

bool HttpConnection::dispatch() {
  phase_ = Phase::sending;  // the send timer is armed only if the answer has to wait
  server_.mutable_stats().requests++;
  const http::Message& request = parser_.message();
  RequestContext context;
  context.peer_address = peer_;
  if (tls_) {
    context.tls = true;
    if (!cert_cn_known_) {
      cert_cn_ = tls_->peer_common_name();  // fixed once the handshake is done
      cert_cn_known_ = true;
    }
    context.client_cert_cn = cert_cn_;
  }
  context.defer_reply = [this] { return defer_reply(); };
  dispatching_ = true;
  deferred_ = false;
  HttpReply reply = server_.handler().handle(request, context);
  dispatching_ = false;
  const bool head = request.method == "HEAD";
  if (deferred_) {
    deferred_ = false;
    if (!early_reply_) {
      // Reading stops until the answer: pipelined requests behind this one wait.
      deferred_head_ = head;
      wait_for_send();
      uv_timer_start(&timer_, &HttpConnection::on_timer,
                     static_cast<uint64_t>(server_.options().reply_timeout.count()), 0);
      return false;
    }
    reply = std::move(*early_reply_);  // answered (or dropped) within handle()
    early_reply_.reset();
  }
  return respond(std::move(reply), head);
}

DeferredReply HttpConnection::defer_reply() {
  deferred_ = true;
  if (auto target = awaiting_.lock()) return DeferredReply(std::move(target));
  auto target = std::make_shared<DeferredReply::Target>();
  target->connection = this;
  awaiting_ = target;
  return DeferredReply(std::move(target));
}

void HttpConnection::answer_later(HttpReply reply) {
  awaiting_.reset();
  if (closing_) return;
  if (dispatching_) {
    early_reply_ = std::move(reply);
    return;
  }
  if (!respond(std::move(reply), deferred_head_)) return;
  read_on();
}

void HttpConnection::read_on() {
  // Requests that arrived while we were answering, then the socket again.
  std::string input;
  input.swap(pending_);
  consume(input);
  if (!closing_ && phase_ != Phase::sending && phase_ != Phase::lingering) start_reading();
}

DeferredReply::Target::~Target() {
  if (connection == nullptr) return;
  HttpConnection* c = connection;
  connection = nullptr;
  c->answer_later(HttpReply::text(500, "the request was not answered"));
}

void DeferredReply::send(HttpReply reply) {
  if (!target_ || target_->connection == nullptr) return;
  HttpConnection* c = target_->connection;
  target_->connection = nullptr;
  c->answer_later(std::move(reply));
}

bool DeferredReply::waiting() const { return target_ && target_->connection != nullptr; }

void HttpConnection::reject(int status, std::string_view message) {
  server_.mutable_stats().bad_requests++;
  phase_ = Phase::sending;
  HttpReply reply = HttpReply::text(status, message);
  reply.close_connection = true;
  respond(std::move(reply), false);
}

bool HttpConnection::respond(HttpReply reply, bool head_request) {
  const http::Message& request = parser_.message();
  keep_alive_ = request.keep_alive && !reply.close_connection && parser_.message_complete() &&
                !server_.draining();
  auto w = http::HeadWriter::response(reply.status);
  for (const http::Header& h : reply.headers) w.add(h.name, h.value);
  w.add("Date", server_.date_header());
  uint64_t length =
      reply.blob ? reply.blob_length : (reply.head_length ? *reply.head_length : reply.body.size());
  if (reply.status != 204 && reply.status != 304) w.add("Content-Length", length);
  if (!keep_alive_) {
    w.add("Connection", "close");
  } else if (request.version_minor == 0) {
    w.add("Connection", "keep-alive");
  }
  out_head_ = std::move(w).finish();
  bufs_.clear();
  bool body = !head_request && reply.status != 204 && reply.status != 304;
  if (body && reply.blob && reply.blob_length > 0) {
    bufs_.push_back(buf_of(out_head_));
    blob_ = std::move(reply.blob);
    blob_pos_ = reply.blob_offset;
    blob_end_ = reply.blob_offset + reply.blob_length;
    wait_for_send();
    send_next_window();  // the head goes out with the first window
    return false;
  }
  // A small body joins the head: one buffer, one write (and one TLS record).
  if (body && reply.body.size() <= kJoinBodyBytes) {
    out_head_.append(reply.body);
  } else if (body) {
    out_body_ = std::move(reply.body);
  }
  bufs_.push_back(buf_of(out_head_));
  if (!out_body_.empty()) bufs_.push_back(buf_of(out_body_));
  if (!write_now()) return false;
  return finish_response();
}

void HttpConnection::wait_for_send() {
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));  // backpressure while we answer
    reading_ = false;
  }
  set_phase(Phase::sending);
}

void HttpConnection::send_next_window() {
  // Under TLS each window is encrypted into a buffer of its own: keep it small.
  uint64_t window = server_.options().send_window;
  if (tls_) window = std::min<uint64_t>(window, 64 * 1024);
  uint64_t len = std::min(window, blob_end_ - blob_pos_);
  // Zero-copy: each span points into the LMDB map, valid while blob_ holds its txn.
  Status read = blob_->read(blob_pos_, len, [this](std::span<const uint8_t> span) {
    bufs_.push_back(uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(span.data())),
                                static_cast<unsigned>(span.size())));
    return true;
  });
  if (!read.ok()) {
    // Corrupt chunk (now quarantined): the client sees a short body and retries.
    close();
    return;
  }
  blob_pos_ += len;
  server_.mutable_stats().body_bytes_sent += len;
  write(bufs_.data(), static_cast<unsigned>(bufs_.size()));
}

bool HttpConnection::write_now() {
  uv_stream_t* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (tls_) {
    if (!encrypt(bufs_.data(), static_cast<unsigned>(bufs_.size()))) return false;
    bufs_.clear();
    bufs_.push_back(buf_of(tls_out_));
  }
  // Most answers fit the socket buffer: written here, no write request, no callback.
  int n = uv_try_write(stream, bufs_.data(), static_cast<unsigned>(bufs_.size()));
  size_t total = 0;
  for (const uv_buf_t& b : bufs_) total += b.len;
  if (n >= 0 && static_cast<size_t>(n) == total) {
    bufs_.clear();
    return true;
  }
  if (n < 0 && n != UV_EAGAIN) {
    close();
    return false;
  }
  // The rest goes out when the socket drains; stop reading until then.
  size_t skip = n > 0 ? static_cast<size_t>(n) : 0;
  size_t first = 0;
  while (skip > 0 && skip >= bufs_[first].len) skip -= bufs_[first++].len;
  bufs_.erase(bufs_.begin(), bufs_.begin() + static_cast<ptrdiff_t>(first));
  bufs_.front().base += skip;
  bufs_.front().len -= static_cast<unsigned>(skip);
  wait_for_send();
  write_req_.data = this;
  if (uv_write(&write_req_, stream, bufs_.data(), static_cast<unsigned>(bufs_.size()),
               &HttpConnection::on_write) != 0) {
    close();
  }
  return false;
}

bool HttpConnection::encrypt(const uv_buf_t* bufs, unsigned n) {
  size_t total = 0;
  for (unsigned i = 0; i < n; ++i) total += bufs[i].len;
  tls_->reserve_output(total);
  for (unsigned i = 0; i < n; ++i) {
    auto plain =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bufs[i].base), bufs[i].len);
    if (!tls_->send(plain).ok()) {
      close();
      return false;
    }
  }
  tls_out_ = tls_->take_output();
  return true;
}

void HttpConnection::write(const uv_buf_t* bufs, unsigned n) {
  write_req_.data = this;
  if (tls_) {
    if (!encrypt(bufs, n)) return;
    uv_buf_t b = buf_of(tls_out_);
    if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1,
                 &HttpConnection::on_write) != 0) {
      close();
    }
    return;
  }
  if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), bufs, n,
               &HttpConnection::on_write) != 0) {
    close();
  }
}

void HttpConnection::on_write(uv_write_t* req, int status) {
  auto* c = static_cast<HttpConnection*>(req->data);
  if (c->closing_) return;
  if (status < 0) {
    c->close();
    return;
  }
  c->bufs_.clear();
  if (c->blob_ && c->blob_pos_ < c->blob_end_) {
    // The written ciphertext buffer takes the records of a later window: no allocation.
    if (c->tls_) c->tls_->recycle_output(std::move(c->tls_out_));
    c->set_phase(Phase::sending);  // progress: restart the send timeout
    c->send_next_window();
    return;
  }
  if (!c->finish_response()) return;
  c->read_on();
}

bool HttpConnection::finish_response() {
  blob_.reset();  // ends the read transaction before we go back to the loop idle
  std::string().swap(tls_out_);
  std::string().swap(out_head_);
  std::string().swap(out_body_);
  if (!keep_alive_) {
    linger();
    return false;
  }
  parser_.next();
  set_phase(Phase::idle);
  return true;
}

void HttpConnection::linger() {
  // Send FIN, then read and drop what the client still sends for a moment, so that
  // unread request bytes do not make the kernel answer with RST and lose our response.
  set_phase(Phase::lingering);
  if (tls_) {
    tls_->shutdown();
    flush_tls();
  }
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_),
                  &HttpConnection::on_shutdown) != 0) {
    close();
    return;
  }
  start_reading();
}

void HttpConnection::on_shutdown(uv_shutdown_t*, int) {}

}  // namespace fleetgate::southbound
