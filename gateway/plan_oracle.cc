#include "gateway/plan_oracle.h"

#include "northbound/metadata.h"
#include "southbound/device_registry.h"

namespace fleetgate::gateway {
namespace {

// How long a device waits before asking again while its target is still being fetched.
constexpr std::chrono::seconds kFetchingRetry{60};

bool selects(const northbound::PlanSelector& s, const southbound::Device& d) {
  return (s.group.empty() || s.group == d.group) &&
         (s.hardware.empty() || s.hardware == d.hardware);
}

}  // namespace

Status PlanOracle::refresh() {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> plan_text,
                      store_.kv_get(cache::Table::plans, site_));
  if (!plan_text) {
    assignments_.clear();
    plan_version_ = 0;
    return ok_status();
  }
  FG_ASSIGN_OR_RETURN(northbound::SyncPlan plan, northbound::parse_sync_plan(*plan_text));
  FG_ASSIGN_OR_RETURN(std::optional<std::string> targets_bytes,
                      store_.kv_get(cache::Table::trusted_metadata, "targets"));
  if (!targets_bytes) {
    return make_error(Errc::corrupt, "no_targets",
                      "the plan in force has no trusted targets metadata beside it");
  }
  // The stored metadata was verified when it was accepted: parse, don't verify again.
  FG_ASSIGN_OR_RETURN(northbound::SignedEnvelope env,
                      northbound::parse_envelope(*targets_bytes, northbound::Role::targets));
  FG_ASSIGN_OR_RETURN(northbound::TargetsMetadata targets, northbound::parse_targets(env));

  std::vector<Assignment> next;
  for (const northbound::Deployment& d : plan.deployments) {
    auto t = targets.targets.find(d.target);
    if (t == targets.targets.end()) {
      return make_error(Errc::corrupt, "unlisted_target",
                        "deployment '" + d.id + "' names target '" + d.target +
                            "', which the trusted targets metadata does not list");
    }
    next.push_back(
        Assignment{d.id, d.target, d.select, d.action, t->second.length, t->second.sha256});
  }
  assignments_ = std::move(next);
  plan_version_ = plan.version;
  return ok_status();
}

const PlanOracle::Assignment* PlanOracle::match(const southbound::Device& device) const {
  for (const Assignment& a : assignments_) {
    if (selects(a.select, device)) return &a;
  }
  return nullptr;
}

southbound::NextAnswer PlanOracle::next(const southbound::Device& device) {
  southbound::NextAnswer answer;
  const Assignment* a = match(device);
  if (a == nullptr) return answer;  // nothing
  auto info = store_.stat(a->sha256);
  if (!info.ok() || info->state != cache::ArtifactState::ready) {
    answer.kind = southbound::NextAnswer::Kind::come_back_later;
    answer.retry_after = kFetchingRetry;
    return answer;
  }
  answer.kind = southbound::NextAnswer::Kind::update;
  answer.deployment = a->deployment;
  answer.target = a->target;
  answer.length = a->length;
  answer.sha256 = a->sha256;
  answer.action = a->action == northbound::PlanAction::download_only ? "download-only" : "install";
  return answer;
}

bool PlanOracle::may_read(const southbound::Device* device, const Sha256Digest& blob) {
  if (device == nullptr) return false;
  const Assignment* a = match(*device);
  return a != nullptr && a->sha256 == blob;
}

}  // namespace fleetgate::gateway
