// The publisher side of the signed repository (`fleetgate repo`): builds and signs a
// TUF 1.0 repository with consistent snapshots, as the cloud would, and as every test
// does to make the repositories the client reads.
//
// Layout of DIR:
//   DIR/keys/<keyid>.key        private keys (0600), see RepoKeyring
//   DIR/repository/             what an origin serves:
//     N.root.json, root.json, V.targets.json, V.snapshot.json, timestamp.json,
//     targets/<dir>/<sha256>.<basename>
// The newest signed body of each role is read back from those files on open(), so the
// repository itself is the only state.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "gateway/repo_keyring.h"
#include "northbound/metadata.h"

namespace fleetgate::gateway {

struct RepoInitOptions {
  uint32_t root_keys = 1;
  uint32_t root_threshold = 1;
  uint32_t role_keys = 1;  // for targets, snapshot and timestamp
  uint32_t role_threshold = 1;
};

// How long each role's metadata stays valid after it is signed.
struct RepoExpiry {
  std::chrono::seconds root{365 * 86400};
  std::chrono::seconds targets{90 * 86400};
  std::chrono::seconds snapshot{7 * 86400};
  std::chrono::seconds timestamp{86400};
};

class Repository {
 public:
  // Creates DIR with fresh keys and version 1 of every role. Errc::already_exists if
  // DIR already holds a repository.
  static Result<Repository> init(const std::string& dir, const RepoInitOptions& options,
                                 const Clock& clock, RepoExpiry expiry = {});
  static Result<Repository> open(const std::string& dir, const Clock& clock,
                                 RepoExpiry expiry = {});

  // Adds (or replaces) a target and publishes new targets, snapshot and timestamp.
  Status add_target(std::string_view name, std::string_view content,
                    const nlohmann::json& custom = nullptr);
  Status add_file(const std::string& path, std::string_view name,
                  const nlohmann::json& custom = nullptr);
  // Validates a sync plan and adds it as target plans/<site>.json; returns that name.
  Result<std::string> add_plan(std::string_view plan_json);
  // Re-signs the timestamp with the next version and a new expiry.
  Status refresh_timestamp();
  // New keys for `role` (as many as before, same threshold) in a new root version
  // signed by the old and the new root keys; re-publishes what the new keys sign.
  Status rotate(northbound::Role role);

  // Lower level, for tests that build attacks: the newest signed body of a role, signing
  // with the role's current keys, and publishing steps that bump the version.
  const nlohmann::json& body(northbound::Role role) const;
  Result<std::string> sign(northbound::Role role, const nlohmann::json& body) const;
  Status publish_targets();   // then snapshot and timestamp
  Status publish_snapshot();  // then timestamp
  Status publish_timestamp();
  Status write_file(std::string_view relative, std::string_view bytes) const;
  Result<const northbound::PrivateKey*> private_key(const std::string& keyid) const {
    return keyring_.find(keyid);
  }

  std::string metadata_dir() const { return dir_ + "/repository"; }
  std::string url() const { return "file://" + metadata_dir() + "/"; }
  std::string root_path() const { return metadata_dir() + "/1.root.json"; }

 private:
  Repository(std::string dir, RepoKeyring keyring, const Clock& clock, RepoExpiry expiry)
      : dir_(std::move(dir)), keyring_(std::move(keyring)), clock_(&clock), expiry_(expiry) {}

  std::string expires_in(std::chrono::seconds d) const;
  std::vector<std::string> keyids(northbound::Role role) const;
  Result<std::string> sign_with(const nlohmann::json& body,
                                const std::vector<std::string>& keyids) const;
  Status write_role(northbound::Role role, const std::string& bytes);
  Status publish_snapshot_only();
  Status publish_timestamp_only();
  nlohmann::json meta_for(const std::string& bytes, uint64_t version) const;

  std::string dir_;
  RepoKeyring keyring_;
  const Clock* clock_;
  RepoExpiry expiry_;
  std::map<northbound::Role, nlohmann::json> bodies_;
  std::map<northbound::Role, std::string> signed_bytes_;  // newest file of each role
};

}  // namespace fleetgate::gateway
