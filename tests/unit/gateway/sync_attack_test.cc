// One test per TUF attack class (spec section 5 and the TUF threat model), each built
// with the publisher or by editing its metadata. Every refusal is checked for its exact
// check name, and for leaving nothing new visible: the refused role and the ones after
// it stay as trusted before, no artifact or plan appears, no pin moves.
#include <set>

#include "northbound/canonical_json.h"
#include "sync_fixture.h"

using namespace fleetgate;
using fleetgate::northbound::Role;
using fleetgate::testing::SyncFixture;
using json = nlohmann::json;

namespace {

json meta_of(const std::string& bytes, uint64_t version) {
  return {{"version", version},
          {"length", bytes.size()},
          {"hashes", {{"sha256", Sha256::of(bytes).hex()}}}};
}

uint64_t version_of(const SyncFixture& f, Role role) {
  return f.repo->body(role)["version"].get<uint64_t>();
}

void serve(SyncFixture& f, const std::string& rel, const std::string& bytes) {
  REQUIRE(f.repo->write_file(rel, bytes).ok());
}

// Serves a new timestamp (next version) naming `snapshot_bytes` as snapshot `version`.
void serve_timestamp_for(SyncFixture& f, const std::string& snapshot_bytes, uint64_t version) {
  json ts = f.repo->body(Role::timestamp);
  ts["version"] = version_of(f, Role::timestamp) + 1;
  ts["meta"]["snapshot.json"] = meta_of(snapshot_bytes, version);
  serve(f, "timestamp.json", f.repo->sign(Role::timestamp, ts).value());
}

// Serves a new snapshot (next version) whose targets entry is `targets_meta`, and a
// timestamp naming it.
void serve_snapshot_with(SyncFixture& f, const json& targets_meta) {
  json snap = f.repo->body(Role::snapshot);
  const uint64_t v = version_of(f, Role::snapshot) + 1;
  snap["version"] = v;
  snap["meta"]["targets.json"] = targets_meta;
  const std::string bytes = f.repo->sign(Role::snapshot, snap).value();
  serve(f, std::to_string(v) + ".snapshot.json", bytes);
  serve_timestamp_for(f, bytes, v);
}

// Runs a sync that must be refused by `detail`; roles in `may_advance` were legitimately
// accepted before the refused step and may have moved.
Error expect_refused(SyncFixture& f, const std::string& detail,
                     std::set<std::string> may_advance = {}) {
  auto before = f.visible();
  auto out = f.sync();
  REQUIRE_FALSE(out.ok());
  const Error e = out.error();
  INFO(e.to_string());
  CHECK(e.detail == detail);
  std::string words = detail;
  std::replace(words.begin(), words.end(), '_', ' ');
  CHECK_THAT(e.message, Catch::Contains(words));
  auto after = f.visible();
  for (const auto& role : may_advance) after.trusted[role] = before.trusted[role];
  CHECK(after == before);
  return e;
}

// A repository with one firmware target prefetched by plan version 1, already synced.
void synced(SyncFixture& f) {
  REQUIRE(f.repo->add_target("fw/a.bin", "firmware a").ok());
  f.publish_plan(1, R"(["fw/a.bin"])");
  REQUIRE(f.sync().ok());
}

}  // namespace

TEST_CASE("rollback attack: an older timestamp is refused") {
  SyncFixture f;
  synced(f);
  const std::string old_ts = f.repo_file("timestamp.json");
  REQUIRE(f.repo->refresh_timestamp().ok());
  REQUIRE(f.sync().ok());
  serve(f, "timestamp.json", old_ts);
  expect_refused(f, "rollback");
}

TEST_CASE("rollback attack: a snapshot naming an older targets version is refused") {
  SyncFixture f;
  synced(f);
  const uint64_t tv = version_of(f, Role::targets);
  const std::string older = f.repo_file(std::to_string(tv - 1) + ".targets.json");
  serve_snapshot_with(f, meta_of(older, tv - 1));
  expect_refused(f, "rollback", {"timestamp"});
}

TEST_CASE("rollback attack: an older targets file served as the next version is refused") {
  SyncFixture f;
  synced(f);
  const uint64_t tv = version_of(f, Role::targets);
  const std::string current = f.repo_file(std::to_string(tv) + ".targets.json");
  serve(f, std::to_string(tv + 1) + ".targets.json", current);
  serve_snapshot_with(f, meta_of(current, tv + 1));
  expect_refused(f, "rollback", {"timestamp", "snapshot"});
}

