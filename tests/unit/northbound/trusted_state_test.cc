// TrustedState over hand-built metadata: each spec section 5 check, as pure functions.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "northbound/metadata.h"
#include "northbound/trusted_state.h"

using namespace fleetgate;
using namespace fleetgate::northbound;
using json = nlohmann::json;

namespace {

constexpr int64_t kNow = 1'700'000'000;

// A tiny in-memory repository: one key per role unless told otherwise.
struct Builder {
  std::map<Role, std::vector<PrivateKey>> keys;
  std::map<Role, uint32_t> thresholds;
  uint64_t root_version = 1;
  int64_t expires = kNow + 86400;

  Builder() {
    for (Role r : {Role::root, Role::timestamp, Role::snapshot, Role::targets}) {
      keys[r].push_back(PrivateKey::generate());
      thresholds[r] = 1;
    }
  }

  json root_body() const {
    json k = json::object(), roles = json::object();
    for (const auto& [role, list] : keys) {
      json ids = json::array();
      for (const auto& key : list) {
        k[key.keyid()] = key.public_key().to_json();
        ids.push_back(key.keyid());
      }
      roles[std::string(role_name(role))] = {{"keyids", ids}, {"threshold", thresholds.at(role)}};
    }
    return {{"_type", "root"},
            {"spec_version", "1.0.31"},
            {"version", root_version},
            {"expires", format_expires(expires)},
            {"consistent_snapshot", true},
            {"keys", k},
            {"roles", roles}};
  }

  static std::string sign(const json& body, const std::vector<const PrivateKey*>& by) {
    return sign_envelope(body, by).value();
  }
  std::string sign_as(Role role, const json& body) const {
    std::vector<const PrivateKey*> by;
    for (const auto& k : keys.at(role)) by.push_back(&k);
    return sign(body, by);
  }
  std::string root() const { return sign_as(Role::root, root_body()); }

  static json meta(const std::string& bytes, uint64_t version) {
    return {{"version", version},
            {"length", bytes.size()},
            {"hashes", {{"sha256", Sha256::of(bytes).hex()}}}};
  }
  json targets_body(uint64_t version) const {
    return {{"_type", "targets"},
            {"spec_version", "1.0.31"},
            {"version", version},
            {"expires", format_expires(expires)},
            {"targets",
             {{"fw/a.bin", {{"length", 3}, {"hashes", {{"sha256", Sha256::of("abc").hex()}}}}}}}};
  }
  json snapshot_body(uint64_t version, const std::string& targets, uint64_t tv) const {
    return {{"_type", "snapshot"},
            {"spec_version", "1.0.31"},
            {"version", version},
            {"expires", format_expires(expires)},
            {"meta", {{"targets.json", meta(targets, tv)}}}};
  }
  json timestamp_body(uint64_t version, const std::string& snapshot, uint64_t sv) const {
    return {{"_type", "timestamp"},
            {"spec_version", "1.0.31"},
            {"version", version},
            {"expires", format_expires(expires)},
            {"meta", {{"snapshot.json", meta(snapshot, sv)}}}};
  }
};

// Trusted state with timestamp v1 -> snapshot v1 -> targets v1 accepted.
struct Fixture {
  Builder b;
  std::string targets = b.sign_as(Role::targets, b.targets_body(1));
  std::string snapshot = b.sign_as(Role::snapshot, b.snapshot_body(1, targets, 1));
  std::string timestamp = b.sign_as(Role::timestamp, b.timestamp_body(1, snapshot, 1));
  TrustedState st = TrustedState::load(TrustedBytes{b.root(), {}, {}, {}}, kNow).value();

  void accept_all() {
    REQUIRE(*st.update_timestamp(timestamp));
    REQUIRE(st.update_snapshot(snapshot).ok());
    REQUIRE(st.update_targets(targets).ok());
  }
};

std::string detail_of(const Status& s) { return s.ok() ? "ok" : s.error().detail; }
template <typename T>
std::string detail_of(const Result<T>& r) {
  return r.ok() ? "ok" : r.error().detail;
}

}  // namespace

