// The TUF client workflow (spec section 5) for the top-level roles, over an Origin and
// the cache Store: refresh the trusted metadata, then download targets into the cache.
//
// Trusted metadata lives in the store's trusted_metadata table under the keys "root",
// "timestamp", "snapshot" and "targets", and every accepted root also under "<N>.root".
// Each accepted step is written in one
// transaction; a refused step writes nothing, so the previous trusted state stays.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/store.h"
#include "common/clock.h"
#include "common/result.h"
#include "northbound/origin.h"
#include "northbound/trusted_state.h"

namespace fleetgate::northbound {

// Caps against endless-data attacks where no signed length applies.
struct UpdaterLimits {
  uint32_t max_root_rotations = 32;  // N+1.root.json fetched at most this often
  uint64_t root_max_bytes = 512 * 1024;
  uint64_t timestamp_max_bytes = 16 * 1024;
  uint64_t snapshot_max_bytes = 2 * 1024 * 1024;  // when timestamp signs no length
  uint64_t targets_max_bytes = 8 * 1024 * 1024;   // when snapshot signs no length
};

class TufUpdater {
 public:
  // `initial_root` is the root delivered out of band; used only when the store holds no
  // trusted root yet.
  TufUpdater(cache::Store& store, Origin& origin, const Clock& clock, std::string initial_root,
             UpdaterLimits limits = {});

  // One refresh: root chain, timestamp, snapshot, targets. The update start time is
  // read once from the clock. Not-found metadata other than the next root is
  // Errc::not_found; an unreachable origin is Errc::network.
  Status refresh();

  // After refresh(): the signed description of a target, Errc::not_found if unlisted.
  Result<TargetFile> target(std::string_view name) const;

  // Downloads a target into the cache (resuming a partial ingest) with at most its signed
  // length, and returns it once its SHA-256 matched. An artifact already visible is
  // only given the name.
  Result<cache::ArtifactInfo> fetch_target(std::string_view name);

  // Reads a small target (a plan) into memory with the same length cap and SHA-256
  // check, without adding it to the cache. Refuses targets over `max_bytes`.
  Result<std::string> fetch_target_bytes(std::string_view name, uint64_t max_bytes);

  const TrustedState* state() const { return state_ ? &*state_ : nullptr; }

 private:
  Result<TrustedBytes> load_stored();
  Status persist(const TrustedBytes& before);
  Status refresh_root();
  std::string target_path(std::string_view name, const TargetFile& tf) const;

  cache::Store& store_;
  Origin& origin_;
  const Clock& clock_;
  std::string initial_root_;
  UpdaterLimits limits_;
  std::optional<TrustedState> state_;
  bool stored_root_ = false;  // whether the store already held a trusted root
};

}  // namespace fleetgate::northbound
