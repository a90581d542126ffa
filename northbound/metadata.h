// The TUF 1.0 metadata model for the four top-level roles.
//
// Glossary:
//   envelope  - {"signatures": [...], "signed": {...}}; signatures cover the canonical
//               JSON of `signed`.
//   meta file - what a role says about another role's file: its version, and optionally
//               its length and hashes (timestamp -> snapshot, snapshot -> targets).
//   target    - a file the repository signs: a name such as "fw/a.bin", a length and
//               its SHA-256 (required here: the cache is addressed by it).
// Parsing checks shape only. Signatures, versions and expiry are checked by
// TrustedState, which knows what is already trusted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/result.h"
#include "northbound/keys.h"

namespace fleetgate::northbound {

enum class Role { root, timestamp, snapshot, targets };
std::string_view role_name(Role role);
Result<Role> role_from_name(std::string_view name);

inline constexpr std::string_view kSpecVersion = "1.0.31";

struct Signature {
  std::string keyid;
  std::string sig;  // raw bytes
};

// A parsed envelope with the fields every role shares.
struct SignedEnvelope {
  Role role = Role::root;
  uint64_t version = 0;
  int64_t expires = 0;    // unix seconds
  nlohmann::json body;    // `signed`
  std::string canonical;  // canonical JSON of `signed`: the signed bytes
  std::vector<Signature> signatures;
};

// Errc::invalid_argument ("metadata") for bad JSON or shape, naming the field; a
// `_type` other than `expected` is also refused.
Result<SignedEnvelope> parse_envelope(std::string_view bytes, Role expected);

struct RoleKeys {
  std::vector<std::string> keyids;
  uint32_t threshold = 1;
};

struct RootMetadata {
  uint64_t version = 0;
  int64_t expires = 0;
  bool consistent_snapshot = false;
  std::map<std::string, PublicKey> keys;  // by keyid
  std::map<Role, RoleKeys> roles;         // all four present
};

struct MetaFile {
  uint64_t version = 0;
  std::optional<uint64_t> length;
  std::optional<Sha256Digest> sha256;
};

struct TimestampMetadata {
  uint64_t version = 0;
  int64_t expires = 0;
  MetaFile snapshot;  // meta["snapshot.json"]
};

struct SnapshotMetadata {
  uint64_t version = 0;
  int64_t expires = 0;
  std::map<std::string, MetaFile> meta;  // "targets.json" and delegated roles
};

struct TargetFile {
  uint64_t length = 0;
  Sha256Digest sha256;
  nlohmann::json custom;  // null when absent
};

struct TargetsMetadata {
  uint64_t version = 0;
  int64_t expires = 0;
  std::map<std::string, TargetFile> targets;
  bool has_delegations = false;  // the client refuses these (Errc::unsupported)
};

Result<RootMetadata> parse_root(const SignedEnvelope& env);
Result<TimestampMetadata> parse_timestamp(const SignedEnvelope& env);
Result<SnapshotMetadata> parse_snapshot(const SignedEnvelope& env);
Result<TargetsMetadata> parse_targets(const SignedEnvelope& env);

// Counts valid signatures by distinct keys of `role` in `root`. Refuses with
// Errc::verification: "bad_signature" when below threshold and a listed key's signature
// did not verify, "threshold" otherwise. A keyid listed twice, or two keyids for the
// same key, count once.
Status verify_signatures(const SignedEnvelope& env, const RootMetadata& root, Role role,
                         std::string_view what);

// "2030-01-01T00:00:00Z" <-> unix seconds (UTC, the only form TUF uses).
Result<int64_t> parse_expires(std::string_view text);
std::string format_expires(int64_t unix_seconds);

// A target name usable as a relative path: no empty, "." or ".." segments, no
// leading '/', no backslash or NUL.
bool is_safe_target_name(std::string_view name);
// "fw/a.bin" + digest -> "fw/<sha256>.a.bin" (consistent snapshot layout).
std::string consistent_target_path(std::string_view name, const Sha256Digest& sha256);

// Builds an envelope around `body`, signed by `keys`, as pretty-printed JSON text.
Result<std::string> sign_envelope(const nlohmann::json& body,
                                  const std::vector<const PrivateKey*>& keys);

}  // namespace fleetgate::northbound
