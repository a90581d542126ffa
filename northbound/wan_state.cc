#include "northbound/wan_state.h"

#include <string>

#include "common/log.h"

namespace fleetgate::northbound {
namespace {
const Logger kLog("northbound");
}

std::string_view wan_link_name(WanLink link) {
  switch (link) {
    case WanLink::online:
      return "online";
    case WanLink::degraded:
      return "degraded";
    case WanLink::offline:
      return "offline";
  }
  return "unknown";
}

WanState::WanState(MetricsRegistry* metrics, uint32_t offline_after)
    : offline_after_(offline_after ? offline_after : 1) {
  if (metrics) {
    gauge_ = &metrics->gauge("fleetgate_wan_state",
                             "WAN link to the origin: 0 online, 1 degraded, 2 offline.");
    changes_metric_ =
        &metrics->counter("fleetgate_wan_state_changes_total", "Changes of the WAN link state.");
    gauge_->set(0);
  }
}

void WanState::record_success(bool troubled) {
  failures_ = 0;
  set(troubled ? WanLink::degraded : WanLink::online,
      troubled ? "exchange needed resumes or retries" : "exchange succeeded");
}

void WanState::record_failure(const Error& error) {
  ++failures_;
  set(failures_ >= offline_after_ ? WanLink::offline : WanLink::degraded, error.message);
}

void WanState::set(WanLink next, std::string_view why) {
  if (next == link_) return;
  const WanLink before = link_;
  link_ = next;
  ++changes_;
  if (gauge_) gauge_->set(static_cast<double>(static_cast<int>(next)));
  if (changes_metric_) changes_metric_->inc();
  const LogFields fields = {{"from", wan_link_name(before)},
                            {"to", wan_link_name(next)},
                            {"failures", failures_},
                            {"reason", why}};
  if (static_cast<int>(next) > static_cast<int>(before)) {
    kLog.warn("WAN link state changed", fields);
  } else {
    kLog.info("WAN link state changed", fields);
  }
}

}  // namespace fleetgate::northbound
