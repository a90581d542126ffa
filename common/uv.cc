#include "common/uv.h"

#include <cstdlib>

#include "common/log.h"

namespace fleetgate::uv {
namespace {

const Logger kLog("uv");

constexpr size_t kReadBufferSize = 64 * 1024;

// The close state every wrapped handle carries (see start_close / close_and_free).
struct HandleLifetime {
  bool closing = false;
  bool closed = false;    // the close callback ran
  bool orphaned = false;  // the wrapper is gone: the close callback frees
};

// Handle memory lives apart from its wrapper and is freed by whichever ends last: the
// close callback or the wrapper's destructor. So a wrapper whose close() already ran
// (and whose close callback already fired) can still be read and destroyed safely.
template <typename H>
void start_close(H* h) {
  if (h->closing) return;
  h->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&h->raw), [](uv_handle_t* raw) {
    auto* handle = static_cast<H*>(raw->data);
    handle->closed = true;
    if (handle->orphaned) delete handle;
  });
}

// Called once, from the wrapper's destructor.
template <typename H>
void close_and_free(H* h) {
  if (h->closed) {
    delete h;
    return;
  }
  h->orphaned = true;
  start_close(h);
}

}  // namespace

Error uv_error(int status, std::string_view what) {
  Errc code = Errc::network;
  switch (status) {
    case UV_ECANCELED:
      code = Errc::cancelled;
      break;
    case UV_ETIMEDOUT:
      code = Errc::timeout;
      break;
    case UV_ENOENT:
      code = Errc::not_found;
      break;
    case UV_EEXIST:
      code = Errc::already_exists;
      break;
    case UV_EINVAL:
      code = Errc::invalid_argument;
      break;
    case UV_ENOSPC:
      code = Errc::space;
      break;
    case UV_EIO:
    case UV_EACCES:
    case UV_EPERM:
    case UV_EBADF:
      code = Errc::io;
      break;
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_ENOBUFS:
    case UV_ENOMEM:
      code = Errc::busy;
      break;
    default:
      break;
  }
  return make_error(code, uv_err_name(status),
                    std::string(what) + " failed: " + uv_strerror(status));
}

// ---------------------------------------------------------------------------------- Loop

Loop::Loop() : read_buffer_(kReadBufferSize) {
  int rc = uv_loop_init(&loop_);
  if (rc < 0) {
    kLog.error("cannot initialise the event loop", {{"error", uv_error(rc, "uv_loop_init")}});
    std::abort();
  }
  loop_.data = this;
}

Loop::~Loop() {
  if (closed_) return;
  Status st = close();
  if (!st.ok()) {
    // Freeing the loop now would leave handles pointing at freed memory.
    kLog.error("event loop destroyed with open handles", {{"error", st.error()}});
    std::abort();
  }
}

void Loop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }
bool Loop::run_once() { return uv_run(&loop_, UV_RUN_ONCE) != 0; }
bool Loop::run_nowait() { return uv_run(&loop_, UV_RUN_NOWAIT) != 0; }
void Loop::stop() { uv_stop(&loop_); }

bool Loop::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  if (done()) return true;
  bool timed_out = false;
  Timer deadline(*this);
  deadline.start(timeout, [&] { timed_out = true; });
  while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
  return done();
}

void Loop::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  if (!defer_timer_) {
    defer_timer_ = new uv_timer_t;
    uv_timer_init(&loop_, defer_timer_);
    defer_timer_->data = this;
  }
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(defer_timer_))) {
    uv_timer_start(
        defer_timer_, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->flush_deferred(); }, 0, 0);
  }
}

void Loop::flush_deferred() {
  // Swap first: what runs may defer more, and that belongs to the next turn.
  std::vector<std::function<void()>> batch;
  batch.swap(deferred_);
  for (auto& fn : batch) fn();
}

namespace {
struct WorkRequest {
  uv_work_t req;
  std::function<void()> work;
  std::function<void(Status)> done;
};
}  // namespace

