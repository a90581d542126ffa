#include "southbound/coap_loop.h"

#include <coap3/coap.h>

#include "common/uv.h"

namespace fleetgate::southbound {

struct CoapLoop::Handles {
  coap_context_t* context = nullptr;
  uv_poll_t poll;
  uv_timer_t timer;
  uv_timer_t tick_timer;
  std::function<void()> tick;
  int open = 0;
  bool closing = false;
  std::function<void()> done;

  // Does whatever I/O and retransmissions are due, then sleeps until libcoap's next
  // deadline (or the next datagram, via the poll handle).
  void process() {
    if (closing) return;
    coap_io_process(context, COAP_IO_NO_WAIT);
    coap_tick_t now;
    coap_ticks(&now);
    unsigned ms = coap_io_prepare_epoll(context, now);
    if (ms == 0) {
      uv_timer_stop(&timer);  // nothing scheduled: wait for input only
    } else {
      uv_timer_start(&timer, &Handles::on_timer, ms, 0);
    }
  }
  static void on_poll(uv_poll_t* p, int /*status*/, int /*events*/) {
    static_cast<Handles*>(p->data)->process();
  }
  static void on_timer(uv_timer_t* t) { static_cast<Handles*>(t->data)->process(); }
  static void on_tick(uv_timer_t* t) {
    auto* self = static_cast<Handles*>(t->data);
    if (!self->closing && self->tick) self->tick();
  }
  static void on_closed(uv_handle_t* h) {
    auto* self = static_cast<Handles*>(h->data);
    if (--self->open > 0) return;
    std::function<void()> done = std::move(self->done);
    delete self;
    if (done) done();
  }
};

Result<std::unique_ptr<CoapLoop>> CoapLoop::attach(uv_loop_t* loop, coap_context_t* context,
                                                   std::function<void()> tick,
                                                   std::chrono::milliseconds tick_every) {
  int fd = coap_context_get_coap_fd(context);
  if (fd < 0) {
    return make_error(Errc::unsupported, "coap_fd",
                      "libcoap was built without epoll: no fd to watch from the event loop");
  }
  auto* h = new Handles;
  h->context = context;
  h->poll.data = h;
  h->timer.data = h;
  h->tick_timer.data = h;
  h->tick = std::move(tick);
  if (int rc = uv_poll_init(loop, &h->poll, fd); rc < 0) {
    delete h;
    return uv::uv_error(rc, "watching the CoAP socket");
  }
  ++h->open;
  uv_timer_init(loop, &h->timer);
  ++h->open;
  uv_timer_init(loop, &h->tick_timer);
  ++h->open;
  if (h->tick && tick_every.count() > 0) {
    const auto every = static_cast<uint64_t>(tick_every.count());
    uv_timer_start(&h->tick_timer, &Handles::on_tick, every, every);
    uv_unref(reinterpret_cast<uv_handle_t*>(&h->tick_timer));  // housekeeping only
  }
  std::unique_ptr<CoapLoop> self(new CoapLoop(h));
  if (int rc = uv_poll_start(&h->poll, UV_READABLE, &Handles::on_poll); rc < 0) {
    return uv::uv_error(rc, "watching the CoAP socket");  // the destructor closes both
  }
  h->process();  // arm the first deadline
  return self;
}

CoapLoop::~CoapLoop() { close(nullptr); }

void CoapLoop::close(std::function<void()> done) {
  if (h_ == nullptr) {
    if (done) done();
    return;
  }
  Handles* h = h_;
  h_ = nullptr;
  h->closing = true;
  h->done = std::move(done);
  uv_poll_stop(&h->poll);
  uv_timer_stop(&h->timer);
  uv_timer_stop(&h->tick_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), &Handles::on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->timer), &Handles::on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->tick_timer), &Handles::on_closed);
}

}  // namespace fleetgate::southbound
