// The gateway's answer to southbound's two questions (southbound/deployment_oracle.h)
// until the rollout engine lands: it reads the sync plan in force and the trusted
// targets metadata from the store, and
//   next(device)      the first deployment whose selector matches the device's group and
//                     hardware: 200 with its target when the target is ready in the cache,
//                     503 (come back later) while it is still being fetched; 204 when no
//                     deployment matches. No windows, stages or rates yet, and the
//                     selector's `version` is not evaluated (the gateway does not know
//                     what a device runs until status reports are interpreted).
//   may_read(device)  only the target of a deployment that matches that device;
//                     unauthenticated clients read nothing. The answer never depends on
//                     whether the blob is cached.
// The plan is parsed once per refresh(), not per request: the daemon calls refresh() at
// start and after every sync cycle. Loop thread only.
#pragma once

#include <string>
#include <vector>

#include "cache/store.h"
#include "common/digest.h"
#include "common/result.h"
#include "northbound/sync_plan.h"
#include "southbound/deployment_oracle.h"

namespace fleetgate::gateway {

class PlanOracle final : public southbound::DeploymentOracle {
 public:
  PlanOracle(cache::Store& store, std::string site) : store_(store), site_(std::move(site)) {}

  // Re-reads the plan in force and the trusted targets. A plan that cannot be read keeps
  // the previous answers (logged by the caller); no plan at all answers nothing.
  Status refresh();
  uint64_t plan_version() const { return plan_version_; }

  southbound::NextAnswer next(const southbound::Device& device) override;
  bool may_read(const southbound::Device* device, const Sha256Digest& blob) override;

 private:
  struct Assignment {
    std::string deployment;
    std::string target;
    northbound::PlanSelector select;
    northbound::PlanAction action = northbound::PlanAction::install;
    uint64_t length = 0;
    Sha256Digest sha256;
  };
  const Assignment* match(const southbound::Device& device) const;

  cache::Store& store_;
  std::string site_;
  uint64_t plan_version_ = 0;
  std::vector<Assignment> assignments_;  // in plan order
};

}  // namespace fleetgate::gateway