void Loop::queue_work(std::function<void()> work, std::function<void(Status)> done) {
  auto* w = new WorkRequest{{}, std::move(work), std::move(done)};
  w->req.data = w;
  int rc = uv_queue_work(
      &loop_, &w->req, [](uv_work_t* req) { static_cast<WorkRequest*>(req->data)->work(); },
      [](uv_work_t* req, int status) {
        std::unique_ptr<WorkRequest> owned(static_cast<WorkRequest*>(req->data));
        if (owned->done) owned->done(uv_status(status, "queued work"));
      });
  if (rc < 0) {
    std::unique_ptr<WorkRequest> owned(w);
    if (owned->done) owned->done(uv_error(rc, "uv_queue_work"));
  }
}

std::vector<std::string> Loop::live_handles() const {
  struct Walk {
    const Loop* self;
    std::vector<std::string> names;
  } walk{this, {}};
  uv_walk(
      const_cast<uv_loop_t*>(&loop_),
      [](uv_handle_t* h, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (uv_is_closing(h)) return;
        if (reinterpret_cast<uv_handle_t*>(w->self->defer_timer_) == h) return;
        w->names.emplace_back(uv_handle_type_name(uv_handle_get_type(h)));
      },
      &walk);
  return walk.names;
}

Status Loop::close() {
  if (closed_) return ok_status();
  flush_deferred();
  auto live = live_handles();
  if (!live.empty()) {
    std::string names;
    for (const auto& n : live) names += (names.empty() ? "" : ", ") + n;
    return make_error(Errc::internal, "handles_open",
                      "cannot close the event loop: " + std::to_string(live.size()) +
                          " handle(s) still open (" + names + ")");
  }
  if (defer_timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(defer_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    defer_timer_ = nullptr;
  }
  // Runs the pending close callbacks (and lets queued work finish).
  uv_run(&loop_, UV_RUN_DEFAULT);
  flush_deferred();
  int rc = uv_loop_close(&loop_);
  if (rc < 0) return uv_error(rc, "uv_loop_close");
  closed_ = true;
  return ok_status();
}

// --------------------------------------------------------------------------------- Timer

struct Timer::Handle : HandleLifetime {
  uv_timer_t raw;
  std::function<void()> fn;
};

Timer::Timer(Loop& loop) : h_(new Handle) {
  uv_timer_init(loop.raw(), &h_->raw);
  h_->raw.data = h_;
}

Timer::~Timer() { close_and_free(h_); }

void Timer::start(std::chrono::milliseconds timeout, std::function<void()> fn,
                  std::chrono::milliseconds repeat) {
  h_->fn = std::move(fn);
  uv_timer_start(
      &h_->raw,
      [](uv_timer_t* t) {
        auto* h = static_cast<Handle*>(t->data);
        if (h->closing) return;
        auto copy = h->fn;  // the callback may restart the timer with a new function
        copy();
      },
      static_cast<uint64_t>(timeout.count()), static_cast<uint64_t>(repeat.count()));
}

void Timer::stop() { uv_timer_stop(&h_->raw); }
bool Timer::active() const { return uv_is_active(reinterpret_cast<uv_handle_t*>(&h_->raw)); }
void Timer::unref() { uv_unref(reinterpret_cast<uv_handle_t*>(&h_->raw)); }

// ------------------------------------------------------------------------- SignalWatcher

struct SignalWatcher::Handle : HandleLifetime {
  uv_signal_t raw;
  std::function<void()> fn;
};

SignalWatcher::SignalWatcher(Loop& loop) : h_(new Handle) {
  uv_signal_init(loop.raw(), &h_->raw);
  h_->raw.data = h_;
}

SignalWatcher::~SignalWatcher() { close_and_free(h_); }

Status SignalWatcher::start(int signum, std::function<void()> fn) {
  h_->fn = std::move(fn);
  return uv_status(uv_signal_start(
                       &h_->raw,
                       [](uv_signal_t* s, int) {
                         auto* h = static_cast<Handle*>(s->data);
                         if (h->closing) return;
                         auto copy = h->fn;
                         copy();
                       },
                       signum),
                   "uv_signal_start");
}

void SignalWatcher::stop() { uv_signal_stop(&h_->raw); }
void SignalWatcher::unref() { uv_unref(reinterpret_cast<uv_handle_t*>(&h_->raw)); }

// ------------------------------------------------------------------------- TcpConnection

struct TcpConnection::Handle : HandleLifetime {
  uv_tcp_t raw;
  bool reading = false;
  uv_connect_t connect_req;
  std::function<void(Status)> on_connected;
  DataCallback on_data;
  EndCallback on_end;
};

namespace {

struct WriteRequest {
  uv_write_t req;
  std::string owned;
  TcpConnection::WriteCallback done;
};

struct ShutdownRequest {
  uv_shutdown_t req;
  TcpConnection::WriteCallback done;
};

template <typename H>
bool handle_closing(uv_stream_t* stream) {
  return static_cast<H*>(stream->data)->closing;
}

}  // namespace

TcpConnection::TcpConnection(Handle* h) : h_(h) {}

TcpConnection::~TcpConnection() { close_and_free(h_); }

void TcpConnection::close() { start_close(h_); }
bool TcpConnection::is_closed() const { return h_->closing; }

Result<std::unique_ptr<TcpConnection>> TcpConnection::connect(
    Loop& loop, const SocketAddress& peer, std::function<void(Status)> on_connected) {
  auto* h = new Handle;
  int rc = uv_tcp_init(loop.raw(), &h->raw);
  if (rc < 0) {
    delete h;
    return uv_error(rc, "uv_tcp_init");
  }
  h->raw.data = h;
  std::unique_ptr<TcpConnection> conn(new TcpConnection(h));
  h->on_connected = std::move(on_connected);
  rc = uv_tcp_connect(&h->connect_req, &h->raw, peer.raw(), [](uv_connect_t* req, int status) {
    auto* hh = static_cast<Handle*>(req->handle->data);
    if (hh->closing || !hh->on_connected) return;
    hh->on_connected(uv_status(status, "connect"));
  });
  if (rc < 0) return uv_error(rc, "connect to " + peer.to_string());
  return conn;
}

Status TcpConnection::read_start(DataCallback on_data, EndCallback on_end) {
  if (h_->closing) return make_error(Errc::cancelled, "closed", "read on a closed connection");
  h_->on_data = std::move(on_data);
  h_->on_end = std::move(on_end);
  int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&h_->raw),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        auto span = Loop::from(handle->loop).read_buffer();
        *buf = uv_buf_init(span.data(), static_cast<unsigned>(span.size()));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* h = static_cast<Handle*>(stream->data);
        if (h->closing) return;
        if (nread > 0) {
          auto cb = h->on_data;  // a copy: the callback may install new callbacks
          cb(std::string_view(buf->base, static_cast<size_t>(nread)));
        } else if (nread < 0) {
          uv_read_stop(stream);
          h->reading = false;
          auto cb = h->on_end;
          if (!cb) return;
          if (nread == UV_EOF) {
            cb(ok_status());
          } else {
            cb(uv_error(static_cast<int>(nread), "read"));
          }
        }
      });
  if (rc < 0) return uv_error(rc, "uv_read_start");
  h_->reading = true;
  return ok_status();
}

