// SHA-256 digests: the identity of every artifact (never xxHash).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fleetgate {

struct Sha256Digest {
  std::array<uint8_t, 32> bytes{};

  static Result<Sha256Digest> from_hex(std::string_view hex);  // exactly 64 hex digits
  std::string hex() const;                                     // lower case
  auto operator<=>(const Sha256Digest&) const = default;
};

// Incremental SHA-256 (BoringSSL). The state lives inline; no allocation.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  void update(std::string_view data);
  Sha256Digest finish();  // the hasher must not be used afterwards
  static Sha256Digest of(std::string_view data);
  static Sha256Digest of(std::span<const uint8_t> data);

 private:
  alignas(16) std::array<uint8_t, 128> state_;  // holds SHA256_CTX (checked in digest.cc)
};

std::string to_hex(std::span<const uint8_t> data);
Result<std::string> from_hex(std::string_view hex);  // even length, [0-9a-fA-F]

}  // namespace fleetgate
