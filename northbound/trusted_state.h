// The client's trusted TUF metadata and the checks of spec section 5 that move it
// forward, as pure functions over bytes: no I/O, no clock reads (the fixed update start
// time is given once). Each update either accepts the new metadata or leaves every
// trusted role exactly as it was.
//
// Refusals are Errc::verification with `detail` naming the check: "rollback",
// "expired", "threshold", "bad_signature", "hash_mismatch", "length_exceeded",
// "version_mismatch"; delegations are Errc::unsupported "delegations_unsupported".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "northbound/metadata.h"

namespace fleetgate::northbound {

// The raw bytes of each trusted role, as persisted between runs.
struct TrustedBytes {
  std::string root;
  std::optional<std::string> timestamp;
  std::optional<std::string> snapshot;
  std::optional<std::string> targets;
};

class TrustedState {
 public:
  // Starts from persisted metadata (or just the initial root). The root must carry a
  // threshold of its own root keys. Other roles that no longer verify against it are
  // dropped (they are refetched), not trusted. Expiry is not checked here.
  static Result<TrustedState> load(const TrustedBytes& stored, int64_t update_start);

  // Spec 5.3: `bytes` must be root version current+1, signed by a threshold of the
  // current root keys and of its own. Rotated timestamp or snapshot keys drop the
  // trusted timestamp and snapshot (fast-forward attack recovery).
  Status update_root(std::string_view bytes);
  // Spec 5.3.10: after the root chain, an expired root aborts the update.
  Status check_root_fresh() const;

  // Spec 5.4. Returns false when the version equals the trusted one (nothing changes).
  Result<bool> update_timestamp(std::string_view bytes);
  // Spec 5.5: checks the length and hash from timestamp before any signature.
  Status update_snapshot(std::string_view bytes);
  // Spec 5.6: checks the length and hash from snapshot before any signature.
  Status update_targets(std::string_view bytes);

  // After a refresh: every trusted role, fetched now or kept from before, is unexpired
  // at the update start time (freeze attacks).
  Status check_all_fresh() const;

  const RootMetadata& root() const { return root_; }
  const std::optional<TimestampMetadata>& timestamp() const { return timestamp_; }
  const std::optional<SnapshotMetadata>& snapshot() const { return snapshot_; }
  const std::optional<TargetsMetadata>& targets() const { return targets_; }
  const TrustedBytes& bytes() const { return bytes_; }
  int64_t update_start() const { return update_start_; }

  // True when the trusted snapshot is the one the trusted timestamp names, so it
  // need not be fetched again; likewise for targets and the snapshot.
  bool snapshot_current() const;
  bool targets_current() const;

 private:
  Status check_fresh(Role role, int64_t expires) const;

  int64_t update_start_ = 0;
  RootMetadata root_;
  std::optional<TimestampMetadata> timestamp_;
  std::optional<SnapshotMetadata> snapshot_;
  std::optional<TargetsMetadata> targets_;
  TrustedBytes bytes_;
};

}  // namespace fleetgate::northbound
