#include "gateway/repo_publisher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/digest.h"
#include "northbound/canonical_json.h"
#include "northbound/sync_plan.h"

namespace fleetgate::gateway {
namespace {

using northbound::Role;
using json = nlohmann::json;
namespace fs = std::filesystem;

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "file", "cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<json> signed_body(const std::string& path, Role role) {
  FG_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  auto env = northbound::parse_envelope(bytes, role);
  if (!env.ok()) return make_error(Errc::corrupt, "repository", path + ": " + env.error().message);
  return env->body;
}

std::string sha256_hex(std::string_view bytes) { return Sha256::of(bytes).hex(); }

constexpr Role kRoles[] = {Role::root, Role::targets, Role::snapshot, Role::timestamp};

}  // namespace

std::string Repository::expires_in(std::chrono::seconds d) const {
  return northbound::format_expires(unix_seconds(clock_->now()) + d.count());
}

std::vector<std::string> Repository::keyids(Role role) const {
  return bodies_.at(Role::root)["roles"][std::string(northbound::role_name(role))]["keyids"]
      .get<std::vector<std::string>>();
}

Result<std::string> Repository::sign_with(const json& body,
                                          const std::vector<std::string>& ids) const {
  std::vector<const northbound::PrivateKey*> keys;
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) continue;
    FG_ASSIGN_OR_RETURN(const northbound::PrivateKey* key, keyring_.find(id));
    keys.push_back(key);
  }
  return northbound::sign_envelope(body, keys);
}

Result<std::string> Repository::sign(Role role, const json& body) const {
  return sign_with(body, keyids(role));
}

const json& Repository::body(Role role) const { return bodies_.at(role); }

Status Repository::write_file(std::string_view relative, std::string_view bytes) const {
  // Written to a temporary name and renamed, so an origin never serves half a file.
  const fs::path path = fs::path(metadata_dir()) / std::string(relative);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(Errc::io, "write", "cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return make_error(Errc::io, "write", "cannot write " + path.string());
  }
  return ok_status();
}

Status Repository::write_role(Role role, const std::string& bytes) {
  const uint64_t version = bodies_.at(role)["version"].get<uint64_t>();
  const std::string name(northbound::role_name(role));
  if (role != Role::timestamp)
    FG_TRY(write_file(std::to_string(version) + "." + name + ".json", bytes));
  FG_TRY(write_file(name + ".json", bytes));
  signed_bytes_[role] = bytes;
  return ok_status();
}

json Repository::meta_for(const std::string& bytes, uint64_t version) const {
  return {
      {"version", version}, {"length", bytes.size()}, {"hashes", {{"sha256", sha256_hex(bytes)}}}};
}

Result<Repository> Repository::init(const std::string& dir, const RepoInitOptions& options,
                                    const Clock& clock, RepoExpiry expiry) {
  if (fs::exists(fs::path(dir) / "repository" / "root.json")) {
    return make_error(Errc::already_exists, "repository", dir + " already holds a repository");
  }
  if (options.root_keys == 0 || options.root_threshold == 0 ||
      options.root_threshold > options.root_keys || options.role_keys == 0 ||
      options.role_threshold == 0 || options.role_threshold > options.role_keys) {
    return make_error(Errc::invalid_argument, "threshold",
                      "each threshold must be between 1 and its number of keys");
  }
  FG_ASSIGN_OR_RETURN(RepoKeyring ring, RepoKeyring::open(dir + "/keys"));
  Repository repo(dir, std::move(ring), clock, expiry);

  json keys = json::object();
  json roles = json::object();
  for (Role role : kRoles) {
    const bool is_root = role == Role::root;
    json ids = json::array();
    for (uint32_t i = 0; i < (is_root ? options.root_keys : options.role_keys); ++i) {
      FG_ASSIGN_OR_RETURN(const northbound::PrivateKey* key, repo.keyring_.generate());
      keys[key->keyid()] = key->public_key().to_json();
      ids.push_back(key->keyid());
    }
    roles[std::string(northbound::role_name(role))] = {
        {"keyids", ids}, {"threshold", is_root ? options.root_threshold : options.role_threshold}};
  }
  repo.bodies_[Role::root] = {{"_type", "root"},
                              {"spec_version", northbound::kSpecVersion},
                              {"version", 1},
                              {"expires", repo.expires_in(expiry.root)},
                              {"consistent_snapshot", true},
                              {"keys", keys},
                              {"roles", roles}};
  FG_ASSIGN_OR_RETURN(std::string root_bytes, repo.sign(Role::root, repo.bodies_[Role::root]));
  FG_TRY(repo.write_role(Role::root, root_bytes));

  repo.bodies_[Role::targets] = {{"_type", "targets"},
                                 {"spec_version", northbound::kSpecVersion},
                                 {"version", 0},
                                 {"expires", ""},
                                 {"targets", json::object()}};
  repo.bodies_[Role::snapshot] = {{"_type", "snapshot"},
                                  {"spec_version", northbound::kSpecVersion},
                                  {"version", 0},
                                  {"expires", ""},
                                  {"meta", json::object()}};
  repo.bodies_[Role::timestamp] = {{"_type", "timestamp"},
                                   {"spec_version", northbound::kSpecVersion},
                                   {"version", 0},
                                   {"expires", ""},
                                   {"meta", json::object()}};
  FG_TRY(repo.publish_targets());
  return repo;
}

