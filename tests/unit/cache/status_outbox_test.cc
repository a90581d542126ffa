// The status outbox is bounded: past max_records the oldest drop_records go, a gap record
// in the place of the oldest counts them, and a dropped gap record adds to the new one.
// The uploader's side: the oldest records in key order, bounded in records and bytes, and
// a removal that keeps a record rewritten since it was read. The status committer's side:
// a group of reports goes in one transaction, all or none, and the bound holds for the
// group as a whole, with one gap record counting what had to go.
#include <catch2/catch.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "cache/status_outbox.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

std::string key_of(int i) {
  char k[32];
  std::snprintf(k, sizeof k, "%020d-0", i);
  return k;
}

TEST_CASE("a full status outbox drops its oldest reports behind one gap record") {
  testing::StoreFixture f;
  Store& store = *f.store;
  const OutboxLimits limits{10, 4};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(append_to_outbox(store, key_of(i), R"({"n":)" + std::to_string(i) + "}", limits).ok());
  }
  CHECK(store.kv_count(Table::outbox).value() == 10);

  // The 11th report: reports 0..3 go, a gap record takes report 0's key.
  REQUIRE(append_to_outbox(store, key_of(10), R"({"n":10})", limits).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 8);  // gap + 4..10
  CHECK(rows[0].first == key_of(0));
  auto gap = nlohmann::json::parse(rows[0].second);
  CHECK(gap["gap"]["dropped"] == 4);
  CHECK(gap["gap"]["first"] == key_of(0));
  CHECK(gap["gap"]["last"] == key_of(3));
  CHECK(rows[1].first == key_of(4));
  CHECK(rows.back().first == key_of(10));

  // Filling up again drops the gap record with reports 4..6: the new gap counts 4 + 3.
  REQUIRE(append_to_outbox(store, key_of(11), R"({"n":11})", limits).ok());
  REQUIRE(append_to_outbox(store, key_of(12), R"({"n":12})", limits).ok());
  CHECK(store.kv_count(Table::outbox).value() == 10);
  REQUIRE(append_to_outbox(store, key_of(13), R"({"n":13})", limits).ok());
  rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 8);  // gap + 7..13
  gap = nlohmann::json::parse(rows[0].second);
  CHECK(rows[0].first == key_of(0));
  CHECK(gap["gap"]["dropped"] == 7);
  CHECK(gap["gap"]["first"] == key_of(0));
  CHECK(gap["gap"]["last"] == key_of(6));
  CHECK(rows[1].first == key_of(7));
}

std::string report(int i) { return R"({"n":)" + std::to_string(i) + "}"; }

void fill(Store& store, int from, int to, const OutboxLimits& limits = {}) {
  for (int i = from; i < to; ++i)
    REQUIRE(append_to_outbox(store, key_of(i), report(i), limits).ok());
}

TEST_CASE("an outbox batch is the oldest records in key order bounded in records and bytes") {
  testing::StoreFixture f;
  CHECK(read_outbox_batch(*f.store, 10, 1 << 20).value().empty());
  // Appended out of order: the batch still comes in key order.
  REQUIRE(append_to_outbox(*f.store, key_of(3), report(3), {}).ok());
  fill(*f.store, 0, 3);
  fill(*f.store, 4, 10);

  auto first = read_outbox_batch(*f.store, 4, 1 << 20).value();
  REQUIRE(first.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(first[i] == OutboxRecord{key_of(i), report(i)});

  // Each record is 7 bytes: 20 bytes hold two of them.
  auto by_bytes = read_outbox_batch(*f.store, 100, 20).value();
  REQUIRE(by_bytes.size() == 2);
  CHECK(by_bytes[1].key == key_of(1));

  // A record larger than the byte bound still goes, alone.
  auto oversized = read_outbox_batch(*f.store, 100, 3).value();
  REQUIRE(oversized.size() == 1);
  CHECK(oversized[0].key == key_of(0));

  CHECK(read_outbox_batch(*f.store, 0, 1 << 20).value().empty());
  CHECK(read_outbox_batch(*f.store, 100, 1 << 20).value().size() == 10);
}

TEST_CASE("removing a sent batch deletes exactly its records durably") {
  testing::StoreFixture f;
  fill(*f.store, 0, 10);
  auto batch = read_outbox_batch(*f.store, 6, 1 << 20).value();
  CHECK(remove_from_outbox(*f.store, batch).value() == 6);
  f.reopen();
  auto rest = read_outbox_batch(*f.store, 100, 1 << 20).value();
  REQUIRE(rest.size() == 4);
  CHECK(rest.front().key == key_of(6));
  // Removing again finds nothing to remove.
  CHECK(remove_from_outbox(*f.store, batch).value() == 0);
  CHECK(f.store->kv_count(Table::outbox).value() == 4);
}

TEST_CASE("a gap record written over a sent record while it was in flight stays") {
  testing::StoreFixture f;
  const OutboxLimits limits{10, 4};
  fill(*f.store, 0, 10, limits);
  auto in_flight = read_outbox_batch(*f.store, 6, 1 << 20).value();
  REQUIRE(in_flight.size() == 6);

  // The outbox fills up meanwhile: reports 0..3 are dropped, a gap record takes key 0.
  fill(*f.store, 10, 11, limits);
  REQUIRE(f.store->kv_get(Table::outbox, key_of(0)).value() != report(0));

  // The batch was stored upstream: 4 and 5 go; the gap record (a new value) stays; 1..3
  // are already gone.
  CHECK(remove_from_outbox(*f.store, in_flight).value() == 2);
  auto rest = read_outbox_batch(*f.store, 100, 1 << 20).value();
  REQUIRE(rest.size() == 6);  // gap + 6..10
  CHECK(rest[0].key == key_of(0));
  auto gap = nlohmann::json::parse(rest[0].value);
  CHECK(gap["gap"]["dropped"] == 4);
  CHECK(rest[1].key == key_of(6));
  CHECK(rest.back().key == key_of(10));
}

// Records n in [from, to) as one group, as the status committer appends them.
std::vector<OutboxRecord> group(int from, int to) {
  std::vector<OutboxRecord> g;
  for (int i = from; i < to; ++i) g.push_back({key_of(i), report(i)});
  return g;
}

TEST_CASE("a group of reports is appended in one transaction, in key order") {
  testing::StoreFixture f;
  Store& store = *f.store;
  REQUIRE(append_to_outbox(store, group(0, 5), OutboxLimits{}).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(rows[i].first == key_of(i));
  CHECK(append_to_outbox(store, std::vector<OutboxRecord>{}, OutboxLimits{}).ok());
}

TEST_CASE("a group that overflows the outbox drops enough of the oldest for all of it") {
  testing::StoreFixture f;
  Store& store = *f.store;
  const OutboxLimits limits{10, 2};
  REQUIRE(append_to_outbox(store, group(0, 9), limits).ok());
  // 9 held + 4 new + the gap record > 10: 4 must go (more than drop_records = 2).
  REQUIRE(append_to_outbox(store, group(9, 13), limits).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 10);  // gap + 4..12
  auto gap = nlohmann::json::parse(rows[0].second);
  CHECK(rows[0].first == key_of(0));
  CHECK(gap["gap"]["dropped"] == 4);
  CHECK(gap["gap"]["last"] == key_of(3));
  CHECK(rows[1].first == key_of(4));
  CHECK(rows.back().first == key_of(12));
}

}  // namespace
}  // namespace fleetgate::cache
