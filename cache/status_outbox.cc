#include "cache/status_outbox.h"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/log.h"

namespace fleetgate::cache {
namespace {

const Logger kLog("cache");

// Serializes the read-then-write of appends and removals (see status_outbox.h).
std::mutex g_outbox_writer;

// What a dropped record stood for: a gap record's count and first key, or one report.
struct Dropped {
  uint64_t reports = 1;
  std::string first;
};

Dropped dropped_record(const std::string& key, const std::string& value) {
  Dropped d{1, key};
  nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("gap") || !doc["gap"].is_object()) return d;
  const nlohmann::json& gap = doc["gap"];
  if (auto n = gap.find("dropped"); n != gap.end() && n->is_number_unsigned()) {
    d.reports = n->get<uint64_t>();
  }
  if (auto f = gap.find("first"); f != gap.end() && f->is_string()) d.first = f->get<std::string>();
  return d;
}

}  // namespace

Status append_to_outbox(Store& store, std::span<const OutboxRecord> records,
                        const OutboxLimits& limits) {
  if (records.empty()) return ok_status();
  std::lock_guard<std::mutex> lock(g_outbox_writer);
  std::vector<KvWrite> writes;
  FG_ASSIGN_OR_RETURN(uint64_t held, store.kv_count(Table::outbox));
  const uint64_t adding = records.size();
  if (held + adding > limits.max_records) {
    // The gap record takes one of the freed places, hence the + 1.
    const uint64_t drop = std::min(
        held, std::max<uint64_t>({limits.drop_records, held + adding + 1 - limits.max_records}));
    FG_ASSIGN_OR_RETURN(auto oldest, store.kv_scan(Table::outbox, "", drop));
    uint64_t reports = 0;
    std::string first;
    for (const auto& [k, v] : oldest) {
      Dropped d = dropped_record(k, v);
      reports += d.reports;
      if (first.empty()) first = std::move(d.first);
      writes.push_back({Table::outbox, k, std::nullopt});
    }
    if (!oldest.empty()) {
      nlohmann::json gap = {
          {"gap", {{"dropped", reports}, {"first", first}, {"last", oldest.back().first}}}};
      // In the place of the oldest record: it goes upstream first.
      writes.push_back({Table::outbox, oldest.front().first, gap.dump()});
      kLog.warn("status outbox full: oldest reports dropped, a gap record counts them",
                {{"reports", reports}, {"max_records", limits.max_records}});
    }
  }
  for (const OutboxRecord& r : records) writes.push_back({Table::outbox, r.key, r.value});
  return store.kv_write(writes);
}

Status append_to_outbox(Store& store, const std::string& key, std::string record,
                        const OutboxLimits& limits) {
  OutboxRecord one{key, std::move(record)};
  return append_to_outbox(store, std::span<const OutboxRecord>(&one, 1), limits);
}

Result<std::vector<OutboxRecord>> read_outbox_batch(Store& store, size_t max_records,
                                                    size_t max_bytes) {
  std::vector<OutboxRecord> batch;
  if (max_records == 0) return batch;
  FG_ASSIGN_OR_RETURN(auto rows, store.kv_scan(Table::outbox, "", max_records));
  size_t bytes = 0;
  for (auto& [key, value] : rows) {
    if (!batch.empty() && bytes + value.size() > max_bytes) break;
    bytes += value.size();
    batch.push_back({std::move(key), std::move(value)});
  }
  return batch;
}

Result<size_t> remove_from_outbox(Store& store, std::span<const OutboxRecord> sent) {
  std::lock_guard<std::mutex> lock(g_outbox_writer);
  std::vector<KvWrite> writes;
  writes.reserve(sent.size());
  for (const OutboxRecord& r : sent) {
    FG_ASSIGN_OR_RETURN(std::optional<std::string> now, store.kv_get(Table::outbox, r.key));
    if (now && *now == r.value) writes.push_back({Table::outbox, r.key, std::nullopt});
  }
  if (writes.empty()) return size_t{0};
  FG_TRY(store.kv_write(writes));
  return writes.size();
}

}  // namespace fleetgate::cache