Result<Repository> Repository::open(const std::string& dir, const Clock& clock, RepoExpiry expiry) {
  const std::string meta = dir + "/repository/";
  if (!fs::exists(meta + "root.json")) {
    return make_error(Errc::not_found, "repository",
                      dir + " holds no repository (run 'fleetgate repo init " + dir + "')");
  }
  FG_ASSIGN_OR_RETURN(RepoKeyring ring, RepoKeyring::open(dir + "/keys"));
  Repository repo(dir, std::move(ring), clock, expiry);
  FG_ASSIGN_OR_RETURN(repo.bodies_[Role::root], signed_body(meta + "root.json", Role::root));
  FG_ASSIGN_OR_RETURN(repo.bodies_[Role::timestamp],
                      signed_body(meta + "timestamp.json", Role::timestamp));
  const uint64_t snap_version =
      repo.bodies_[Role::timestamp]["meta"]["snapshot.json"]["version"].get<uint64_t>();
  FG_ASSIGN_OR_RETURN(
      repo.bodies_[Role::snapshot],
      signed_body(meta + std::to_string(snap_version) + ".snapshot.json", Role::snapshot));
  const uint64_t targets_version =
      repo.bodies_[Role::snapshot]["meta"]["targets.json"]["version"].get<uint64_t>();
  FG_ASSIGN_OR_RETURN(
      repo.bodies_[Role::targets],
      signed_body(meta + std::to_string(targets_version) + ".targets.json", Role::targets));
  for (Role role : kRoles) {
    const std::string name(northbound::role_name(role));
    std::string file = role == Role::snapshot  ? std::to_string(snap_version) + ".snapshot.json"
                       : role == Role::targets ? std::to_string(targets_version) + ".targets.json"
                                               : name + ".json";
    FG_ASSIGN_OR_RETURN(repo.signed_bytes_[role], read_file(meta + file));
  }
  // Refuse to work with a repository whose signing keys are missing.
  for (Role role : kRoles) {
    bool any = false;
    for (const auto& id : repo.keyids(role)) any |= repo.keyring_.find(id).ok();
    if (!any) {
      return make_error(Errc::config, "keys",
                        "no private key of role " + std::string(northbound::role_name(role)) +
                            " in " + dir + "/keys");
    }
  }
  return repo;
}

Status Repository::publish_timestamp_only() {
  json& ts = bodies_[Role::timestamp];
  const uint64_t snap_version = bodies_[Role::snapshot]["version"].get<uint64_t>();
  ts["version"] = ts["version"].get<uint64_t>() + 1;
  ts["expires"] = expires_in(expiry_.timestamp);
  ts["meta"] = {{"snapshot.json", meta_for(signed_bytes_[Role::snapshot], snap_version)}};
  FG_ASSIGN_OR_RETURN(std::string bytes, sign(Role::timestamp, ts));
  return write_role(Role::timestamp, bytes);
}

