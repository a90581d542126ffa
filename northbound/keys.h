// TUF keys and signatures: ed25519 only (BoringSSL).
//
// A public key is the TUF key object {"keytype":"ed25519","scheme":"ed25519",
// "keyval":{"public":"<64 hex>"}}; its keyid is the SHA-256 (hex) of that object's
// canonical JSON. A signature is {"keyid":"<hex>","sig":"<128 hex>"} over the
// canonical JSON of `signed`.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace fleetgate::northbound {

struct PublicKey {
  std::array<uint8_t, 32> bytes{};

  nlohmann::json to_json() const;
  // Errc::invalid_argument for any key type or scheme other than ed25519.
  static Result<PublicKey> from_json(const nlohmann::json& key);
  std::string keyid() const;
  // True iff `signature` (64 bytes) is this key's ed25519 signature of `message`.
  bool verify(std::string_view message, std::string_view signature) const;
  bool operator==(const PublicKey&) const = default;
};

// An ed25519 private key, held as its 32-byte seed.
class PrivateKey {
 public:
  static PrivateKey generate();
  static Result<PrivateKey> from_seed(std::string_view seed);  // exactly 32 bytes
  const PublicKey& public_key() const { return public_; }
  std::string keyid() const { return public_.keyid(); }
  std::string sign(std::string_view message) const;  // 64 raw bytes
  std::string seed() const;

  // The key file format: the public key object plus "keyval.private" (hex seed).
  nlohmann::json to_json() const;
  static Result<PrivateKey> from_json(const nlohmann::json& key);

 private:
  std::array<uint8_t, 64> private_{};  // BoringSSL's form: seed || public
  PublicKey public_;
};

}  // namespace fleetgate::northbound
