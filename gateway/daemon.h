// The running gateway (`fleetgate run`): owns the services on one libuv loop, and the
// process-level behaviour around them.
//
// Signals (delivered on the loop thread through uv_signal_t):
//   SIGINT, SIGTERM  stop accepting at once, give in-flight work `shutdown_grace`, then end
//                    what is left; run() returns when every handle is closed. A second
//                    signal ends the remaining work immediately.
//   SIGHUP           re-read the configuration file. A bad file is logged and the
//                    configuration in force stays; log settings apply at once, changes to
//                    listeners and paths are logged as needing a restart.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/uv.h"
#include "config/config.h"

namespace fleetgate::cache {
class Store;
struct OutboxLimits;
}
namespace fleetgate::southbound {
class DeviceRegistry;
class StatusCommitter;
}

namespace fleetgate::gateway {

class PlanOracle;
class SyncService;

// Something the daemon starts and stops: an HTTP server, the CoAP server, the sync loop.
class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  // Takes no new work (closes listeners); work already started goes on.
  virtual void stop_accepting() = 0;
  // Units of work still running (connections with a request in progress, transfers).
  virtual size_t in_flight() const = 0;
  // Ends what is left and releases every handle; `done` runs once all are closed.
  virtual void shut_down(std::function<void()> done) = 0;
};

class Daemon {
 public:
  // `config_path` is re-read on SIGHUP; empty (the demo) means there is nothing to reload.
  Daemon(uv::Loop& loop, const Clock& clock, config::Config config, std::string config_path);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Prepares the state directory, starts every service and the signal watchers.
  // On error nothing is left running (the caller exits non-zero).
  Status start();
  // The SIGTERM path; idempotent. `reason` is logged.
  void request_stop(std::string_view reason);
  // The SIGHUP path. Returns the outcome (also logged).
  Status reload();

  const config::Config& config() const { return config_; }
  MetricsRegistry& metrics() { return metrics_; }
  bool stopping() const { return stopping_; }
  // Where the HTTP services actually listen ("127.0.0.1:41234"), for logs and the demo.
  const std::vector<std::string>& http_addresses() const { return http_addresses_; }
  const std::vector<std::string>& https_addresses() const { return https_addresses_; }
  // Where CoAP (UDP) and CoAP over DTLS-PSK actually listen.
  const std::vector<std::string>& coap_addresses() const { return coap_addresses_; }
  const std::vector<std::string>& coaps_addresses() const { return coaps_addresses_; }

  // Adds a service before start() (tests, and wiring of services built elsewhere).
  void add_service(std::unique_ptr<Service> service);

 private:
  Status open_state();
  Status start_sync();
  Status start_http();
  Status start_coap();
  // The status outbox bound of [northbound] status_outbox_max, for both device APIs.
  cache::OutboxLimits outbox_limits() const;
  void check_drained();
  void finish(bool forced);

  uv::Loop& loop_;
  const Clock& clock_;
  config::Config config_;
  std::string config_path_;
  MetricsRegistry metrics_;
  std::unique_ptr<cache::Store> store_;
  std::unique_ptr<PlanOracle> oracle_;                   // what devices get: the plan in force
  std::unique_ptr<southbound::DeviceRegistry> devices_;  // null: no registry file
  std::vector<std::unique_ptr<Service>> services_;
  SyncService* sync_ = nullptr;  // in services_; null without [northbound] origin
  southbound::StatusCommitter* status_committer_ = nullptr;  // in services_ (a service)
  std::vector<std::unique_ptr<uv::SignalWatcher>> signals_;
  std::unique_ptr<uv::Timer> grace_timer_;
  std::unique_ptr<uv::Timer> drain_poll_;
  std::vector<std::string> http_addresses_;
  std::vector<std::string> https_addresses_;
  std::vector<std::string> coap_addresses_;
  std::vector<std::string> coaps_addresses_;
  size_t services_open_ = 0;
  bool stopping_ = false;
  bool finished_ = false;
};

// Applies [log] settings to the process-wide logger.
void apply_log_config(const config::LogConfig& log);

}  // namespace fleetgate::gateway
