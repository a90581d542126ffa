// Drives a libcoap 4.3.1 context from the gateway's libuv loop (DESIGN.md section 9).
//
// libcoap's epoll fd (coap_context_get_coap_fd(), which also holds libcoap's timerfd) is
// watched by a uv_poll_t; on every wake, and when libcoap's next deadline
// (coap_io_prepare_epoll) fires on a uv_timer_t, coap_io_process(ctx, COAP_IO_NO_WAIT)
// does the I/O and calls the resource handlers. Handlers therefore run on the loop thread
// and must never call coap_io_process themselves.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include "common/result.h"

struct coap_context_t;

namespace fleetgate::southbound {

class CoapLoop {
 public:
  // Starts watching `context` (which must outlive close()). `tick`, if set, runs every
  // `tick_every` on the loop (housekeeping of the server's own, e.g. idle transfers).
  static Result<std::unique_ptr<CoapLoop>> attach(uv_loop_t* loop, coap_context_t* context,
                                                  std::function<void()> tick = nullptr,
                                                  std::chrono::milliseconds tick_every = {});
  // NOTE: call close() and wait for `done` before freeing the context: the poll handle
  // must stop watching libcoap's fd before coap_free_context() closes it.
  ~CoapLoop();
  CoapLoop(const CoapLoop&) = delete;
  CoapLoop& operator=(const CoapLoop&) = delete;

  // Stops watching; `done` runs once both handles are closed. Idempotent.
  void close(std::function<void()> done);

 private:
  struct Handles;  // allocated apart: freed in the last close callback
  explicit CoapLoop(Handles* handles) : h_(handles) {}
  Handles* h_;
};

}  // namespace fleetgate::southbound
