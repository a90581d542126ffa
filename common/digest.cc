#include "common/digest.h"

#include <openssl/is_boringssl.h>  // fails to compile if the include path finds OpenSSL
#include <openssl/sha.h>

#include <cstring>

namespace fleetgate {

static_assert(sizeof(SHA256_CTX) <= 128, "Sha256::state_ is too small for SHA256_CTX");

namespace {
SHA256_CTX* ctx(std::array<uint8_t, 128>& s) { return reinterpret_cast<SHA256_CTX*>(s.data()); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Sha256::Sha256() { SHA256_Init(ctx(state_)); }

void Sha256::update(std::span<const uint8_t> data) {
  SHA256_Update(ctx(state_), data.data(), data.size());
}

void Sha256::update(std::string_view data) { SHA256_Update(ctx(state_), data.data(), data.size()); }

Sha256Digest Sha256::finish() {
  Sha256Digest d;
  SHA256_Final(d.bytes.data(), ctx(state_));
  return d;
}

Sha256Digest Sha256::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Sha256Digest Sha256::of(std::span<const uint8_t> data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string to_hex(std::span<const uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(data.size() * 2, '\0');
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return make_error(Errc::invalid_argument, "hex", "hex string has an odd length");
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(Errc::invalid_argument, "hex", "not a hex digit in '" + std::string(hex) + "'");
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string Sha256Digest::hex() const { return to_hex(bytes); }

Result<Sha256Digest> Sha256Digest::from_hex(std::string_view hex) {
  if (hex.size() != 64) {
    return make_error(Errc::invalid_argument, "sha256",
                      "a SHA-256 digest is 64 hex digits, got " + std::to_string(hex.size()));
  }
  FG_ASSIGN_OR_RETURN(std::string raw, fleetgate::from_hex(hex));
  Sha256Digest d;
  std::memcpy(d.bytes.data(), raw.data(), 32);
  return d;
}

}  // namespace fleetgate