void TcpConnection::read_stop() {
  if (h_->closing) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&h_->raw));
  h_->reading = false;
}

bool TcpConnection::reading() const { return h_->reading; }

namespace {
Status queue_write(uv_stream_t* stream, WriteRequest* w, uv_buf_t buf) {
  int rc = uv_write(&w->req, stream, &buf, 1, [](uv_write_t* req, int status) {
    std::unique_ptr<WriteRequest> owned(static_cast<WriteRequest*>(req->data));
    // After close() the owner may be gone: its callbacks must not run.
    if (handle_closing<TcpConnection::Handle>(req->handle)) return;
    if (owned->done) owned->done(uv_status(status, "write"));
  });
  if (rc < 0) {
    delete w;
    return uv_error(rc, "write");
  }
  return ok_status();
}
}  // namespace

Status TcpConnection::write(std::string bytes, WriteCallback done) {
  if (h_->closing) return make_error(Errc::cancelled, "closed", "write on a closed connection");
  auto* w = new WriteRequest{{}, std::move(bytes), std::move(done)};
  w->req.data = w;
  return queue_write(reinterpret_cast<uv_stream_t*>(&h_->raw), w,
                     uv_buf_init(w->owned.data(), static_cast<unsigned>(w->owned.size())));
}

Status TcpConnection::write_ref(std::span<const char> bytes, WriteCallback done) {
  if (h_->closing) return make_error(Errc::cancelled, "closed", "write on a closed connection");
  auto* w = new WriteRequest{{}, {}, std::move(done)};
  w->req.data = w;
  // libuv never writes through the pointer; the cast is its API's, not ours.
  return queue_write(
      reinterpret_cast<uv_stream_t*>(&h_->raw), w,
      uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size())));
}