TEST_CASE("expires timestamps round-trip and reject other forms") {
  CHECK(*parse_expires("1970-01-01T00:00:00Z") == 0);
  CHECK(*parse_expires("2023-11-14T22:13:20Z") == 1'700'000'000);
  CHECK(format_expires(1'700'000'000) == "2023-11-14T22:13:20Z");
  CHECK_FALSE(parse_expires("2023-11-14T22:13:20+01:00").ok());
  CHECK_FALSE(parse_expires("2023-13-14T22:13:20Z").ok());
}

TEST_CASE("consistent target paths put the hash before the base name") {
  Sha256Digest d = Sha256::of("abc");
  CHECK(consistent_target_path("fw/sensor-v2.bin", d) == "fw/" + d.hex() + ".sensor-v2.bin");
  CHECK(consistent_target_path("top.bin", d) == d.hex() + ".top.bin");
  CHECK_FALSE(is_safe_target_name("fw/../x"));
  CHECK_FALSE(is_safe_target_name("/abs"));
  CHECK_FALSE(is_safe_target_name("a//b"));
  CHECK(is_safe_target_name("a/b.c"));
}

TEST_CASE("an envelope of the wrong type or shape is refused by name") {
  Builder b;
  auto wrong = parse_envelope(b.root(), Role::timestamp);
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().message, Catch::Contains("\"_type\" is 'root'"));
  CHECK_FALSE(parse_envelope("{\"signed\": {}}", Role::root).ok());
  CHECK_FALSE(parse_envelope("[]", Role::root).ok());
}

TEST_CASE("a full chain of fresh metadata is accepted") {
  Fixture f;
  f.accept_all();
  CHECK(f.st.targets()->targets.at("fw/a.bin").length == 3);
  CHECK(f.st.check_all_fresh().ok());
  CHECK(f.st.snapshot_current());
  CHECK(f.st.targets_current());
}

TEST_CASE("timestamp: rollback refused, equal version changes nothing") {
  Fixture f;
  auto ts2 = f.b.sign_as(Role::timestamp, f.b.timestamp_body(2, f.snapshot, 1));
  REQUIRE(*f.st.update_timestamp(ts2));
  auto back = f.st.update_timestamp(f.timestamp);
  CHECK(detail_of(back) == "rollback");
  CHECK(f.st.timestamp()->version == 2);
  auto again = f.st.update_timestamp(ts2);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
}

TEST_CASE("timestamp: the snapshot version it names must not decrease") {
  Fixture f;
  auto ts2 = f.b.sign_as(Role::timestamp, f.b.timestamp_body(2, f.snapshot, 5));
  REQUIRE(*f.st.update_timestamp(ts2));
  auto ts3 = f.b.sign_as(Role::timestamp, f.b.timestamp_body(3, f.snapshot, 4));
  CHECK(detail_of(f.st.update_timestamp(ts3)) == "rollback");
}

TEST_CASE("signatures: threshold counts distinct keys, a bad signature is named") {
  Fixture f;
  f.b.keys[Role::timestamp].push_back(PrivateKey::generate());
  f.b.thresholds[Role::timestamp] = 2;
  TrustedState st = TrustedState::load(TrustedBytes{f.b.root(), {}, {}, {}}, kNow).value();
  json body = f.b.timestamp_body(1, f.snapshot, 1);
  const PrivateKey& k0 = f.b.keys[Role::timestamp][0];
  // The same signature listed twice counts once.
  auto dup = Builder::sign(body, {&k0, &k0});
  CHECK(detail_of(st.update_timestamp(dup)) == "threshold");
  // A corrupted signature by a listed key.
  auto both = f.b.sign_as(Role::timestamp, body);
  json doc = json::parse(both);
  std::string sig = doc["signatures"][1]["sig"];
  sig[0] = sig[0] == '0' ? '1' : '0';
  doc["signatures"][1]["sig"] = sig;
  CHECK(detail_of(st.update_timestamp(doc.dump())) == "bad_signature");
  CHECK(*st.update_timestamp(both));
}

TEST_CASE("signatures: one key under two keyids counts once") {
  Builder b;
  const PrivateKey& k = b.keys[Role::timestamp][0];
  b.thresholds[Role::timestamp] = 2;
  json root = b.root_body();
  root["keys"]["alias"] = k.public_key().to_json();
  root["roles"]["timestamp"]["keyids"].push_back("alias");
  TrustedState st =
      TrustedState::load(TrustedBytes{b.sign_as(Role::root, root), {}, {}, {}}, kNow).value();
  json doc = json::parse(b.sign_as(Role::timestamp, b.timestamp_body(1, "x", 1)));
  json alias = doc["signatures"][0];
  alias["keyid"] = "alias";
  doc["signatures"].push_back(alias);
  CHECK(detail_of(st.update_timestamp(doc.dump())) == "threshold");
}

TEST_CASE("snapshot: length and hash from timestamp are checked first") {
  Fixture f;
  REQUIRE(*f.st.update_timestamp(f.timestamp));
  CHECK(detail_of(f.st.update_snapshot(f.snapshot + " ")) == "length_exceeded");
  json other_body = f.b.snapshot_body(1, f.targets, 1);
  other_body["expires"] = format_expires(kNow + 7200);
  std::string other = f.b.sign_as(Role::snapshot, other_body);
  CHECK(detail_of(f.st.update_snapshot(other)) == "hash_mismatch");
  CHECK_FALSE(f.st.snapshot().has_value());
}

TEST_CASE("snapshot: version must equal the timestamp's and roles must not roll back") {
  Fixture f;
  f.accept_all();
  // Timestamp names snapshot version 3 but the (hash-matching) file is version 2.
  auto snap2 = f.b.sign_as(Role::snapshot, f.b.snapshot_body(2, f.targets, 1));
  auto ts2 = f.b.sign_as(Role::timestamp, f.b.timestamp_body(2, snap2, 3));
  REQUIRE(*f.st.update_timestamp(ts2));
  CHECK(detail_of(f.st.update_snapshot(snap2)) == "rollback");
  auto snap4 = f.b.sign_as(Role::snapshot, f.b.snapshot_body(4, f.targets, 1));
  auto ts_snap4 = f.b.sign_as(Role::timestamp, f.b.timestamp_body(3, snap4, 3));
  REQUIRE(*f.st.update_timestamp(ts_snap4));
  CHECK(detail_of(f.st.update_snapshot(snap4)) == "version_mismatch");
  CHECK(f.st.snapshot()->version == 1);

  Fixture g;
  g.accept_all();
  auto t2 = g.b.sign_as(Role::targets, g.b.targets_body(2));
  auto s2 = g.b.sign_as(Role::snapshot, g.b.snapshot_body(2, t2, 2));
  auto ts = g.b.sign_as(Role::timestamp, g.b.timestamp_body(2, s2, 2));
  REQUIRE(*g.st.update_timestamp(ts));
  REQUIRE(g.st.update_snapshot(s2).ok());
  // Snapshot 3 naming targets 1 again is a rollback of targets.
  auto s3 = g.b.sign_as(Role::snapshot, g.b.snapshot_body(3, g.targets, 1));
  auto ts3 = g.b.sign_as(Role::timestamp, g.b.timestamp_body(3, s3, 3));
  REQUIRE(*g.st.update_timestamp(ts3));
  CHECK(detail_of(g.st.update_snapshot(s3)) == "rollback");
  CHECK(g.st.snapshot()->version == 2);
}

TEST_CASE("targets: delegations are refused explicitly") {
  Fixture f;
  json body = f.b.targets_body(1);
  body["delegations"] = {{"keys", json::object()}, {"roles", json::array()}};
  std::string tg = f.b.sign_as(Role::targets, body);
  std::string snap = f.b.sign_as(Role::snapshot, f.b.snapshot_body(1, tg, 1));
  std::string ts = f.b.sign_as(Role::timestamp, f.b.timestamp_body(1, snap, 1));
  REQUIRE(*f.st.update_timestamp(ts));
  REQUIRE(f.st.update_snapshot(snap).ok());
  Status s = f.st.update_targets(tg);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::unsupported);
  CHECK(s.error().detail == "delegations_unsupported");
  CHECK_FALSE(f.st.targets().has_value());
}

TEST_CASE("root: next version needs both thresholds; rotation drops timestamp and snapshot") {
  Fixture f;
  f.accept_all();
  Builder next = f.b;
  next.root_version = 2;
  next.keys[Role::timestamp] = {PrivateKey::generate()};
  // Signed only by the new root keys (same as old here) works; skipping a version does not.
  Builder skip = next;
  skip.root_version = 3;
  CHECK(detail_of(f.st.update_root(skip.root())) == "version_mismatch");
  // A new root key that the old root never trusted cannot sign alone.
  Builder hijack = next;
  hijack.keys[Role::root] = {PrivateKey::generate()};
  CHECK(detail_of(f.st.update_root(hijack.root())) == "threshold");
  REQUIRE(f.st.update_root(next.root()).ok());
  CHECK(f.st.root().version == 2);
  CHECK_FALSE(f.st.timestamp().has_value());
  CHECK_FALSE(f.st.snapshot().has_value());
  CHECK(f.st.targets().has_value());
}

TEST_CASE("expired metadata is refused as expired") {
  Fixture f;
  f.b.expires = kNow - 1;
  TrustedState st = TrustedState::load(TrustedBytes{f.b.root(), {}, {}, {}}, kNow).value();
  CHECK(detail_of(st.check_root_fresh()) == "expired");

  Fixture g;
  g.b.expires = kNow;  // expiring exactly at the start time counts as expired
  auto ts = g.b.sign_as(Role::timestamp, g.b.timestamp_body(1, g.snapshot, 1));
  CHECK(detail_of(g.st.update_timestamp(ts)) == "expired");
}
