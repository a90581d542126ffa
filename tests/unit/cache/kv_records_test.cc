#include <catch2/catch.hpp>

#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::StoreFixture;

TEST_CASE("kv: a missing key reads as nullopt", "[cache][kv]") {
  StoreFixture f;
  auto r = f.store->kv_get(Table::plans, "nope");
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
}

TEST_CASE("kv: a batch writes and deletes across tables in one go", "[cache][kv]") {
  StoreFixture f;
  std::vector<KvWrite> batch = {
      {Table::plans, "plan/1", "a"}, {Table::devices, "dev/1", "b"}, {Table::plans, "plan/2", "c"}};
  REQUIRE(f.store->kv_write(batch).ok());
  CHECK(f.store->kv_get(Table::plans, "plan/1")->value() == "a");
  CHECK(f.store->kv_get(Table::devices, "dev/1")->value() == "b");
  // Tables are separate namespaces.
  CHECK_FALSE(f.store->kv_get(Table::devices, "plan/1")->has_value());

  std::vector<KvWrite> del = {{Table::plans, "plan/1", std::nullopt},
                              {Table::plans, "never-was", std::nullopt}};
  REQUIRE(f.store->kv_write(del).ok());
  CHECK_FALSE(f.store->kv_get(Table::plans, "plan/1")->has_value());
  CHECK(f.store->kv_get(Table::plans, "plan/2")->value() == "c");
}

TEST_CASE("kv: a batch with one bad key writes nothing", "[cache][kv]") {
  StoreFixture f;
  std::vector<KvWrite> batch = {{Table::outbox, "ok", "1"}, {Table::outbox, "", "2"}};
  Status s = f.store->kv_write(batch);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::invalid_argument);
  CHECK_FALSE(f.store->kv_get(Table::outbox, "ok")->has_value());
}

TEST_CASE("kv: scan returns keys with a prefix, in order, up to a limit", "[cache][kv]") {
  StoreFixture f;
  std::vector<KvWrite> batch = {{Table::outbox, "b/2", "x"},
                                {Table::outbox, "a/1", "y"},
                                {Table::outbox, "b/1", "z"},
                                {Table::outbox, "b/3", "w"},
                                {Table::outbox, "c/1", "v"}};
  REQUIRE(f.store->kv_write(batch).ok());
  auto all_b = f.store->kv_scan(Table::outbox, "b/");
  REQUIRE(all_b.ok());
  REQUIRE(all_b->size() == 3);
  CHECK((*all_b)[0].first == "b/1");
  CHECK((*all_b)[0].second == "z");
  CHECK((*all_b)[2].first == "b/3");

  auto two = f.store->kv_scan(Table::outbox, "b/", 2);
  REQUIRE(two.ok());
  CHECK(two->size() == 2);
  auto everything = f.store->kv_scan(Table::outbox, "");
  REQUIRE(everything.ok());
  CHECK(everything->size() == 5);
  CHECK(f.store->kv_scan(Table::outbox, "zz")->empty());
}

TEST_CASE("kv: records survive reopening the store", "[cache][kv]") {
  StoreFixture f;
  std::vector<KvWrite> batch = {{Table::trusted_metadata, "root.json", "{\"v\":1}"}};
  REQUIRE(f.store->kv_write(batch).ok());
  f.reopen();
  CHECK(f.store->kv_get(Table::trusted_metadata, "root.json")->value() == "{\"v\":1}");
}

}  // namespace
}  // namespace fleetgate::cache
