#include "northbound/metadata.h"

#include <cstdio>
#include <set>

#include "northbound/canonical_json.h"

namespace fleetgate::northbound {
namespace {

Error shape_error(std::string_view what, std::string message) {
  return make_error(Errc::invalid_argument, "metadata", std::string(what) + ": " + message);
}

Result<uint64_t> get_uint(const nlohmann::json& obj, const char* key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer() ||
      (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0)) {
    return shape_error(what, std::string("\"") + key + "\" must be a non-negative integer");
  }
  return it->get<uint64_t>();
}

Result<std::string> get_string(const nlohmann::json& obj, const char* key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return shape_error(what, std::string("\"") + key + "\" must be a string");
  }
  return it->get<std::string>();
}

Result<const nlohmann::json*> get_object(const nlohmann::json& obj, const char* key,
                                         std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    return shape_error(what, std::string("\"") + key + "\" must be an object");
  }
  return &*it;
}

Result<std::optional<Sha256Digest>> parse_hashes(const nlohmann::json& obj, std::string_view what,
                                                 bool required) {
  auto it = obj.find("hashes");
  if (it == obj.end()) {
    if (required) return shape_error(what, "\"hashes\" is required");
    return std::optional<Sha256Digest>();
  }
  if (!it->is_object()) return shape_error(what, "\"hashes\" must be an object");
  auto sha = it->find("sha256");
  if (sha == it->end() || !sha->is_string()) {
    // Other algorithms alone would leave the file unverified here.
    return shape_error(what, "\"hashes\" must include a \"sha256\" string");
  }
  auto digest = Sha256Digest::from_hex(sha->get<std::string>());
  if (!digest.ok()) return shape_error(what, "\"hashes.sha256\" is not 64 hex digits");
  return std::optional<Sha256Digest>(*digest);
}

Result<MetaFile> parse_meta_file(const nlohmann::json& obj, std::string_view what) {
  if (!obj.is_object()) return shape_error(what, "meta entry must be an object");
  MetaFile out;
  FG_ASSIGN_OR_RETURN(out.version, get_uint(obj, "version", what));
  if (out.version == 0) return shape_error(what, "meta \"version\" must be at least 1");
  if (obj.contains("length")) {
    FG_ASSIGN_OR_RETURN(uint64_t length, get_uint(obj, "length", what));
    out.length = length;
  }
  FG_ASSIGN_OR_RETURN(out.sha256, parse_hashes(obj, what, false));
  return out;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::root:
      return "root";
    case Role::timestamp:
      return "timestamp";
    case Role::snapshot:
      return "snapshot";
    case Role::targets:
      return "targets";
  }
  return "?";
}

Result<Role> role_from_name(std::string_view name) {
  for (Role r : {Role::root, Role::timestamp, Role::snapshot, Role::targets}) {
    if (role_name(r) == name) return r;
  }
  return make_error(
      Errc::invalid_argument, "role",
      "unknown role '" + std::string(name) + "' (expected root, timestamp, snapshot or targets)");
}

Result<int64_t> parse_expires(std::string_view t) {
  // Exactly YYYY-MM-DDTHH:MM:SSZ.
  auto bad = [&] {
    return make_error(Errc::invalid_argument, "metadata",
                      "\"expires\" '" + std::string(t) + "' is not YYYY-MM-DDTHH:MM:SSZ");
  };
  if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t[19] != 'Z') {
    return bad();
  }
  auto num = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + s;
}

