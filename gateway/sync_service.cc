#include "gateway/sync_service.h"

#include <algorithm>

#include "common/log.h"
#include "common/units.h"
#include "gateway/origin_setup.h"

namespace fleetgate::gateway {
namespace {

const Logger kLog("sync");

using std::chrono::milliseconds;

}  // namespace

Result<std::unique_ptr<SyncService>> SyncService::create(uv::Loop& loop, const Clock& clock,
                                                         const config::Config& config,
                                                         cache::Store& store,
                                                         MetricsRegistry& metrics) {
  const config::NorthboundConfig& nb = config.northbound;
  if (config.site.empty()) {
    kLog.warn("no site configured: the gateway mirrors metadata but follows no plan");
  }
  FG_ASSIGN_OR_RETURN(WindowSchedule window, sync_window_for(nb));
  northbound::SyncPolicy policy;
  policy.poll_interval = std::chrono::duration_cast<milliseconds>(nb.poll_interval);
  policy.seed = static_cast<uint64_t>(clock.monotonic().time_since_epoch().count()) | 1;
  std::unique_ptr<SyncService> s(new SyncService(
      loop, clock, store, metrics, northbound::SyncSchedule(clock, policy, std::move(window))));

  FG_ASSIGN_OR_RETURN(s->request_.initial_root, read_trust_root(nb));
  s->request_.site = config.site;

  s->wan_ = std::make_unique<northbound::WanState>(&metrics);
  northbound::OriginOptions options = origin_options_for(nb);
  options.wan_state = s->wan_.get();
  if (nb.origin.starts_with("file://")) {
    FG_ASSIGN_OR_RETURN(s->origin_, northbound::open_origin(nb.origin, options));
  } else {
    FG_ASSIGN_OR_RETURN(std::unique_ptr<northbound::HttpsOrigin> https,
                        northbound::open_https_origin(nb.origin, options));
    s->https_ = https.get();
    s->origin_ = std::move(https);
  }

  std::string token;
  if (!nb.nudge_token_file.empty()) {
    FG_ASSIGN_OR_RETURN(token, read_secret_file(nb.nudge_token_file, "nudge_token_file"));
  }
  s->nudge_client_cn_ = nb.nudge_client_cn;
  if (!token.empty() || !nb.nudge_client_cn.empty()) {
    SyncService* self = s.get();
    FG_ASSIGN_OR_RETURN(northbound::NudgeEndpoint endpoint,
                        northbound::NudgeEndpoint::create(token, !nb.nudge_client_cn.empty(),
                                                          [self] { self->nudge(); }));
    s->nudge_.emplace(std::move(endpoint));
  }
  return s;
}

SyncService::SyncService(uv::Loop& loop, const Clock& clock, cache::Store& store,
                         MetricsRegistry& metrics, northbound::SyncSchedule schedule)
    : loop_(loop),
      clock_(clock),
      store_(store),
      metrics_(metrics),
      schedule_(std::move(schedule)),
      timer_(std::make_unique<uv::Timer>(loop)),
      running_gauge_(&metrics.gauge("fleetgate_sync_running", "1 while a sync cycle runs.")),
      deferred_gauge_(&metrics.gauge(
          "fleetgate_sync_deferred_targets",
          "Targets of a newer plan waiting for the sync window after the last cycle.")) {}

SyncService::~SyncService() = default;

void SyncService::start() {
  kLog.info("sync loop started", {{"origin", origin_->describe()}});
  arm();
}

void SyncService::arm() {
  if (stopping_ || running_ || !timer_) return;
  milliseconds delay = schedule_.until_next();
  timer_->start(delay, [this] { start_cycle(); });
}

void SyncService::nudge() {
  schedule_.nudge();
  if (running_) {
    nudged_while_running_ = true;  // the cycle running may have missed what changed
    return;
  }
  arm();
}

void SyncService::start_cycle() {
  if (stopping_ || running_) return;
  running_ = true;
  running_gauge_->set(1);
  northbound::SyncRequest request = request_;
  request.window_open = schedule_.may_fetch(/*critical=*/false);
  auto result = std::make_shared<std::optional<Result<northbound::SyncOutcome>>>();
  loop_.queue_work(
      [this, request = std::move(request), result] {
        // The worker thread: blocking work (network on the origin's own loop, hashing,
        // LMDB writes) happens here, never on the daemon loop.
        result->emplace(northbound::run_sync_once(store_, *origin_, clock_, request));
      },
      [this, result](Status queued) {
        if (!queued.ok()) {
          cycle_done(queued.take_error());
        } else {
          cycle_done(std::move(**result));
        }
      });
}

void SyncService::cycle_done(Result<northbound::SyncOutcome> outcome) {
  running_ = false;
  running_gauge_->set(0);
  ++cycles_;
  publish_counters();
  Status status = outcome.ok() ? ok_status() : Status(outcome.error());
  if (stopping_) {
    if (!outcome.ok() && outcome.error().code != Errc::cancelled) {
      kLog.warn("sync cycle ended while stopping", {{"error", outcome.error()}});
    } else {
      kLog.info("sync cycle stopped; committed chunks are kept and resume at the next start");
    }
    if (on_closed_) {
      auto done = std::move(on_closed_);
      on_closed_ = nullptr;
      done();
    }
    return;
  }
  const char* result = "ok";
  if (outcome.ok()) {
    deferred_gauge_->set(static_cast<double>(outcome->deferred));
    kLog.info("sync cycle finished",
              {{"plan_version", outcome->plan_version ? std::to_string(*outcome->plan_version)
                                                      : std::string("none")},
               {"plan_changed", outcome->plan_changed},
               {"fetched", outcome->fetched},
               {"pinned", outcome->pinned},
               {"deferred", outcome->deferred}});
    if (on_synced_) on_synced_();
  } else {
    const Error& e = outcome.error();
    result = e.code == Errc::network || e.code == Errc::timeout ? "unreachable" : "error";
    kLog.warn("sync cycle failed", {{"error", e}});
  }
  metrics_.counter("fleetgate_sync_cycles_total", "Sync cycles by outcome.", {{"result", result}})
      .inc();
  schedule_.cycle_finished(status);
  if (nudged_while_running_) {
    nudged_while_running_ = false;
    schedule_.nudge();
  }
  arm();
  // Downloads wait for the window: come back when it opens, if that is before the poll.
  if (outcome.ok() && outcome->deferred > 0 && timer_) {
    auto opens = schedule_.fetch_allowed_from() - clock_.now();
    auto until = std::chrono::ceil<milliseconds>(opens);
    if (until < schedule_.until_next()) {
      timer_->start(std::max(until, milliseconds(0)), [this] { start_cycle(); });
    }
  }
}

void SyncService::publish_counters() {
  if (!https_) return;
  // Read after the worker returned: no other thread touches the origin now.
  const northbound::OriginCounters now = https_->counters();
  auto publish = [&](const char* name, const char* help, uint64_t value, uint64_t& last) {
    metrics_.counter(name, help).inc(value >= last ? value - last : 0);
    last = value;
  };
  publish("fleetgate_origin_requests_total", "Requests sent to the origin.", now.requests,
          published_.requests);
  publish("fleetgate_origin_body_bytes_total", "Body bytes received from the origin.",
          now.body_bytes, published_.body_bytes);
  publish("fleetgate_origin_wire_bytes_total", "Bytes received from the origin (all).",
          now.wire_bytes, published_.wire_bytes);
  publish("fleetgate_origin_resumes_total", "Transfers resumed after a cut.", now.resumes,
          published_.resumes);
  publish("fleetgate_origin_restarts_total", "200 answers to range requests (restart at 0).",
          now.restarts, published_.restarts);
  publish("fleetgate_origin_not_modified_total", "304 answers to conditional GETs.",
          now.not_modified, published_.not_modified);
  publish("fleetgate_origin_connections_total", "Connections opened to the origin.",
          now.connections, published_.connections);
}

void SyncService::stop_accepting() {
  if (stopping_) return;
  stopping_ = true;
  if (timer_) timer_->stop();
  if (running_ && https_) {
    kLog.info("stopping: cancelling the running sync cycle");
    https_->cancel();
  }
}

void SyncService::shut_down(std::function<void()> done) {
  stop_accepting();
  timer_.reset();
  if (running_) {
    // The worker cannot be interrupted by the loop; done runs in cycle_done.
    on_closed_ = std::move(done);
    return;
  }
  loop_.defer(std::move(done));
}

}  // namespace fleetgate::gateway
