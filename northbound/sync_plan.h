// A sync plan: the signed target `plans/<site>.json` that tells one site what to
// pre-fetch and how to roll it out (DESIGN.md section 2).
//
// Every field but `site` and `version` has a default; unknown fields are ignored so the
// cloud can add fields before gateways understand them. Defaults:
//   prefetch             []            nothing is fetched ahead of a deployment
//   deployments          []
//   deployment.select    {}            every field empty = matches any device
//     .group/.hardware/.version  ""    "" = any
//   deployment.window    absent        always open; or "always"; or
//                                      {"cron": 5 fields, "duration": "3h", "tz": "UTC"}
//     .tz                "UTC"         an IANA zone name
//   deployment.rate      {}            bytes_per_s "0" = unlimited (units: B, KiB, MiB,
//                                      GiB, KB, MB, GB); max_concurrent 0 = unlimited
//   deployment.stages    [{"percent": 100}]  percents strictly increasing, the last 100
//     .gate              0.95          success ratio of a stage before the next opens
//   deployment.abort     failure_ratio 1.0 (never aborts), min_devices 1
//   deployment.rollback  ""            no rollback target
//   deployment.action    "install"     or "download-only"
//   deployment.priority  "normal"      or "critical"
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fleetgate::northbound {

struct PlanSelector {
  std::string group;
  std::string hardware;
  std::string version;
};

struct PlanWindow {
  bool always = true;
  std::string cron;  // "min hour day-of-month month day-of-week"
  std::chrono::seconds duration{0};
  std::string tz = "UTC";
};

struct PlanRate {
  uint64_t bytes_per_s = 0;     // 0 = unlimited
  uint32_t max_concurrent = 0;  // 0 = unlimited
};

struct PlanStage {
  uint32_t percent = 100;
  double gate = 0.95;
};

struct PlanAbort {
  double failure_ratio = 1.0;
  uint32_t min_devices = 1;
};

enum class PlanAction { install, download_only };
enum class PlanPriority { normal, critical };

struct Deployment {
  std::string id;
  std::string target;
  PlanSelector select;
  PlanWindow window;
  PlanRate rate;
  std::vector<PlanStage> stages{PlanStage{}};
  PlanAbort abort;
  std::string rollback;
  PlanAction action = PlanAction::install;
  PlanPriority priority = PlanPriority::normal;
};

struct SyncPlan {
  std::string site;
  uint64_t version = 0;
  std::vector<std::string> prefetch;
  std::vector<Deployment> deployments;

  // Every target name the plan refers to (prefetch, deployment targets and rollbacks),
  // sorted and without duplicates.
  std::vector<std::string> referenced_targets() const;
};

// Errc::invalid_argument ("sync_plan") naming the field and the value.
Result<SyncPlan> parse_sync_plan(std::string_view json_text);

// A plan may replace the one in force only if it is for the same site and its version
// does not go backwards: Errc::verification "rollback" otherwise. Returns false when the
// version is equal (nothing to do), true when the plan is newer.
Result<bool> check_plan_succession(const SyncPlan& in_force, const SyncPlan& incoming);

}  // namespace fleetgate::northbound
