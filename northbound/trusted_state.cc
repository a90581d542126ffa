#include "northbound/trusted_state.h"

#include <algorithm>
#include <utility>

namespace fleetgate::northbound {
namespace {

// The message starts with the check's name in words: "length exceeded: ...".
Error refuse(std::string detail, std::string message) {
  std::string check = detail;
  std::replace(check.begin(), check.end(), '_', ' ');
  return make_error(Errc::verification, std::move(detail), check + ": " + message);
}

std::string v(uint64_t version) { return std::to_string(version); }

// Length and hash pinned by the role above, checked before any signature work so
// that mix-and-match and oversized files are refused cheaply.
Status check_pinned(std::string_view bytes, const MetaFile& meta, std::string_view what) {
  if (meta.length && bytes.size() > *meta.length) {
    return refuse("length_exceeded", std::string(what) + " is " + std::to_string(bytes.size()) +
                                         " bytes, more than the " + std::to_string(*meta.length) +
                                         " signed");
  }
  if (meta.sha256 && Sha256::of(bytes) != *meta.sha256) {
    return refuse("hash_mismatch", std::string(what) + " does not match the SHA-256 signed for it");
  }
  return ok_status();
}

Status check_version(uint64_t got, uint64_t expected, std::string_view what) {
  if (got < expected) {
    return refuse("rollback", std::string(what) + " version " + v(got) + " is lower than " +
                                  v(expected) + " expected");
  }
  if (got != expected) {
    return refuse("version_mismatch", std::string(what) + " version " + v(got) + " is not the " +
                                          v(expected) + " expected");
  }
  return ok_status();
}

}  // namespace

Status TrustedState::check_fresh(Role role, int64_t expires) const {
  if (update_start_ >= expires) {
    return refuse("expired",
                  std::string(role_name(role)) + " metadata expired at " + format_expires(expires));
  }
  return ok_status();
}

Result<TrustedState> TrustedState::load(const TrustedBytes& stored, int64_t update_start) {
  TrustedState st;
  st.update_start_ = update_start;
  FG_ASSIGN_OR_RETURN(SignedEnvelope root_env, parse_envelope(stored.root, Role::root));
  FG_ASSIGN_OR_RETURN(st.root_, parse_root(root_env));
  FG_TRY(verify_signatures(root_env, st.root_, Role::root, "trusted root"));
  st.bytes_.root = stored.root;

  // Each later role is kept only if it still parses and verifies against the root.
  if (stored.timestamp) {
    auto env = parse_envelope(*stored.timestamp, Role::timestamp);
    if (env.ok() && verify_signatures(*env, st.root_, Role::timestamp, "timestamp").ok()) {
      auto ts = parse_timestamp(*env);
      if (ts.ok()) {
        st.timestamp_ = *ts;
        st.bytes_.timestamp = stored.timestamp;
      }
    }
  }
  if (stored.snapshot) {
    auto env = parse_envelope(*stored.snapshot, Role::snapshot);
    if (env.ok() && verify_signatures(*env, st.root_, Role::snapshot, "snapshot").ok()) {
      auto snap = parse_snapshot(*env);
      if (snap.ok()) {
        st.snapshot_ = *snap;
        st.bytes_.snapshot = stored.snapshot;
      }
    }
  }
  if (stored.targets) {
    auto env = parse_envelope(*stored.targets, Role::targets);
    if (env.ok() && verify_signatures(*env, st.root_, Role::targets, "targets").ok()) {
      auto tg = parse_targets(*env);
      if (tg.ok()) {
        st.targets_ = std::move(tg).value();
        st.bytes_.targets = stored.targets;
      }
    }
  }
  return st;
}

Status TrustedState::update_root(std::string_view bytes) {
  FG_ASSIGN_OR_RETURN(SignedEnvelope env, parse_envelope(bytes, Role::root));
  FG_TRY(verify_signatures(env, root_, Role::root, "new root (by trusted root keys)"));
  FG_ASSIGN_OR_RETURN(RootMetadata next, parse_root(env));
  FG_TRY(verify_signatures(env, next, Role::root, "new root (by its own root keys)"));
  FG_TRY(check_version(next.version, root_.version + 1, "root"));

  auto keys_of = [](const RootMetadata& r, Role role) {
    std::vector<std::string> ids = r.roles.at(role).keyids;
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const bool rotated = keys_of(root_, Role::timestamp) != keys_of(next, Role::timestamp) ||
                       keys_of(root_, Role::snapshot) != keys_of(next, Role::snapshot);
  root_ = std::move(next);
  bytes_.root = std::string(bytes);
  if (rotated) {
    timestamp_.reset();
    snapshot_.reset();
    bytes_.timestamp.reset();
    bytes_.snapshot.reset();
  }
  return ok_status();
}

Status TrustedState::check_root_fresh() const { return check_fresh(Role::root, root_.expires); }

Status TrustedState::check_all_fresh() const {
  FG_TRY(check_root_fresh());
  if (timestamp_) FG_TRY(check_fresh(Role::timestamp, timestamp_->expires));
  if (snapshot_) FG_TRY(check_fresh(Role::snapshot, snapshot_->expires));
  if (targets_) FG_TRY(check_fresh(Role::targets, targets_->expires));
  return ok_status();
}

Result<bool> TrustedState::update_timestamp(std::string_view bytes) {
  FG_TRY(check_root_fresh());
  FG_ASSIGN_OR_RETURN(SignedEnvelope env, parse_envelope(bytes, Role::timestamp));
  FG_TRY(verify_signatures(env, root_, Role::timestamp, "timestamp"));
  FG_ASSIGN_OR_RETURN(TimestampMetadata ts, parse_timestamp(env));
  if (timestamp_) {
    if (ts.version < timestamp_->version) {
      return refuse("rollback", "timestamp version " + v(ts.version) +
                                    " is lower than trusted version " + v(timestamp_->version));
    }
    if (ts.version == timestamp_->version) {
      FG_TRY(check_fresh(Role::timestamp, timestamp_->expires));
      return false;
    }
    if (ts.snapshot.version < timestamp_->snapshot.version) {
      return refuse("rollback", "timestamp names snapshot version " + v(ts.snapshot.version) +
                                    ", lower than trusted " + v(timestamp_->snapshot.version));
    }
  }
  FG_TRY(check_fresh(Role::timestamp, ts.expires));
  timestamp_ = ts;
  bytes_.timestamp = std::string(bytes);
  return true;
}

bool TrustedState::snapshot_current() const {
  return timestamp_ && snapshot_ && snapshot_->version == timestamp_->snapshot.version;
}

bool TrustedState::targets_current() const {
  if (!snapshot_ || !targets_) return false;
  auto it = snapshot_->meta.find("targets.json");
  return it != snapshot_->meta.end() && it->second.version == targets_->version;
}

Status TrustedState::update_snapshot(std::string_view bytes) {
  if (!timestamp_) {
    return make_error(Errc::internal, "order", "snapshot update without a trusted timestamp");
  }
  FG_TRY(check_fresh(Role::timestamp, timestamp_->expires));
  FG_TRY(check_pinned(bytes, timestamp_->snapshot, "snapshot metadata"));
  FG_ASSIGN_OR_RETURN(SignedEnvelope env, parse_envelope(bytes, Role::snapshot));
  FG_TRY(verify_signatures(env, root_, Role::snapshot, "snapshot"));
  FG_ASSIGN_OR_RETURN(SnapshotMetadata snap, parse_snapshot(env));
  FG_TRY(check_version(snap.version, timestamp_->snapshot.version, "snapshot"));
  if (snapshot_) {
    for (const auto& [name, old] : snapshot_->meta) {
      auto it = snap.meta.find(name);
      if (it == snap.meta.end()) {
        return refuse("rollback", "snapshot no longer lists " + name);
      }
      if (it->second.version < old.version) {
        return refuse("rollback", "snapshot lists " + name + " version " + v(it->second.version) +
                                      ", lower than trusted " + v(old.version));
      }
    }
  }
  FG_TRY(check_fresh(Role::snapshot, snap.expires));
  snapshot_ = std::move(snap);
  bytes_.snapshot = std::string(bytes);
  return ok_status();
}

Status TrustedState::update_targets(std::string_view bytes) {
  if (!snapshot_) {
    return make_error(Errc::internal, "order", "targets update without a trusted snapshot");
  }
  FG_TRY(check_fresh(Role::snapshot, snapshot_->expires));
  const MetaFile& meta = snapshot_->meta.at("targets.json");
  FG_TRY(check_pinned(bytes, meta, "targets metadata"));
  FG_ASSIGN_OR_RETURN(SignedEnvelope env, parse_envelope(bytes, Role::targets));
  FG_TRY(verify_signatures(env, root_, Role::targets, "targets"));
  FG_ASSIGN_OR_RETURN(TargetsMetadata tg, parse_targets(env));
  FG_TRY(check_version(tg.version, meta.version, "targets"));
  FG_TRY(check_fresh(Role::targets, tg.expires));
  if (tg.has_delegations) {
    return make_error(Errc::unsupported, "delegations_unsupported",
                      "delegations unsupported: targets metadata delegates to other roles, "
                      "which this client does not implement");
  }
  targets_ = std::move(tg);
  bytes_.targets = std::string(bytes);
  return ok_status();
}

}  // namespace fleetgate::northbound