TEST_CASE("rollback attack: an older root served as the next root is refused") {
  SyncFixture f;
  synced(f);
  REQUIRE(f.repo->rotate(Role::root).ok());
  REQUIRE(f.sync().ok());
  serve(f, "3.root.json", f.repo_file("2.root.json"));
  expect_refused(f, "rollback");
}

TEST_CASE("freeze attack: an expired timestamp is refused") {
  SyncFixture f;
  synced(f);
  f.clock.advance(std::chrono::hours(25));  // timestamps live one day
  auto e = expect_refused(f, "expired");
  CHECK_THAT(e.message, Catch::Contains("timestamp"));
}

TEST_CASE("freeze attack: an expired snapshot is refused") {
  gateway::RepoExpiry expiry;
  expiry.snapshot = std::chrono::hours(2);
  SyncFixture f({}, expiry);
  synced(f);
  f.clock.advance(std::chrono::hours(3));
  REQUIRE(f.repo->refresh_timestamp().ok());  // only the timestamp is kept fresh
  auto e = expect_refused(f, "expired", {"timestamp"});
  CHECK_THAT(e.message, Catch::Contains("snapshot"));
}

TEST_CASE("freeze attack: expired targets are refused") {
  gateway::RepoExpiry expiry;
  expiry.targets = std::chrono::hours(2);
  SyncFixture f({}, expiry);
  synced(f);
  f.clock.advance(std::chrono::hours(3));
  REQUIRE(f.repo->publish_snapshot().ok());
  auto e = expect_refused(f, "expired", {"timestamp", "snapshot"});
  CHECK_THAT(e.message, Catch::Contains("targets"));
}

TEST_CASE("freeze attack: an expired root aborts the update") {
  gateway::RepoExpiry expiry;
  expiry.root = std::chrono::hours(2);
  SyncFixture f({}, expiry);
  synced(f);
  f.clock.advance(std::chrono::hours(3));
  REQUIRE(f.repo->refresh_timestamp().ok());
  auto e = expect_refused(f, "expired");
  CHECK_THAT(e.message, Catch::Contains("root"));
}

TEST_CASE("mix-and-match attack: targets not matching the snapshot's hash are refused") {
  SyncFixture f;
  synced(f);
  REQUIRE(f.repo->add_target("fw/b.bin", "firmware b").ok());
  // Another validly signed targets file of the same version, listing something else.
  json other = f.repo->body(Role::targets);
  other["targets"].erase("fw/b.bin");
  const uint64_t tv = version_of(f, Role::targets);
  serve(f, std::to_string(tv) + ".targets.json", f.repo->sign(Role::targets, other).value());
  expect_refused(f, "hash_mismatch", {"timestamp", "snapshot"});
}

TEST_CASE("arbitrary software: metadata changed after signing has a bad signature") {
  SyncFixture f;
  synced(f);
  json doc = json::parse(f.repo_file("timestamp.json"));
  doc["signed"]["version"] = doc["signed"]["version"].get<uint64_t>() + 1;
  serve(f, "timestamp.json", doc.dump());
  expect_refused(f, "bad_signature");
}

TEST_CASE("arbitrary software: fewer signatures than the threshold are refused") {
  gateway::RepoInitOptions two;
  two.role_keys = 2;
  two.role_threshold = 2;
  SyncFixture f(two);
  synced(f);
  json ts = f.repo->body(Role::timestamp);
  ts["version"] = version_of(f, Role::timestamp) + 1;
  const auto ids = f.repo->body(Role::root)["roles"]["timestamp"]["keyids"];
  const auto* key = f.repo->private_key(ids[0].get<std::string>()).value();
  serve(f, "timestamp.json", northbound::sign_envelope(ts, {key}).value());
  expect_refused(f, "threshold");
}

TEST_CASE("arbitrary software: one keyid listed twice counts once") {
  gateway::RepoInitOptions two;
  two.role_keys = 2;
  two.role_threshold = 2;
  SyncFixture f(two);
  synced(f);
  json ts = f.repo->body(Role::timestamp);
  ts["version"] = version_of(f, Role::timestamp) + 1;
  const auto ids = f.repo->body(Role::root)["roles"]["timestamp"]["keyids"];
  const auto* key = f.repo->private_key(ids[0].get<std::string>()).value();
  serve(f, "timestamp.json", northbound::sign_envelope(ts, {key, key}).value());
  expect_refused(f, "threshold");
}

