// RAII wrappers for the libuv loop, timers, signals and TCP handles.
//
// Lifetime rules (the hazard these wrappers exist for):
// - A libuv handle must stay in memory until its uv_close callback runs. Each wrapper
//   allocates its handle apart from itself; destroying the wrapper calls uv_close, and the
//   close callback frees the handle. So a wrapper may be destroyed at any time, including
//   from inside one of its own callbacks.
// - After a wrapper is destroyed or close()d, none of its callbacks is called again
//   (pending writes are cancelled silently).
// - An object of yours that is destroyed from inside its own callback while its members
//   are still in use on the stack: hand it to Loop::defer_delete(), which destroys it on
//   the next loop turn.
// - Destroy every wrapper before its Loop. Loop::close() refuses (returns an error naming
//   them) while any handle is still open.
//
// Glossary: "loop thread" = the thread that runs Loop::run(); every method here except
// Loop::queue_work's work function must be called on it.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/socket_address.h"

namespace fleetgate::uv {

// Converts a negative libuv status into an Error; `what` says what was being done.
Error uv_error(int status, std::string_view what);
inline Status uv_status(int status, std::string_view what) {
  if (status < 0) return uv_error(status, what);
  return ok_status();
}

class Loop {
 public:
  Loop();
  // Closes the loop; a loop that still has open handles is a bug: logs them and aborts.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* raw() { return &loop_; }
  static Loop& from(uv_loop_t* loop) { return *static_cast<Loop*>(loop->data); }

  void run();         // until stop() or nothing is left to do
  bool run_once();    // one iteration, blocking for I/O; true if more work remains
  bool run_nowait();  // one iteration without blocking
  void stop();        // run() returns after the current iteration
  // Runs iterations until `done()` is true or `timeout` passes (tests and shutdown).
  // Returns whether done() became true.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // Runs `fn` on the loop thread on the next loop turn (not from within this call).
  void defer(std::function<void()> fn);
  // Destroys `object` on the next loop turn.
  template <typename T>
  void defer_delete(std::unique_ptr<T> object) {
    defer([p = std::shared_ptr<T>(std::move(object))]() mutable { p.reset(); });
  }
  // Runs `work` on the libuv thread pool, then `done(status)` on the loop thread
  // (status is cancelled if the loop closes first).
  void queue_work(std::function<void()> work, std::function<void(Status)> done);

  // Names of the open handles that are not being closed, e.g. {"tcp", "timer"}.
  std::vector<std::string> live_handles() const;
  // Finishes pending close callbacks and closes the loop. Fails, naming the handles, if
  // any is still open (or work is still queued); the loop stays usable in that case.
  Status close();
  bool closed() const { return closed_; }

  // One buffer shared by every read on this loop: libuv calls read right after alloc.
  std::span<char> read_buffer() { return read_buffer_; }

 private:
  void flush_deferred();

  uv_loop_t loop_{};
  uv_timer_t* defer_timer_ = nullptr;  // owned; freed in its close callback
  std::vector<std::function<void()>> deferred_;
  std::vector<char> read_buffer_;
  bool closed_ = false;
};

class Timer {
 public:
  explicit Timer(Loop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires `fn` after `timeout`, then every `repeat` if non-zero. Restarts if active.
  void start(std::chrono::milliseconds timeout, std::function<void()> fn,
             std::chrono::milliseconds repeat = std::chrono::milliseconds(0));
  void stop();
  bool active() const;
  // An unreferenced timer does not keep Loop::run() from returning.
  void unref();

 private:
  struct Handle;
  Handle* h_;
};

// Watches one signal on the loop (uv_signal_t: the handler runs on the loop thread).
class SignalWatcher {
 public:
  explicit SignalWatcher(Loop& loop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  Status start(int signum, std::function<void()> fn);
  void stop();
  void unref();

 private:
  struct Handle;
  Handle* h_;
};

// A connected TCP stream: server side from TcpListener, or client side from connect().
class TcpConnection {
 public:
  // Bytes received. The view is valid only during the call.
  using DataCallback = std::function<void(std::string_view data)>;
  // The peer closed (ok status) or the stream failed. No more data callbacks follow.
  using EndCallback = std::function<void(Status status)>;
  // A write finished (ok) or failed.
  using WriteCallback = std::function<void(Status status)>;

  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Starts connecting; `on_connected` reports the outcome. Destroying the returned
  // object before then cancels the attempt (on_connected is not called).
  static Result<std::unique_ptr<TcpConnection>> connect(Loop& loop, const SocketAddress& peer,
                                                        std::function<void(Status)> on_connected);

  Status read_start(DataCallback on_data, EndCallback on_end);
  // Stops reading (backpressure); read_start() resumes with the same or new callbacks.
  void read_stop();
  bool reading() const;

  // Queues `bytes` (owned by the request). `done` may be empty.
  Status write(std::string bytes, WriteCallback done = {});
  // Queues bytes the caller keeps alive until `done` runs or this connection is closed.
  Status write_ref(std::span<const char> bytes, WriteCallback done = {});
  // Bytes queued but not yet handed to the kernel (for output backpressure).
  size_t write_queue_size() const;
  // Sends FIN after the queued writes; reading continues.
  Status shutdown(WriteCallback done = {});

  Status set_nodelay(bool enable);
  SocketAddress peer_address() const;
  SocketAddress local_address() const;

  // Closes now: queued writes are dropped and no callback runs again. To close after a
  // response, close from the last write's callback.
  void close();
  bool is_closed() const;

  struct Handle;  // opaque; defined in uv.cc

 private:
  friend class TcpListener;
  explicit TcpConnection(Handle* h);
  Handle* h_;
};

class TcpListener {
 public:
  using AcceptCallback = std::function<void(std::unique_ptr<TcpConnection>)>;

  // Binds and listens. Port 0 picks a free port (see local_address()).
  static Result<std::unique_ptr<TcpListener>> listen(Loop& loop, const SocketAddress& address,
                                                     AcceptCallback on_accept, int backlog = 511);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  SocketAddress local_address() const;
  // Stops accepting and closes the socket (connections already accepted live on).
  void close();

 private:
  struct Handle;
  explicit TcpListener(Handle* h);
  Handle* h_;
};

}  // namespace fleetgate::uv
