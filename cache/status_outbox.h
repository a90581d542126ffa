// The outbox of device status reports is bounded (DESIGN.md section 6): past
// `max_records`, the oldest `drop_records` go, and one gap record takes the place of the
// first, so the loss is counted where the reports go upstream, never silent. A gap record
// that is dropped in turn adds its count to the new one.
//
//   gap record: {"gap": {"dropped": 1000, "first": "<oldest key dropped>",
//                        "last": "<newest key dropped>"}}
#pragma once

#include <cstdint>
#include <string>

#include "cache/store.h"
#include "common/result.h"

namespace fleetgate::cache {

struct OutboxLimits {
  uint64_t max_records = 100'000;  // about 20 MB of reports
  uint64_t drop_records = 1'000;   // dropped at once when full, so not on every report
};

// Appends `record` under `key` (keys sort by arrival), first dropping the oldest records
// if the outbox is full. One durable transaction. Called from one thread at a time.
Status append_to_outbox(Store& store, const std::string& key, std::string record,
                        const OutboxLimits& limits);

}  // namespace fleetgate::cache
