#include "southbound/status_outbox.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/log.h"

namespace fleetgate::southbound {
namespace {

const Logger kLog("southbound");

// How many reports a dropped record stood for: its gap count, or one.
uint64_t reports_in(const std::string& value) {
  nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("gap") && doc["gap"].is_object()) {
    const nlohmann::json& n = doc["gap"].value("dropped", nlohmann::json());
    if (n.is_number_unsigned()) return n.get<uint64_t>();
  }
  return 1;
}

std::string first_key_of(const std::string& key, const std::string& value) {
  nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("gap") && doc["gap"].is_object()) {
    const nlohmann::json& f = doc["gap"].value("first", nlohmann::json());
    if (f.is_string()) return f.get<std::string>();
  }
  return key;
}

}  // namespace

Status append_to_outbox(cache::Store& store, const std::string& key, std::string record,
                        const OutboxLimits& limits) {
  std::vector<cache::KvWrite> writes;
  FG_ASSIGN_OR_RETURN(uint64_t held, store.kv_count(cache::Table::outbox));
  if (held >= limits.max_records) {
    const uint64_t drop =
        std::min(held, std::max<uint64_t>({limits.drop_records, held - limits.max_records + 1, 1}));
    FG_ASSIGN_OR_RETURN(auto oldest, store.kv_scan(cache::Table::outbox, "", drop));
    uint64_t reports = 0;
    for (const auto& [k, v] : oldest) {
      reports += reports_in(v);
      writes.push_back({cache::Table::outbox, k, std::nullopt});
    }
    if (!oldest.empty()) {
      nlohmann::json gap = {{"gap",
                             {{"dropped", reports},
                              {"first", first_key_of(oldest.front().first, oldest.front().second)},
                              {"last", oldest.back().first}}}};
      // In the place of the oldest record: it goes upstream first.
      writes.push_back({cache::Table::outbox, oldest.front().first, gap.dump()});
      kLog.warn("status outbox full: oldest reports dropped, a gap record counts them",
                {{"reports", reports}, {"max_records", limits.max_records}});
    }
  }
  writes.push_back({cache::Table::outbox, key, std::move(record)});
  return store.kv_write(writes);
}

}  // namespace fleetgate::southbound
