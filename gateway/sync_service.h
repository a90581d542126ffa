// The daemon's sync loop (issue 5): with [northbound] origin set, SyncSchedule
// (northbound/sync_engine.h) decides when a cycle runs; a cycle is run_sync_once on a
// libuv pool thread (uv_queue_work), its outcome is reported back on the loop thread,
// and a timer is armed for the next one.
//
// Threads: one origin is created at start and kept for the whole run (its kept-alive
// connection, ETags, conditional-GET cache and backoff carry over between cycles). It is
// used only from the worker, one cycle at a time, and runs its own private loop there
// (northbound/https_origin.h). The cycle shares with the daemon loop only the Store
// (LMDB: safe with one writer), atomic metrics, and HttpsOrigin::cancel().
//
// Shutdown: stop_accepting() cancels a running cycle at once (a 1 GiB download does not
// hold up SIGTERM); committed chunks stay and the ingest resumes at the next start.
// in_flight() is 1 until the worker has returned.
//
// Metrics: fleetgate_wan_state (0 online, 1 degraded, 2 offline; from WanState),
// fleetgate_sync_cycles_total{result}, fleetgate_sync_running, fleetgate_sync_deferred_targets,
// fleetgate_origin_*_total (the origin's counters, published after each cycle).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cache/store.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/uv.h"
#include "config/config.h"
#include "gateway/daemon.h"
#include "northbound/https_origin.h"
#include "northbound/nudge.h"
#include "northbound/sync_cycle.h"
#include "northbound/sync_engine.h"
#include "northbound/wan_state.h"

namespace fleetgate::gateway {

class SyncService final : public Service {
 public:
  // Errc::config for a bad origin URL, unreadable trust root, window or nudge token file.
  // Does not start: start() arms the first cycle (due at once).
  static Result<std::unique_ptr<SyncService>> create(uv::Loop& loop, const Clock& clock,
                                                     const config::Config& config,
                                                     cache::Store& store, MetricsRegistry& metrics);
  ~SyncService() override;

  void start();

  std::string_view name() const override { return "sync"; }
  void stop_accepting() override;
  size_t in_flight() const override { return running_ ? 1 : 0; }
  void shut_down(std::function<void()> done) override;

  // A cycle now, or right after the one running (loop thread).
  void nudge();
  // POST /v1/sync/nudge, null when neither nudge_token_file nor nudge_client_cn is set.
  const northbound::NudgeEndpoint* nudge_endpoint() const { return nudge_ ? &*nudge_ : nullptr; }
  const std::string& nudge_client_cn() const { return nudge_client_cn_; }

  uint64_t cycles() const { return cycles_; }
  // Runs on the loop thread after each successful cycle (the daemon refreshes what
  // devices are told from the plan in force).
  void set_on_synced(std::function<void()> fn) { on_synced_ = std::move(fn); }

 private:
  SyncService(uv::Loop& loop, const Clock& clock, cache::Store& store, MetricsRegistry& metrics,
              northbound::SyncSchedule schedule);
  void arm();
  void start_cycle();
  void cycle_done(Result<northbound::SyncOutcome> outcome);
  void publish_counters();

  uv::Loop& loop_;
  const Clock& clock_;
  cache::Store& store_;
  MetricsRegistry& metrics_;
  northbound::SyncSchedule schedule_;
  northbound::SyncRequest request_;
  std::unique_ptr<northbound::WanState> wan_;  // fed by the origin, on the worker
  std::unique_ptr<northbound::Origin> origin_;
  northbound::HttpsOrigin* https_ = nullptr;  // origin_ when it is http(s): cancel, counters
  std::optional<northbound::NudgeEndpoint> nudge_;
  std::string nudge_client_cn_;
  std::unique_ptr<uv::Timer> timer_;
  bool running_ = false;
  bool nudged_while_running_ = false;
  bool stopping_ = false;
  std::function<void()> on_closed_;
  std::function<void()> on_synced_;  // shut_down's `done`, once the worker returned
  uint64_t cycles_ = 0;
  northbound::OriginCounters published_;
  Gauge* running_gauge_;
  Gauge* deferred_gauge_;
};

}  // namespace fleetgate::gateway
