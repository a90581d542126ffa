#include "northbound/tuf_updater.h"

#include <vector>

namespace fleetgate::northbound {
namespace {

constexpr cache::Table kTable = cache::Table::trusted_metadata;

// Tags an origin error with the file it was for, keeping code and detail.
Error about(Error e, std::string_view path) {
  e.message = std::string(path) + ": " + e.message;
  return e;
}

}  // namespace

TufUpdater::TufUpdater(cache::Store& store, Origin& origin, const Clock& clock,
                       std::string initial_root, UpdaterLimits limits)
    : store_(store),
      origin_(origin),
      clock_(clock),
      initial_root_(std::move(initial_root)),
      limits_(limits) {}

Result<TrustedBytes> TufUpdater::load_stored() {
  TrustedBytes out;
  FG_ASSIGN_OR_RETURN(auto root, store_.kv_get(kTable, "root"));
  stored_root_ = root.has_value();
  out.root = root ? *root : initial_root_;
  FG_ASSIGN_OR_RETURN(out.timestamp, store_.kv_get(kTable, "timestamp"));
  FG_ASSIGN_OR_RETURN(out.snapshot, store_.kv_get(kTable, "snapshot"));
  FG_ASSIGN_OR_RETURN(out.targets, store_.kv_get(kTable, "targets"));
  if (!root) out.timestamp = out.snapshot = out.targets = std::nullopt;
  return out;
}

Status TufUpdater::persist(const TrustedBytes& before) {
  const TrustedBytes& now = state_->bytes();
  std::vector<cache::KvWrite> writes;
  auto diff = [&](const char* key, const std::optional<std::string>& old_value,
                  const std::optional<std::string>& new_value) {
    if (old_value != new_value) writes.push_back(cache::KvWrite{kTable, key, new_value});
  };
  diff("root", before.root, now.root);
  if (before.root != now.root) {
    // Every accepted root stays, so a mirror can serve the whole chain ("2.root", ...).
    writes.push_back(
        cache::KvWrite{kTable, std::to_string(state_->root().version) + ".root", now.root});
  }
  diff("timestamp", before.timestamp, now.timestamp);
  diff("snapshot", before.snapshot, now.snapshot);
  diff("targets", before.targets, now.targets);
  if (writes.empty()) return ok_status();
  return store_.kv_write(writes);
}

Status TufUpdater::refresh_root() {
  for (uint32_t i = 0; i < limits_.max_root_rotations; ++i) {
    const std::string path = std::to_string(state_->root().version + 1) + ".root.json";
    auto bytes = fetch_all(origin_, path, limits_.root_max_bytes);
    if (!bytes.ok()) {
      if (bytes.error().code == Errc::not_found) return ok_status();
      return about(bytes.take_error(), path);
    }
    const TrustedBytes before = state_->bytes();
    FG_TRY(state_->update_root(*bytes));
    FG_TRY(persist(before));
  }
  return ok_status();
}

Status TufUpdater::refresh() {
  const int64_t start = unix_seconds(clock_.now());  // spec 5.1: one fixed time
  FG_ASSIGN_OR_RETURN(TrustedBytes stored, load_stored());
  {
    auto loaded = TrustedState::load(stored, start);
    if (!loaded.ok()) {
      Error e = loaded.take_error();
      e.message = "trusted root: " + e.message;
      return e;
    }
    state_ = std::move(loaded).value();
  }
  // A first run (the initial root), or stored roles that load() dropped.
  if (!stored_root_) stored.root.clear();
  FG_TRY(persist(stored));

  FG_TRY(refresh_root());
  FG_TRY(state_->check_root_fresh());

  {
    FG_ASSIGN_OR_RETURN(std::string bytes, [&]() -> Result<std::string> {
      auto r = fetch_all(origin_, "timestamp.json", limits_.timestamp_max_bytes);
      if (!r.ok()) return about(r.take_error(), "timestamp.json");
      return r;
    }());
    const TrustedBytes before = state_->bytes();
    FG_ASSIGN_OR_RETURN(bool changed, state_->update_timestamp(bytes));
    if (changed) FG_TRY(persist(before));
  }

  if (!state_->snapshot_current()) {
    const MetaFile& meta = state_->timestamp()->snapshot;
    const std::string path = state_->root().consistent_snapshot
                                 ? std::to_string(meta.version) + ".snapshot.json"
                                 : "snapshot.json";
    auto bytes = fetch_all(origin_, path, meta.length.value_or(limits_.snapshot_max_bytes));
    if (!bytes.ok()) return about(bytes.take_error(), path);
    const TrustedBytes before = state_->bytes();
    FG_TRY(state_->update_snapshot(*bytes));
    FG_TRY(persist(before));
  }

  if (!state_->targets_current()) {
    const MetaFile& meta = state_->snapshot()->meta.at("targets.json");
    const std::string path = state_->root().consistent_snapshot
                                 ? std::to_string(meta.version) + ".targets.json"
                                 : "targets.json";
    auto bytes = fetch_all(origin_, path, meta.length.value_or(limits_.targets_max_bytes));
    if (!bytes.ok()) return about(bytes.take_error(), path);
    const TrustedBytes before = state_->bytes();
    FG_TRY(state_->update_targets(*bytes));
    FG_TRY(persist(before));
  }
  return state_->check_all_fresh();
}

Result<TargetFile> TufUpdater::target(std::string_view name) const {
  if (!state_ || !state_->targets()) {
    return make_error(Errc::internal, "order", "target lookup before a successful refresh");
  }
  auto it = state_->targets()->targets.find(std::string(name));
  if (it == state_->targets()->targets.end()) {
    return make_error(Errc::not_found, "unknown_target",
                      "target '" + std::string(name) + "' is not in the signed targets");
  }
  return it->second;
}

std::string TufUpdater::target_path(std::string_view name, const TargetFile& tf) const {
  return "targets/" + (state_->root().consistent_snapshot ? consistent_target_path(name, tf.sha256)
                                                          : std::string(name));
}

Result<std::string> TufUpdater::fetch_target_bytes(std::string_view name, uint64_t max_bytes) {
  FG_ASSIGN_OR_RETURN(TargetFile tf, target(name));
  if (tf.length > max_bytes) {
    return make_error(Errc::verification, "length_exceeded",
                      "length exceeded: target " + std::string(name) + " is signed as " +
                          std::to_string(tf.length) + " bytes, more than " +
                          std::to_string(max_bytes) + " allowed");
  }
  auto bytes = fetch_all(origin_, target_path(name, tf), tf.length);
  if (!bytes.ok()) {
    Error e = bytes.take_error();
    if (e.detail == "length_exceeded") {
      return make_error(Errc::verification, "length_exceeded",
                        "length exceeded: target " + std::string(name) +
                            " is longer than its signed " + std::to_string(tf.length) + " bytes");
    }
    return about(std::move(e), name);
  }
  if (bytes->size() != tf.length || Sha256::of(*bytes) != tf.sha256) {
    return make_error(Errc::verification, "hash_mismatch",
                      "hash mismatch: target " + std::string(name) +
                          " does not match its signed length and SHA-256");
  }
  return bytes;
}

Result<cache::ArtifactInfo> TufUpdater::fetch_target(std::string_view name) {
  FG_ASSIGN_OR_RETURN(TargetFile tf, target(name));
  auto begun = store_.begin_ingest(tf.sha256, tf.length, name);
  if (!begun.ok()) {
    if (begun.error().code != Errc::already_exists) return begun.take_error();
    FG_TRY(store_.add_name(tf.sha256, name));
    return store_.stat(tf.sha256);
  }
  std::unique_ptr<cache::Ingest> ingest = std::move(begun).value();
  const std::string path = target_path(name, tf);
  // A restart (the origin sends the whole file again) drops the partial ingest and begins
  // anew at byte 0: the held bytes may be of an older representation.
  auto restart = [&]() -> Status {
    ingest->abort();
    ingest.reset();
    auto again = store_.begin_ingest(tf.sha256, tf.length, name);
    if (!again.ok()) return again.take_error();
    ingest = std::move(again).value();
    if (ingest->offset() != 0) {
      return make_error(Errc::internal, "restart",
                        "target " + std::string(name) + ": ingest did not restart at byte 0");
    }
    return ok_status();
  };
  Status fetched = origin_.fetch(
      path, ingest->offset(), tf.length,
      [&](std::span<const uint8_t> piece) { return ingest->append(piece); }, restart);
  if (!fetched.ok()) {
    Error e = fetched.take_error();
    if (e.detail == "length_exceeded") {
      ingest->abort();
      return make_error(Errc::verification, "length_exceeded",
                        "length exceeded: target " + std::string(name) +
                            " is longer than its signed " + std::to_string(tf.length) + " bytes");
    }
    // Other failures keep the committed chunks: the next attempt resumes.
    return about(std::move(e), path);
  }
  auto finished = ingest->finish();
  if (!finished.ok()) {
    Error e = finished.take_error();
    if (e.detail == "hash_mismatch") {
      return make_error(
          Errc::verification, "hash_mismatch",
          "hash mismatch: target " + std::string(name) + " does not match its signed SHA-256");
    }
    if (e.detail == "length_exceeded" || e.code == Errc::verification) {
      return make_error(Errc::verification, e.detail.empty() ? "length_mismatch" : e.detail,
                        "target " + std::string(name) + ": " + e.message);
    }
    return e;
  }
  return finished;
}

}  // namespace fleetgate::northbound
