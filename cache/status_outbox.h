// The outbox of device status reports is bounded (DESIGN.md section 6): past
// `max_records`, the oldest `drop_records` go, and one gap record takes the place of the
// first, so the loss is counted where the reports go upstream, never silent. A gap record
// that is dropped in turn adds its count to the new one.
//
// The uploader (northbound/status_uploader.h) reads the oldest records as a batch and,
// once the batch is stored upstream, removes the records it sent. A drop that happens
// while a batch is in flight may rewrite the batch's first record into a gap record:
// removal deletes a record only if it still holds the value that was sent, so the gap
// record stays and goes upstream in the next batch.
//
//   gap record: {"gap": {"dropped": 1000, "first": "<oldest key dropped>",
//                        "last": "<newest key dropped>"}}
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cache/store.h"
#include "common/result.h"

namespace fleetgate::cache {

struct OutboxLimits {
  uint64_t max_records = 100'000;  // about 20 MB of reports
  uint64_t drop_records = 1'000;   // dropped at once when full, so not on every report
};

// One record of the outbox: its key (sorts by arrival) and its JSON text.
struct OutboxRecord {
  std::string key;
  std::string value;

  bool operator==(const OutboxRecord&) const = default;
};

// Appends `records` (keys newer than any held, in arrival order), first dropping the
// oldest records if they would not fit. One durable transaction and one sync for all of
// them (a group commit): all are stored, or none.
Status append_to_outbox(Store& store, std::span<const OutboxRecord> records,
                        const OutboxLimits& limits);
// The same for one record.
Status append_to_outbox(Store& store, const std::string& key, std::string record,
                        const OutboxLimits& limits);

// The oldest records in key order: at most `max_records`, and no more than `max_bytes` of
// values, except that the first record is always returned (one larger than `max_bytes`
// must not block the outbox for good). Empty when the outbox is.
Result<std::vector<OutboxRecord>> read_outbox_batch(Store& store, size_t max_records,
                                                    size_t max_bytes);

// Deletes, in one durable transaction, each record of `sent` whose value is still the one
// sent; a record rewritten meanwhile (a gap record) stays. Returns how many were deleted.
//
// Threads: appends (southbound/status_committer.h) and removals (the uploader) run on
// libuv's thread pool, reads on the loop. Appends and removals take one lock, so no append
// (which may rewrite the first record into a gap record) comes between a removal's reads
// and its write transaction.
Result<size_t> remove_from_outbox(Store& store, std::span<const OutboxRecord> sent);

}  // namespace fleetgate::cache