size_t TcpConnection::write_queue_size() const {
  return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&h_->raw));
}

Status TcpConnection::shutdown(WriteCallback done) {
  if (h_->closing) return make_error(Errc::cancelled, "closed", "shutdown of a closed connection");
  auto* s = new ShutdownRequest{{}, std::move(done)};
  s->req.data = s;
  int rc = uv_shutdown(
      &s->req, reinterpret_cast<uv_stream_t*>(&h_->raw), [](uv_shutdown_t* req, int status) {
        std::unique_ptr<ShutdownRequest> owned(static_cast<ShutdownRequest*>(req->data));
        if (handle_closing<TcpConnection::Handle>(req->handle)) return;
        if (owned->done) owned->done(uv_status(status, "shutdown"));
      });
  if (rc < 0) {
    delete s;
    return uv_error(rc, "shutdown");
  }
  return ok_status();
}

Status TcpConnection::set_nodelay(bool enable) {
  return uv_status(uv_tcp_nodelay(&h_->raw, enable ? 1 : 0), "uv_tcp_nodelay");
}

SocketAddress TcpConnection::peer_address() const {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&h_->raw, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

SocketAddress TcpConnection::local_address() const {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(&h_->raw, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

// --------------------------------------------------------------------------- TcpListener

struct TcpListener::Handle : HandleLifetime {
  uv_tcp_t raw;
  AcceptCallback on_accept;
};

TcpListener::TcpListener(Handle* h) : h_(h) {}
TcpListener::~TcpListener() { close_and_free(h_); }
void TcpListener::close() { start_close(h_); }

Result<std::unique_ptr<TcpListener>> TcpListener::listen(Loop& loop, const SocketAddress& address,
                                                         AcceptCallback on_accept, int backlog) {
  auto* h = new Handle;
  int rc = uv_tcp_init(loop.raw(), &h->raw);
  if (rc < 0) {
    delete h;
    return uv_error(rc, "uv_tcp_init");
  }
  h->raw.data = h;
  h->on_accept = std::move(on_accept);
  std::unique_ptr<TcpListener> listener(new TcpListener(h));
  // IPv6 sockets accept only IPv6, so "[::1]" and "127.0.0.1" can both be bound.
  unsigned flags = address.is_v6() ? UV_TCP_IPV6ONLY : 0;
  rc = uv_tcp_bind(&h->raw, address.raw(), flags);
  if (rc < 0) return uv_error(rc, "bind " + address.to_string());
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&h->raw), backlog,
                 [](uv_stream_t* server, int status) {
                   auto* lh = static_cast<Handle*>(server->data);
                   if (lh->closing) return;
                   if (status < 0) {
                     kLog.warn("accept failed", {{"error", uv_error(status, "accept")}});
                     return;
                   }
                   auto* ch = new TcpConnection::Handle;
                   uv_tcp_init(server->loop, &ch->raw);
                   ch->raw.data = ch;
                   std::unique_ptr<TcpConnection> conn(new TcpConnection(ch));
                   int arc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&ch->raw));
                   if (arc < 0) {
                     kLog.warn("accept failed", {{"error", uv_error(arc, "uv_accept")}});
                     return;  // conn's destructor closes the handle
                   }
                   auto cb = lh->on_accept;
                   cb(std::move(conn));
                 });
  // bind() defers some errors (EADDRINUSE) to listen().
  if (rc < 0) return uv_error(rc, "listen on " + address.to_string());
  return listener;
}

SocketAddress TcpListener::local_address() const {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(&h_->raw, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

}  // namespace fleetgate::uv
