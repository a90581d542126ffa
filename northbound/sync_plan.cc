#include "northbound/sync_plan.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "common/units.h"
#include "northbound/canonical_json.h"
#include "northbound/metadata.h"

namespace fleetgate::northbound {
namespace {

using json = nlohmann::json;

Error plan_error(const std::string& field, const std::string& message) {
  return make_error(Errc::invalid_argument, "sync_plan",
                    "sync plan field \"" + field + "\": " + message);
}

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

Result<std::string> opt_string(const json& obj, const char* key, const std::string& path,
                               std::string fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_string()) return plan_error(path + key, shown(*it) + " is not a string");
  return it->get<std::string>();
}

Result<uint64_t> opt_uint(const json& obj, const char* key, const std::string& path,
                          uint64_t fallback, uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return plan_error(path + key,
                      shown(*it) + " is not an integer from 0 to " + std::to_string(max));
  }
  return it->get<uint64_t>();
}

Result<double> opt_ratio(const json& obj, const char* key, const std::string& path,
                         double fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number() || !(it->get<double>() >= 0.0 && it->get<double>() <= 1.0)) {
    return plan_error(path + key, shown(*it) + " is not a ratio from 0 to 1");
  }
  return it->get<double>();
}

Result<std::string> target_name(const json& v, const std::string& field) {
  if (!v.is_string() || !is_safe_target_name(v.get<std::string>())) {
    return plan_error(field, shown(v) + " is not a target name such as \"fw/a.bin\"");
  }
  return v.get<std::string>();
}

Status check_cron(const std::string& cron, const std::string& field) {
  // Five space-separated fields of digits and , - * /; evaluation lives with the scheduler.
  int fields = 0;
  bool in_field = false;
  for (char c : cron) {
    if (c == ' ') {
      in_field = false;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != ',' && c != '-' && c != '*' &&
        c != '/') {
      return plan_error(field, "\"" + cron + "\" has '" + std::string(1, c) +
                                   "'; expected 5 cron fields of digits and , - * /");
    }
    if (!in_field) ++fields;
    in_field = true;
  }
  if (fields != 5) return plan_error(field, "\"" + cron + "\" does not have 5 cron fields");
  return ok_status();
}

Result<PlanWindow> parse_window(const json& d, const std::string& path) {
  PlanWindow w;
  auto it = d.find("window");
  if (it == d.end() || (it->is_string() && *it == "always")) return w;
  const std::string field = path + "window";
  if (!it->is_object()) return plan_error(field, shown(*it) + " is not \"always\" or an object");
  w.always = false;
  FG_ASSIGN_OR_RETURN(w.cron, opt_string(*it, "cron", field + ".", ""));
  FG_TRY(check_cron(w.cron, field + ".cron"));
  FG_ASSIGN_OR_RETURN(std::string dur, opt_string(*it, "duration", field + ".", ""));
  auto parsed = parse_duration(dur);
  if (!parsed.ok() || *parsed < std::chrono::seconds(1)) {
    return plan_error(field + ".duration",
                      "\"" + dur + "\" is not a positive duration like \"3h\"");
  }
  w.duration = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
  FG_ASSIGN_OR_RETURN(w.tz, opt_string(*it, "tz", field + ".", "UTC"));
  if (w.tz.empty() || w.tz.find("..") != std::string::npos || w.tz.front() == '/') {
    return plan_error(field + ".tz", "\"" + w.tz + "\" is not an IANA time zone name");
  }
  return w;
}

