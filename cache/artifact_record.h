// The stored form of one artifact's bookkeeping (everything except its chunks).
// A private, versioned little-endian encoding: the map outlives any one build.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/store.h"

namespace fleetgate::cache {

struct ArtifactRecord {
  ArtifactState state = ArtifactState::ingesting;
  uint64_t length = 0;
  uint64_t committed = 0;  // bytes in committed chunks
  int64_t created = 0;     // unix seconds the ingest began (eviction tie-break)
  int64_t visible_since = 0;
  int64_t last_served = 0;
  std::vector<std::string> names;
  std::vector<std::string> pins;

  std::string encode() const;
  static std::optional<ArtifactRecord> decode(std::string_view bytes);

  ArtifactInfo to_info(const Sha256Digest& sha256) const;
  // Least recently served first; never-served artifacts by age.
  int64_t eviction_key() const {
    return last_served != 0 ? last_served : visible_since != 0 ? visible_since : created;
  }
};

}  // namespace fleetgate::cache