TEST_CASE("endless data: oversized timestamp metadata is cut at the cap") {
  SyncFixture f;
  synced(f);
  std::string ts = f.repo_file("timestamp.json");
  ts.insert(ts.size() - 2, std::string(64 * 1024, ' '));  // still valid JSON
  serve(f, "timestamp.json", ts);
  expect_refused(f, "length_exceeded");
}

TEST_CASE("endless data: a target longer than signed is refused and never visible") {
  SyncFixture f;
  synced(f);
  const std::string firmware(1000, 'f');
  REQUIRE(f.repo->add_target("fw/big.bin", firmware).ok());
  f.publish_plan(2, R"(["fw/a.bin", "fw/big.bin"])");
  const auto digest = Sha256::of(firmware);
  serve(f, "targets/" + northbound::consistent_target_path("fw/big.bin", digest),
        firmware + std::string(1 << 20, 'f'));
  expect_refused(f, "length_exceeded", {"timestamp", "snapshot", "targets"});
  CHECK_FALSE(f.store->open_read(digest).ok());
}

TEST_CASE("arbitrary software: a target with the wrong content is refused and never visible") {
  SyncFixture f;
  synced(f);
  const std::string firmware(1000, 'g');
  REQUIRE(f.repo->add_target("fw/g.bin", firmware).ok());
  f.publish_plan(2, R"(["fw/g.bin"])");
  const auto digest = Sha256::of(firmware);
  serve(f, "targets/" + northbound::consistent_target_path("fw/g.bin", digest),
        std::string(1000, 'h'));
  expect_refused(f, "hash_mismatch", {"timestamp", "snapshot", "targets"});
  CHECK_FALSE(f.store->open_read(digest).ok());
}

TEST_CASE("fast-forward attack: recovery after the timestamp key is rotated") {
  SyncFixture f;
  synced(f);
  // An attacker holding the timestamp key pushes the version far ahead.
  json ts = f.repo->body(Role::timestamp);
  ts["version"] = 1000;
  serve(f, "timestamp.json", f.repo->sign(Role::timestamp, ts).value());
  REQUIRE(f.sync().ok());
  // The repository's real next timestamp now looks like a rollback...
  REQUIRE(f.repo->refresh_timestamp().ok());
  expect_refused(f, "rollback");
  // ...until the timestamp key is rotated: the new root makes the client forget it.
  REQUIRE(f.repo->rotate(Role::timestamp).ok());
  REQUIRE(f.sync().ok());
  CHECK(f.visible().trusted["timestamp"] == f.repo_file("timestamp.json"));
}

TEST_CASE("fast-forward attack: recovery after the snapshot key is rotated") {
  SyncFixture f;
  synced(f);
  json snap = f.repo->body(Role::snapshot);
  snap["version"] = 500;
  const std::string bytes = f.repo->sign(Role::snapshot, snap).value();
  serve(f, "500.snapshot.json", bytes);
  serve_timestamp_for(f, bytes, 500);
  REQUIRE(f.sync().ok());
  REQUIRE(f.repo->rotate(Role::snapshot).ok());
  REQUIRE(f.sync().ok());
  CHECK(f.visible().trusted["timestamp"] == f.repo_file("timestamp.json"));
  CHECK(f.visible().trusted["snapshot"] == f.repo_file("snapshot.json"));
}

TEST_CASE("rollback attack: a plan whose version goes backwards is refused") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", "firmware a").ok());
  REQUIRE(f.repo->add_target("fw/b.bin", "firmware b").ok());
  f.publish_plan(3, R"(["fw/a.bin"])");
  REQUIRE(f.sync().ok());
  f.publish_plan(2, R"(["fw/b.bin"])");
  expect_refused(f, "rollback", {"timestamp", "snapshot", "targets"});
}

TEST_CASE("delegations are refused explicitly, not ignored") {
  SyncFixture f;
  synced(f);
  json tg = f.repo->body(Role::targets);
  const uint64_t tv = version_of(f, Role::targets) + 1;
  tg["version"] = tv;
  tg["delegations"] = {{"keys", json::object()}, {"roles", json::array()}};
  const std::string bytes = f.repo->sign(Role::targets, tg).value();
  serve(f, std::to_string(tv) + ".targets.json", bytes);
  serve_snapshot_with(f, meta_of(bytes, tv));
  auto before = f.visible();
  auto out = f.sync();
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == Errc::unsupported);
  CHECK(out.error().detail == "delegations_unsupported");
  CHECK_THAT(out.error().message, Catch::Contains("delegations unsupported"));
  CHECK(f.visible().trusted["targets"] == before.trusted["targets"]);
}