Result<Deployment> parse_deployment(const json& d, const std::string& path) {
  if (!d.is_object()) return plan_error(path.substr(0, path.size() - 1), "is not an object");
  Deployment dep;
  FG_ASSIGN_OR_RETURN(dep.id, opt_string(d, "id", path, ""));
  if (dep.id.empty()) return plan_error(path + "id", "is required and must not be empty");
  auto target = d.find("target");
  if (target == d.end()) return plan_error(path + "target", "is required");
  FG_ASSIGN_OR_RETURN(dep.target, target_name(*target, path + "target"));

  if (auto sel = d.find("select"); sel != d.end()) {
    if (!sel->is_object()) return plan_error(path + "select", "is not an object");
    FG_ASSIGN_OR_RETURN(dep.select.group, opt_string(*sel, "group", path + "select.", ""));
    FG_ASSIGN_OR_RETURN(dep.select.hardware, opt_string(*sel, "hardware", path + "select.", ""));
    FG_ASSIGN_OR_RETURN(dep.select.version, opt_string(*sel, "version", path + "select.", ""));
  }
  FG_ASSIGN_OR_RETURN(dep.window, parse_window(d, path));

  if (auto rate = d.find("rate"); rate != d.end()) {
    const std::string rp = path + "rate.";
    if (!rate->is_object()) return plan_error(path + "rate", "is not an object");
    if (auto bps = rate->find("bytes_per_s"); bps != rate->end()) {
      Result<uint64_t> size = bps->is_number_unsigned() ? Result<uint64_t>(bps->get<uint64_t>())
                              : bps->is_string()        ? parse_rate(bps->get<std::string>())
                                                        : Result<uint64_t>(plan_error(rp, ""));
      if (!size.ok()) {
        return plan_error(rp + "bytes_per_s", shown(*bps) + " is not a size like \"2MiB\"");
      }
      dep.rate.bytes_per_s = *size;
    }
    FG_ASSIGN_OR_RETURN(uint64_t mc, opt_uint(*rate, "max_concurrent", rp, 0, 1'000'000));
    dep.rate.max_concurrent = static_cast<uint32_t>(mc);
  }

  if (auto stages = d.find("stages"); stages != d.end()) {
    if (!stages->is_array() || stages->empty()) {
      return plan_error(path + "stages", "is not a non-empty array");
    }
    dep.stages.clear();
    uint32_t last = 0;
    for (size_t i = 0; i < stages->size(); ++i) {
      const std::string sp = path + "stages[" + std::to_string(i) + "].";
      const json& s = (*stages)[i];
      if (!s.is_object()) return plan_error(sp, "is not an object");
      PlanStage st;
      FG_ASSIGN_OR_RETURN(uint64_t pct, opt_uint(s, "percent", sp, 0, 100));
      if (pct <= last) {
        return plan_error(
            sp + "percent",
            std::to_string(pct) + " must be above the previous stage's " + std::to_string(last));
      }
      st.percent = static_cast<uint32_t>(pct);
      last = st.percent;
      FG_ASSIGN_OR_RETURN(st.gate, opt_ratio(s, "gate", sp, 0.95));
      dep.stages.push_back(st);
    }
    if (last != 100) return plan_error(path + "stages", "the last stage must reach 100 percent");
  }

  if (auto ab = d.find("abort"); ab != d.end()) {
    if (!ab->is_object()) return plan_error(path + "abort", "is not an object");
    FG_ASSIGN_OR_RETURN(dep.abort.failure_ratio,
                        opt_ratio(*ab, "failure_ratio", path + "abort.", 1.0));
    FG_ASSIGN_OR_RETURN(uint64_t md, opt_uint(*ab, "min_devices", path + "abort.", 1, 1u << 30));
    dep.abort.min_devices = static_cast<uint32_t>(md);
  }
  if (auto rb = d.find("rollback");
      rb != d.end() && !(rb->is_string() && rb->get<std::string>().empty())) {
    FG_ASSIGN_OR_RETURN(dep.rollback, target_name(*rb, path + "rollback"));
  }
  FG_ASSIGN_OR_RETURN(std::string action, opt_string(d, "action", path, "install"));
  if (action == "install") {
    dep.action = PlanAction::install;
  } else if (action == "download-only") {
    dep.action = PlanAction::download_only;
  } else {
    return plan_error(path + "action",
                      "\"" + action + "\" is not \"install\" or \"download-only\"");
  }
  FG_ASSIGN_OR_RETURN(std::string prio, opt_string(d, "priority", path, "normal"));
  if (prio == "normal") {
    dep.priority = PlanPriority::normal;
  } else if (prio == "critical") {
    dep.priority = PlanPriority::critical;
  } else {
    return plan_error(path + "priority", "\"" + prio + "\" is not \"normal\" or \"critical\"");
  }
  return dep;
}

}  // namespace

std::vector<std::string> SyncPlan::referenced_targets() const {
  std::set<std::string> names(prefetch.begin(), prefetch.end());
  for (const auto& d : deployments) {
    names.insert(d.target);
    if (!d.rollback.empty()) names.insert(d.rollback);
  }
  return {names.begin(), names.end()};
}

Result<SyncPlan> parse_sync_plan(std::string_view json_text) {
  FG_ASSIGN_OR_RETURN(json doc, parse_json(json_text, "sync plan"));
  if (!doc.is_object()) return plan_error("", "the plan is not a JSON object");
  SyncPlan plan;
  FG_ASSIGN_OR_RETURN(plan.site, opt_string(doc, "site", "", ""));
  if (plan.site.empty() || plan.site.find('/') != std::string::npos ||
      plan.site.find("..") != std::string::npos) {
    return plan_error("site", "is required: a site name without '/' or '..'");
  }
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return plan_error("version", "is required: an integer of at least 1");
  }
  plan.version = version->get<uint64_t>();
  if (auto pf = doc.find("prefetch"); pf != doc.end()) {
    if (!pf->is_array()) return plan_error("prefetch", "is not an array of target names");
    for (size_t i = 0; i < pf->size(); ++i) {
      FG_ASSIGN_OR_RETURN(std::string name,
                          target_name((*pf)[i], "prefetch[" + std::to_string(i) + "]"));
      plan.prefetch.push_back(std::move(name));
    }
  }
  if (auto deps = doc.find("deployments"); deps != doc.end()) {
    if (!deps->is_array()) return plan_error("deployments", "is not an array");
    std::set<std::string> ids;
    for (size_t i = 0; i < deps->size(); ++i) {
      const std::string path = "deployments[" + std::to_string(i) + "].";
      FG_ASSIGN_OR_RETURN(Deployment d, parse_deployment((*deps)[i], path));
      if (!ids.insert(d.id).second) {
        return plan_error(path + "id", "\"" + d.id + "\" is used by two deployments");
      }
      plan.deployments.push_back(std::move(d));
    }
  }
  return plan;
}

Result<bool> check_plan_succession(const SyncPlan& in_force, const SyncPlan& incoming) {
  if (incoming.site != in_force.site) {
    return make_error(
        Errc::verification, "site_mismatch",
        "site mismatch: plan is for site '" + incoming.site + "', not '" + in_force.site + "'");
  }
  if (incoming.version < in_force.version) {
    return make_error(Errc::verification, "rollback",
                      "rollback: plan version " + std::to_string(incoming.version) +
                          " is lower than version " + std::to_string(in_force.version) +
                          " in force");
  }
  return incoming.version > in_force.version;
}

}  // namespace fleetgate::northbound
