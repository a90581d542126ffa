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

// Status reports go through a StatusCommitter into `store`, behind `gate` (a fault the
// tests can hold), as in the daemon.
class ServedCoap {
 public:
  explicit ServedCoap(southbound::CoapServerOptions options = {},
                      southbound::StatusCommitterOptions commits = {})
      : store(clock),
        gate(*store.get()),
        registry(southbound::DeviceRegistry::parse(kCoapRegistryToml, "test").value()) {
    if (options.listen.empty()) options.listen = {"127.0.0.1:0"};
    if (options.dtls_listen.empty()) options.dtls_listen = {"127.0.0.1:0"};
    options.metrics = &metrics;
    committer = std::make_unique<southbound::StatusCommitter>(loop_.loop(), gate,
                                                              cache::OutboxLimits{}, commits);
    southbound::Services services{&gate, &clock, &oracle, &registry};
    services.status_committer = committer.get();
    auto started = southbound::CoapServer::start(loop_.loop(), options, services);
    if (!started.ok()) throw std::runtime_error(started.error().to_string());
    server = std::move(started).value();
    loop_.run([this](std::function<void()> done) {
      server->close([this, done = std::move(done)] { committer->close(done); });
    });
  }
  ~ServedCoap() {
    gate.release();  // a test that failed while holding must not hang the stop
    stop();
  }

  void on_loop(std::function<void()> fn) { loop_.on_loop(std::move(fn)); }
  bool stop() { return loop_.stop(); }

  std::string coap_uri(std::string_view path) const {
    return "coap://" + server->addresses().at(0) + std::string(path);
  }
  std::string coaps_uri(std::string_view path) const {
    return "coaps://" + server->dtls_addresses().at(0) + std::string(path);
  }

  ManualClock clock;
  TestStore store;
  GatedStore gate;
  southbound::DeviceRegistry registry;
  TableOracle oracle;
  MetricsRegistry metrics;
  std::unique_ptr<southbound::StatusCommitter> committer;
  std::unique_ptr<southbound::CoapServer> server;

 private:
  ServerLoop loop_;
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
