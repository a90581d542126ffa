// What southbound asks the rollout engine (implemented in gateway/): what should this
// device run next, and may it read this blob. southbound never decides either itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/digest.h"

namespace fleetgate::southbound {

struct Device;

struct NextAnswer {
  enum class Kind {
    nothing,          // up to date: HTTP 204
    update,           // run `target`: HTTP 200 with the JSON body
    come_back_later,  // window closed or no transfer slot: HTTP 503 + Retry-After
  };
  Kind kind = Kind::nothing;
  std::string deployment;
  std::string target;
  uint64_t length = 0;
  Sha256Digest sha256;
  std::string action = "install";  // install | download-only
  std::chrono::seconds retry_after{60};
};

class DeploymentOracle {
 public:
  virtual ~DeploymentOracle() = default;
  virtual NextAnswer next(const Device& device) = 0;
  // Whether `device` (nullptr: an unauthenticated client) may download the blob: a
  // deployment assigns it to the device, or it is public. Must not depend on whether the
  // blob is in the cache, so refusals cannot reveal what the cache holds.
  virtual bool may_read(const Device* device, const Sha256Digest& blob) = 0;
};

}  // namespace fleetgate::southbound