Status Repository::publish_snapshot_only() {
  json& snap = bodies_[Role::snapshot];
  const uint64_t targets_version = bodies_[Role::targets]["version"].get<uint64_t>();
  snap["version"] = snap["version"].get<uint64_t>() + 1;
  snap["expires"] = expires_in(expiry_.snapshot);
  snap["meta"] = {{"targets.json", meta_for(signed_bytes_[Role::targets], targets_version)}};
  FG_ASSIGN_OR_RETURN(std::string bytes, sign(Role::snapshot, snap));
  return write_role(Role::snapshot, bytes);
}

Status Repository::publish_timestamp() { return publish_timestamp_only(); }

Status Repository::publish_snapshot() {
  FG_TRY(publish_snapshot_only());
  return publish_timestamp_only();
}

Status Repository::publish_targets() {
  json& tg = bodies_[Role::targets];
  tg["version"] = tg["version"].get<uint64_t>() + 1;
  tg["expires"] = expires_in(expiry_.targets);
  FG_ASSIGN_OR_RETURN(std::string bytes, sign(Role::targets, tg));
  FG_TRY(write_role(Role::targets, bytes));
  return publish_snapshot();
}

Status Repository::refresh_timestamp() { return publish_timestamp_only(); }

Status Repository::add_target(std::string_view name, std::string_view content, const json& custom) {
  if (!northbound::is_safe_target_name(name)) {
    return make_error(Errc::invalid_argument, "target_name",
                      "target name '" + std::string(name) +
                          "' is not a relative path without empty, '.' or '..' parts");
  }
  const Sha256Digest digest = Sha256::of(content);
  FG_TRY(write_file("targets/" + northbound::consistent_target_path(name, digest), content));
  json entry = {{"length", content.size()}, {"hashes", {{"sha256", digest.hex()}}}};
  if (!custom.is_null()) entry["custom"] = custom;
  bodies_[Role::targets]["targets"][std::string(name)] = entry;
  return publish_targets();
}

Status Repository::add_file(const std::string& path, std::string_view name, const json& custom) {
  FG_ASSIGN_OR_RETURN(std::string content, read_file(path));
  return add_target(name, content, custom);
}

Result<std::string> Repository::add_plan(std::string_view plan_json) {
  FG_ASSIGN_OR_RETURN(northbound::SyncPlan plan, northbound::parse_sync_plan(plan_json));
  const std::string name = "plans/" + plan.site + ".json";
  FG_TRY(add_target(name, plan_json));
  return name;
}

Status Repository::rotate(Role role) {
  json& root = bodies_[Role::root];
  const std::string name(northbound::role_name(role));
  const std::vector<std::string> old_root_ids = keyids(Role::root);
  const std::vector<std::string> old_ids = keyids(role);
  json new_ids = json::array();
  for (size_t i = 0; i < old_ids.size(); ++i) {
    FG_ASSIGN_OR_RETURN(const northbound::PrivateKey* key, keyring_.generate());
    root["keys"][key->keyid()] = key->public_key().to_json();
    new_ids.push_back(key->keyid());
  }
  root["roles"][name]["keyids"] = new_ids;
  // Drop public keys no role lists any more.
  std::set<std::string> used;
  for (const auto& [r, spec] : root["roles"].items()) {
    for (const auto& id : spec["keyids"]) used.insert(id.get<std::string>());
  }
  for (const auto& id : old_ids) {
    if (!used.contains(id)) root["keys"].erase(id);
  }
  root["version"] = root["version"].get<uint64_t>() + 1;
  root["expires"] = expires_in(expiry_.root);
  std::vector<std::string> signers = old_root_ids;
  for (const auto& id : keyids(Role::root)) signers.push_back(id);
  FG_ASSIGN_OR_RETURN(std::string bytes, sign_with(root, signers));
  FG_TRY(write_role(Role::root, bytes));
  switch (role) {
    case Role::root:
      return ok_status();
    case Role::timestamp:
      return publish_timestamp_only();
    case Role::snapshot:
      return publish_snapshot();
    case Role::targets:
      return publish_targets();
  }
  return ok_status();
}

}  // namespace fleetgate::gateway
