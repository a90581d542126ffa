#include "northbound/keys.h"

#include <openssl/curve25519.h>
#include <openssl/is_boringssl.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include "common/digest.h"
#include "northbound/canonical_json.h"

namespace fleetgate::northbound {
namespace {

Result<std::string> hex_field(const nlohmann::json& obj, const char* key, size_t bytes) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return make_error(Errc::invalid_argument, "key",
                      std::string("key has no string \"keyval.") + key + "\"");
  }
  auto raw = from_hex(it->get<std::string>());
  if (!raw.ok() || raw->size() != bytes) {
    return make_error(Errc::invalid_argument, "key",
                      std::string("key \"keyval.") + key + "\" is not " + std::to_string(bytes) +
                          " hex-encoded bytes");
  }
  return std::move(raw).value();
}

Status check_type(const nlohmann::json& key) {
  if (!key.is_object()) return make_error(Errc::invalid_argument, "key", "key is not an object");
  auto type = key.find("keytype");
  auto scheme = key.find("scheme");
  if (type == key.end() || scheme == key.end() || *type != "ed25519" || *scheme != "ed25519") {
    return make_error(Errc::invalid_argument, "key",
                      "only keys with keytype and scheme \"ed25519\" are supported");
  }
  auto keyval = key.find("keyval");
  if (keyval == key.end() || !keyval->is_object()) {
    return make_error(Errc::invalid_argument, "key", "key has no \"keyval\" object");
  }
  return ok_status();
}

}  // namespace

nlohmann::json PublicKey::to_json() const {
  return {{"keytype", "ed25519"}, {"scheme", "ed25519"}, {"keyval", {{"public", to_hex(bytes)}}}};
}

Result<PublicKey> PublicKey::from_json(const nlohmann::json& key) {
  FG_TRY(check_type(key));
  FG_ASSIGN_OR_RETURN(std::string raw, hex_field(key["keyval"], "public", 32));
  PublicKey out;
  std::copy(raw.begin(), raw.end(), out.bytes.begin());
  return out;
}

std::string PublicKey::keyid() const {
  // The canonical form of a fixed-shape object cannot fail.
  return Sha256::of(canonical_json(to_json()).value()).hex();
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != ED25519_SIGNATURE_LEN) return false;
  return ED25519_verify(reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                        reinterpret_cast<const uint8_t*>(signature.data()), bytes.data()) == 1;
}

PrivateKey PrivateKey::generate() {
  std::array<uint8_t, 32> seed;
  RAND_bytes(seed.data(), seed.size());
  auto key = from_seed(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  OPENSSL_cleanse(seed.data(), seed.size());
  return std::move(key).value();
}

Result<PrivateKey> PrivateKey::from_seed(std::string_view seed) {
  if (seed.size() != 32) {
    return make_error(Errc::invalid_argument, "key", "an ed25519 seed is 32 bytes");
  }
  PrivateKey key;
  ED25519_keypair_from_seed(key.public_.bytes.data(), key.private_.data(),
                            reinterpret_cast<const uint8_t*>(seed.data()));
  return key;
}

std::string PrivateKey::sign(std::string_view message) const {
  std::string sig(ED25519_SIGNATURE_LEN, '\0');
  ED25519_sign(reinterpret_cast<uint8_t*>(sig.data()),
               reinterpret_cast<const uint8_t*>(message.data()), message.size(), private_.data());
  return sig;
}

std::string PrivateKey::seed() const {
  return std::string(reinterpret_cast<const char*>(private_.data()), 32);
}

nlohmann::json PrivateKey::to_json() const {
  nlohmann::json j = public_.to_json();
  j["keyval"]["private"] = to_hex(std::span<const uint8_t>(private_.data(), 32));
  return j;
}

Result<PrivateKey> PrivateKey::from_json(const nlohmann::json& key) {
  FG_TRY(check_type(key));
  FG_ASSIGN_OR_RETURN(std::string seed, hex_field(key["keyval"], "private", 32));
  FG_ASSIGN_OR_RETURN(PrivateKey out, from_seed(seed));
  FG_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::from_json(key));
  if (!(pub == out.public_key())) {
    return make_error(Errc::invalid_argument, "key",
                      "key file's public key does not belong to its private key");
  }
  return out;
}

}  // namespace fleetgate::northbound
