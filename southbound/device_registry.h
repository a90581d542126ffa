// The device registry file (DESIGN.md section 4), TOML:
//   [[device]]
//   id = "sensor-17"        # required, unique
//   group = "line-3"
//   hardware = "sensor-b"
//   token = "..."           # HTTP bearer token; only its SHA-256 is kept
//   psk = "..."             # DTLS pre-shared key, identity = id
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/digest.h"
#include "common/result.h"

namespace fleetgate::southbound {

struct Device {
  std::string id;
  std::string group;
  std::string hardware;
  std::string psk;  // empty: no DTLS identity
  bool has_token = false;
  Sha256Digest token_sha256;
};

class DeviceRegistry {
 public:
  // `source` names the file in error messages.
  static Result<DeviceRegistry> parse(std::string_view toml_text, std::string_view source);
  static Result<DeviceRegistry> load(const std::string& path);

  const Device* find(std::string_view id) const;
  // The device whose token this is, or nullptr. The stored SHA-256 is compared in
  // constant time, so response timing does not reveal how much of a guess was right.
  const Device* authenticate(std::string_view bearer_token) const;
  size_t size() const { return devices_.size(); }
  const std::vector<Device>& devices() const { return devices_; }

 private:
  std::vector<Device> devices_;
  std::unordered_map<std::string, size_t> by_id_;
  // Keyed by the token's SHA-256: a lookup's timing depends on the hash only, never on
  // the token, and the hit is confirmed with a constant-time compare.
  std::unordered_map<std::string, size_t> by_token_hash_;
};

}  // namespace fleetgate::southbound
