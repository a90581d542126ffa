// One sync cycle: refresh the trusted metadata, take this site's plan in force if a
// newer one is signed, fetch every target it refers to (prefetch, deployments,
// rollbacks), and pin them.
//
// The plan in force is kept in the store's plans table under the site name; pins are
// owned by "plan:<site>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cache/store.h"
#include "common/clock.h"
#include "common/result.h"
#include "northbound/origin.h"
#include "northbound/tuf_updater.h"

namespace fleetgate::northbound {

struct SyncRequest {
  std::string site;
  std::string initial_root;  // bytes of the out-of-band trust root
  UpdaterLimits limits;
  // Whether the sync window is open now (SyncSchedule::may_fetch(false)). When closed,
  // metadata is still refreshed, but a plan that needs downloads is taken into force only
  // if one of its deployments has priority critical; otherwise the plan in force stays and the
  // downloads wait for the window (SyncOutcome::deferred).
  bool window_open = true;
};

struct SyncOutcome {
  std::optional<uint64_t> plan_version;  // the plan in force after the cycle
  bool plan_changed = false;
  size_t fetched = 0;   // targets downloaded in this cycle
  size_t pinned = 0;    // targets pinned by the plan in force
  size_t deferred = 0;  // targets not downloaded because the window is closed
};

// Refusals keep their Errc::verification / Errc::unsupported detail ("rollback" for a
// plan whose version goes backwards); an unreachable origin is Errc::network.
Result<SyncOutcome> run_sync_once(cache::Store& store, Origin& origin, const Clock& clock,
                                  const SyncRequest& request);

}  // namespace fleetgate::northbound
