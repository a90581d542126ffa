// The state of the WAN link as the sync engine sees it, from the outcome of each origin
// exchange:
//   online   - the last exchange succeeded without trouble;
//   degraded - it succeeded only after resumes or retries, or failed fewer than
//              `offline_after` times in a row;
//   offline  - `offline_after` consecutive failures. The gateway keeps serving devices
//              from the cache; sync retries with backoff until an exchange succeeds.
// Each change is logged once (warn when getting worse, info when recovering) and the
// state is exported as the gauge fleetgate_wan_state (0 online, 1 degraded, 2 offline).
// Not thread-safe: fed from one thread (the sync worker or the loop).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"

namespace fleetgate::northbound {

enum class WanLink { online = 0, degraded = 1, offline = 2 };
std::string_view wan_link_name(WanLink link);

class WanState {
 public:
  // `metrics` may be null (tests, tools).
  explicit WanState(MetricsRegistry* metrics = nullptr, uint32_t offline_after = 3);

  // An exchange reached the origin and got an answer (a 404 counts: the link works).
  // `troubled`: it needed resumes or retries.
  void record_success(bool troubled);
  // An exchange failed on the network (Errc::network or Errc::timeout).
  void record_failure(const Error& error);

  WanLink link() const { return link_; }
  uint32_t consecutive_failures() const { return failures_; }
  uint64_t changes() const { return changes_; }

 private:
  void set(WanLink next, std::string_view why);

  WanLink link_ = WanLink::online;
  uint32_t offline_after_;
  uint32_t failures_ = 0;
  uint64_t changes_ = 0;
  Gauge* gauge_ = nullptr;
  Counter* changes_metric_ = nullptr;
};

}  // namespace fleetgate::northbound
