#include "northbound/sync_cycle.h"

#include <vector>

#include "northbound/sync_plan.h"

namespace fleetgate::northbound {
namespace {

constexpr uint64_t kMaxPlanBytes = 4 * 1024 * 1024;

// A plan with a critical deployment (a security fix) downloads outside the window.
bool is_critical(const SyncPlan& plan) {
  for (const Deployment& d : plan.deployments) {
    if (d.priority == PlanPriority::critical) return true;
  }
  return false;
}

}  // namespace

Result<SyncOutcome> run_sync_once(cache::Store& store, Origin& origin, const Clock& clock,
                                  const SyncRequest& request) {
  SyncOutcome outcome;
  TufUpdater updater(store, origin, clock, request.initial_root, request.limits);
  FG_TRY(updater.refresh());

  const std::string owner = "plan:" + request.site;
  FG_ASSIGN_OR_RETURN(std::optional<std::string> in_force_text,
                      store.kv_get(cache::Table::plans, request.site));
  std::optional<SyncPlan> in_force;
  if (in_force_text) {
    auto parsed = parse_sync_plan(*in_force_text);
    if (parsed.ok()) in_force = std::move(parsed).value();
  }

  const std::string plan_name = "plans/" + request.site + ".json";
  auto signed_plan = updater.target(plan_name);
  if (!signed_plan.ok()) {
    if (signed_plan.error().code != Errc::not_found) return signed_plan.take_error();
    // No plan for this site is published: keep whatever is in force.
    if (in_force) outcome.plan_version = in_force->version;
    return outcome;
  }
  // The plan is kept in the plans table, not served: read it into memory.
  FG_ASSIGN_OR_RETURN(std::string plan_text, updater.fetch_target_bytes(plan_name, kMaxPlanBytes));
  auto plan = parse_sync_plan(plan_text);
  if (!plan.ok()) {
    Error e = plan.take_error();
    return make_error(Errc::verification, "bad_plan", plan_name + ": " + e.message);
  }
  if (plan->site != request.site) {
    return make_error(Errc::verification, "site_mismatch",
                      "site mismatch: " + plan_name + " is for site '" + plan->site + "'");
  }
  if (in_force) {
    FG_ASSIGN_OR_RETURN(outcome.plan_changed, check_plan_succession(*in_force, *plan));
  } else {
    outcome.plan_changed = true;
  }

  // Outside the window only a critical plan may download; any other plan that needs
  // downloads waits, and the plan in force stays as it was.
  if (!request.window_open && !is_critical(*plan)) {
    for (const std::string& name : plan->referenced_targets()) {
      FG_ASSIGN_OR_RETURN(TargetFile tf, updater.target(name));
      auto held = store.stat(tf.sha256);
      if (!held.ok() || held->state != cache::ArtifactState::ready) ++outcome.deferred;
    }
    if (outcome.deferred > 0) {
      outcome.plan_changed = false;
      if (in_force) outcome.plan_version = in_force->version;
      return outcome;
    }
  }

  // Fetch everything first: a refused or failed target leaves the plan in force as it was.
  std::vector<Sha256Digest> to_pin;
  // Deployment and rollback targets too: a device must never be told to fetch what the
  // gateway does not hold.
  for (const std::string& name : plan->referenced_targets()) {
    FG_ASSIGN_OR_RETURN(TargetFile tf, updater.target(name));
    auto before = store.stat(tf.sha256);
    const bool had = before.ok() && before->state == cache::ArtifactState::ready;
    FG_ASSIGN_OR_RETURN(cache::ArtifactInfo info, updater.fetch_target(name));
    if (!had) ++outcome.fetched;
    to_pin.push_back(info.sha256);
  }
  if (outcome.plan_changed) FG_TRY(store.unpin_all(owner));
  for (const auto& sha : to_pin) FG_TRY(store.pin(sha, owner));
  outcome.pinned = to_pin.size();
  if (outcome.plan_changed) {
    const cache::KvWrite write{cache::Table::plans, request.site, plan_text};
    FG_TRY(store.kv_write(std::span<const cache::KvWrite>(&write, 1)));
  }
  outcome.plan_version = plan->version;
  return outcome;
}

}  // namespace fleetgate::northbound