std::string format_expires(int64_t unix_seconds) {
  int64_t z = (unix_seconds >= 0 ? unix_seconds : unix_seconds - 86399) / 86400;
  int64_t secs = unix_seconds - z * 86400;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y0 = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = y0 + (m <= 2);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

Result<SignedEnvelope> parse_envelope(std::string_view bytes, Role expected) {
  const std::string what = std::string(role_name(expected)) + " metadata";
  FG_ASSIGN_OR_RETURN(nlohmann::json doc, parse_json(bytes, what));
  if (!doc.is_object()) return shape_error(what, "not a JSON object");
  FG_ASSIGN_OR_RETURN(const nlohmann::json* body, get_object(doc, "signed", what));
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array()) {
    return shape_error(what, "\"signatures\" must be an array");
  }
  SignedEnvelope env;
  env.role = expected;
  for (const auto& s : *sigs) {
    if (!s.is_object()) return shape_error(what, "a signature must be an object");
    FG_ASSIGN_OR_RETURN(std::string keyid, get_string(s, "keyid", what));
    FG_ASSIGN_OR_RETURN(std::string sig_hex, get_string(s, "sig", what));
    auto sig = from_hex(sig_hex);
    if (!sig.ok()) return shape_error(what, "signature \"sig\" is not hex");
    env.signatures.push_back(Signature{std::move(keyid), std::move(sig).value()});
  }
  FG_ASSIGN_OR_RETURN(std::string type, get_string(*body, "_type", what));
  if (type != role_name(expected)) {
    return shape_error(
        what, "\"_type\" is '" + type + "', expected '" + std::string(role_name(expected)) + "'");
  }
  FG_ASSIGN_OR_RETURN(std::string spec, get_string(*body, "spec_version", what));
  if (spec.rfind("1.", 0) != 0) {
    return make_error(Errc::unsupported, "spec_version",
                      what + ": spec_version '" + spec + "' is not TUF 1.x");
  }
  FG_ASSIGN_OR_RETURN(env.version, get_uint(*body, "version", what));
  if (env.version == 0) return shape_error(what, "\"version\" must be at least 1");
  FG_ASSIGN_OR_RETURN(std::string expires, get_string(*body, "expires", what));
  FG_ASSIGN_OR_RETURN(env.expires, parse_expires(expires));
  FG_ASSIGN_OR_RETURN(env.canonical, canonical_json(*body));
  env.body = std::move(doc["signed"]);
  return env;
}

Result<RootMetadata> parse_root(const SignedEnvelope& env) {
  const std::string what = "root metadata";
  RootMetadata root;
  root.version = env.version;
  root.expires = env.expires;
  auto cs = env.body.find("consistent_snapshot");
  if (cs != env.body.end()) {
    if (!cs->is_boolean()) return shape_error(what, "\"consistent_snapshot\" must be a boolean");
    root.consistent_snapshot = cs->get<bool>();
  }
  FG_ASSIGN_OR_RETURN(const nlohmann::json* keys, get_object(env.body, "keys", what));
  for (const auto& [keyid, key] : keys->items()) {
    auto parsed = PublicKey::from_json(key);
    // Keys of other types cannot sign anything we accept; they simply never count.
    if (parsed.ok()) root.keys.emplace(keyid, *parsed);
  }
  FG_ASSIGN_OR_RETURN(const nlohmann::json* roles, get_object(env.body, "roles", what));
  for (Role r : {Role::root, Role::timestamp, Role::snapshot, Role::targets}) {
    const std::string name(role_name(r));
    auto it = roles->find(name);
    if (it == roles->end() || !it->is_object()) {
      return shape_error(what, "\"roles\" has no \"" + name + "\" object");
    }
    RoleKeys rk;
    FG_ASSIGN_OR_RETURN(uint64_t threshold, get_uint(*it, "threshold", what));
    if (threshold < 1 || threshold > 1024) {
      return shape_error(what, "role " + name + " threshold must be between 1 and 1024");
    }
    rk.threshold = static_cast<uint32_t>(threshold);
    auto ids = it->find("keyids");
    if (ids == it->end() || !ids->is_array()) {
      return shape_error(what, "role " + name + " \"keyids\" must be an array");
    }
    for (const auto& id : *ids) {
      if (!id.is_string()) return shape_error(what, "role " + name + " keyid is not a string");
      rk.keyids.push_back(id.get<std::string>());
    }
    root.roles.emplace(r, std::move(rk));
  }
  return root;
}

Result<TimestampMetadata> parse_timestamp(const SignedEnvelope& env) {
  const std::string what = "timestamp metadata";
  TimestampMetadata ts;
  ts.version = env.version;
  ts.expires = env.expires;
  FG_ASSIGN_OR_RETURN(const nlohmann::json* meta, get_object(env.body, "meta", what));
  auto it = meta->find("snapshot.json");
  if (it == meta->end() || meta->size() != 1) {
    return shape_error(what, "\"meta\" must hold exactly \"snapshot.json\"");
  }
  FG_ASSIGN_OR_RETURN(ts.snapshot, parse_meta_file(*it, what));
  return ts;
}

