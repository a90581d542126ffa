// Test fixture: a CoapServer (plain UDP and DTLS-PSK on 127.0.0.1, port 0) on its own loop
// thread, with the real LMDB store, a manual clock, a registry whose devices have PSKs and
// a table-driven oracle; plus a runner for the real coap-client-gnutls.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "served_gateway.h"
#include "southbound/coap_server.h"
#include "tests/support/files.h"
#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {

inline constexpr char kCoapRegistryToml[] = R"(
[[device]]
id = "sensor-1"
group = "line-3"
hardware = "sensor-b"
psk = "psk-of-sensor-1-0123456789"

[[device]]
id = "sensor-2"
group = "line-3"
hardware = "sensor-b"
psk = "psk-of-sensor-2-0123456789"
)";

class ServedCoap {
 public:
  explicit ServedCoap(southbound::CoapServerOptions options = {})
      : store(clock),
        registry(southbound::DeviceRegistry::parse(kCoapRegistryToml, "test").value()) {
    uv_loop_init(&loop_);
    if (options.listen.empty()) options.listen = {"127.0.0.1:0"};
    if (options.dtls_listen.empty()) options.dtls_listen = {"127.0.0.1:0"};
    options.metrics = &metrics;
    southbound::Services services{store.get(), &clock, &oracle, &registry};
    auto started = southbound::CoapServer::start(&loop_, options, services);
    if (!started.ok()) throw std::runtime_error(started.error().to_string());
    server = std::move(started).value();
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<ServedCoap*>(a->data);
      self->server->close([self] {
        uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->call_), nullptr);
      });
    });
    stop_.data = this;
    uv_async_init(&loop_, &call_, [](uv_async_t* a) {
      auto* self = static_cast<ServedCoap*>(a->data);
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
  ~ServedCoap() { stop(); }

  // Runs `fn` on the loop thread and waits for it.
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

  std::string coap_uri(std::string_view path) const {
    return "coap://" + server->addresses().at(0) + std::string(path);
  }
  std::string coaps_uri(std::string_view path) const {
    return "coaps://" + server->dtls_addresses().at(0) + std::string(path);
  }

  ManualClock clock;
  TestStore store;
  southbound::DeviceRegistry registry;
  TableOracle oracle;
  MetricsRegistry metrics;
  std::unique_ptr<southbound::CoapServer> server;

 private:
  uv_loop_t loop_;
  uv_async_t stop_;
  uv_async_t call_;
  std::mutex call_mu_;
  std::condition_variable call_cv_;
  std::function<void()> call_fn_;
  std::thread thread_;
  bool stopped_clean_ = false;
};

// coap-client-gnutls, bounded by -B `give_up_s` and the runner's deadline. It exits 0
// even when a DTLS handshake fails: callers check its output.
inline Completed coap_client(std::vector<std::string> args, int give_up_s = 5) {
  std::vector<std::string> argv = {"/usr/bin/coap-client-gnutls", "-B", std::to_string(give_up_s)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_end(std::move(argv), std::chrono::seconds(15));
}

// sensor-1's PSK in kCoapRegistryToml.
inline const std::string kPsk1 = "psk-of-sensor-1-0123456789";

// `a` followed by `b`: client arguments built from parts.
inline std::vector<std::string> with(std::vector<std::string> a, std::vector<std::string> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline std::vector<std::string> as_device(std::string id, std::string psk) {
  return {"-u", std::move(id), "-k", std::move(psk)};
}

}  // namespace fleetgate::testing
