#include "southbound/status_report.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace fleetgate::southbound {
namespace {

constexpr std::array<std::string_view, 6> kStates = {"downloading", "downloaded", "installing",
                                                     "installed",   "failed",     "deferred"};

// One sequence for every server (HTTP and CoAP listeners), so two reports received in
// the same millisecond never get the same outbox key.
std::atomic<uint64_t> g_report_seq{0};

Error reject(std::string why) {
  return make_error(Errc::invalid_argument, "bad_status_report", "status report rejected: " + why);
}

}  // namespace

Result<std::string> parse_status_report(const Device& device, std::string_view body,
                                        int64_t now_ms) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return reject("body is not valid JSON");
  if (!doc.is_object()) return reject("body must be a JSON object");
  nlohmann::json record = nlohmann::json::object();
  for (auto& [key, value] : doc.items()) {
    if (key != "deployment" && key != "state" && key != "version" && key != "reason") {
      return reject("unknown field '" + key + "' (expected deployment, state, version, reason)");
    }
    if (!value.is_string()) return reject("field '" + key + "' must be a string");
    record[key] = value;
  }
  if (!doc.contains("deployment") || doc["deployment"].get_ref<const std::string&>().empty()) {
    return reject("field 'deployment' is required");
  }
  if (!doc.contains("state")) return reject("field 'state' is required");
  const std::string& state = doc["state"].get_ref<const std::string&>();
  bool known = false;
  for (std::string_view s : kStates) known = known || s == state;
  if (!known) {
    return reject("state '" + state +
                  "' is not one of downloading, downloaded, installing, installed, failed, "
                  "deferred");
  }
  record["device"] = device.id;
  record["received_ms"] = now_ms;
  return record.dump();
}

Result<cache::OutboxRecord> make_status_record(const Clock& clock, const Device& device,
                                               std::string_view body) {
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
  FG_ASSIGN_OR_RETURN(std::string record, parse_status_report(device, body, now_ms));
  // Keys sort by arrival: milliseconds, then a sequence for reports in the same one.
  uint64_t seq = g_report_seq.fetch_add(1, std::memory_order_relaxed);
  char key[48];
  std::snprintf(key, sizeof key, "%020lld-%010llu", static_cast<long long>(now_ms),
                static_cast<unsigned long long>(seq % 10'000'000'000ull));
  return cache::OutboxRecord{key, std::move(record)};
}

StatusOutcome status_outcome(const Status& appended) {
  if (!appended.ok()) {
    return {StatusOutcome::Kind::not_recorded,
            "status report not recorded: " + appended.error().message};
  }
  return {};
}

StatusOutcome record_status_report(cache::Store& store, const Clock& clock, const Device& device,
                                   std::string_view body, const cache::OutboxLimits& limits) {
  Result<cache::OutboxRecord> record = make_status_record(clock, device, body);
  if (!record.ok()) return {StatusOutcome::Kind::rejected, record.error().message};
  return status_outcome(
      cache::append_to_outbox(store, record->key, std::move(record->value), limits));
}

}  // namespace fleetgate::southbound