Result<SnapshotMetadata> parse_snapshot(const SignedEnvelope& env) {
  const std::string what = "snapshot metadata";
  SnapshotMetadata snap;
  snap.version = env.version;
  snap.expires = env.expires;
  FG_ASSIGN_OR_RETURN(const nlohmann::json* meta, get_object(env.body, "meta", what));
  for (const auto& [name, entry] : meta->items()) {
    FG_ASSIGN_OR_RETURN(MetaFile mf, parse_meta_file(entry, what + " \"" + name + "\""));
    snap.meta.emplace(name, mf);
  }
  if (!snap.meta.contains("targets.json")) {
    return shape_error(what, "\"meta\" has no \"targets.json\"");
  }
  return snap;
}

Result<TargetsMetadata> parse_targets(const SignedEnvelope& env) {
  const std::string what = "targets metadata";
  TargetsMetadata tg;
  tg.version = env.version;
  tg.expires = env.expires;
  tg.has_delegations = env.body.contains("delegations");
  FG_ASSIGN_OR_RETURN(const nlohmann::json* targets, get_object(env.body, "targets", what));
  for (const auto& [name, entry] : targets->items()) {
    const std::string w = what + " target \"" + name + "\"";
    if (!is_safe_target_name(name)) return shape_error(w, "name is not a safe relative path");
    if (!entry.is_object()) return shape_error(w, "must be an object");
    TargetFile tf;
    FG_ASSIGN_OR_RETURN(tf.length, get_uint(entry, "length", w));
    FG_ASSIGN_OR_RETURN(auto digest, parse_hashes(entry, w, true));
    tf.sha256 = *digest;
    auto custom = entry.find("custom");
    if (custom != entry.end()) tf.custom = *custom;
    tg.targets.emplace(name, std::move(tf));
  }
  return tg;
}

Status verify_signatures(const SignedEnvelope& env, const RootMetadata& root, Role role,
                         std::string_view what) {
  const RoleKeys& rk = root.roles.at(role);
  std::set<std::string> allowed(rk.keyids.begin(), rk.keyids.end());
  std::set<std::string> counted_ids;
  std::vector<PublicKey> counted_keys;
  std::string failed_keyid;
  for (const Signature& s : env.signatures) {
    if (!allowed.contains(s.keyid) || counted_ids.contains(s.keyid)) continue;
    auto key = root.keys.find(s.keyid);
    if (key == root.keys.end()) continue;
    if (!key->second.verify(env.canonical, s.sig)) {
      failed_keyid = s.keyid;
      continue;
    }
    bool same_key_seen = false;
    for (const auto& k : counted_keys) same_key_seen |= (k == key->second);
    if (same_key_seen) continue;
    counted_ids.insert(s.keyid);
    counted_keys.push_back(key->second);
  }
  if (counted_ids.size() >= rk.threshold) return ok_status();
  const std::string tally = std::to_string(counted_ids.size()) + " of " +
                            std::to_string(rk.threshold) + " required signatures";
  if (!failed_keyid.empty()) {
    return make_error(Errc::verification, "bad_signature",
                      "bad signature: " + std::string(what) + " signature by key " +
                          failed_keyid.substr(0, 16) + " does not verify (" + tally + ")");
  }
  return make_error(Errc::verification, "threshold",
                    "threshold: " + std::string(what) + " has " + tally + " from " +
                        std::string(role_name(role)) + " keys");
}

bool is_safe_target_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.size() > 1024) return false;
  size_t start = 0;
  while (true) {
    size_t end = name.find('/', start);
    std::string_view seg =
        name.substr(start, end == std::string_view::npos ? name.npos : end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg) {
      if (c == '\\' || c == '\0') return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

std::string consistent_target_path(std::string_view name, const Sha256Digest& sha256) {
  size_t slash = name.rfind('/');
  std::string dir = slash == std::string_view::npos ? "" : std::string(name.substr(0, slash + 1));
  std::string base(slash == std::string_view::npos ? name : name.substr(slash + 1));
  return dir + sha256.hex() + "." + base;
}

Result<std::string> sign_envelope(const nlohmann::json& body,
                                  const std::vector<const PrivateKey*>& keys) {
  FG_ASSIGN_OR_RETURN(std::string canonical, canonical_json(body));
  nlohmann::json sigs = nlohmann::json::array();
  for (const PrivateKey* k : keys) {
    std::string sig = k->sign(canonical);
    sigs.push_back({{"keyid", k->keyid()},
                    {"sig", to_hex(std::span<const uint8_t>(
                                reinterpret_cast<const uint8_t*>(sig.data()), sig.size()))}});
  }
  nlohmann::json env = {{"signatures", sigs}, {"signed", body}};
  return env.dump(1) + "\n";
}

}  // namespace fleetgate::northbound
