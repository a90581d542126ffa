#include <catch2/catch.hpp>

#include "common/digest.h"
#include "northbound/keys.h"

using namespace fleetgate;
using namespace fleetgate::northbound;

namespace {
// RFC 8032 section 7.1, test 1 and test 2.
constexpr const char* kSeed1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kPublic1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr const char* kSig1 =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
constexpr const char* kSeed2 = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr const char* kSig2 =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00";
}  // namespace

TEST_CASE("ed25519 signing matches the RFC 8032 vectors") {
  auto key1 = PrivateKey::from_seed(*from_hex(kSeed1));
  REQUIRE(key1.ok());
  CHECK(to_hex(key1->public_key().bytes) == kPublic1);
  CHECK(*from_hex(kSig1) == key1->sign(""));
  auto key2 = PrivateKey::from_seed(*from_hex(kSeed2));
  REQUIRE(key2.ok());
  CHECK(*from_hex(kSig2) == key2->sign("\x72"));
  CHECK(key2->public_key().verify("\x72", *from_hex(kSig2)));
  CHECK_FALSE(key2->public_key().verify("\x73", *from_hex(kSig2)));
  CHECK_FALSE(key1->public_key().verify("\x72", *from_hex(kSig2)));
}

TEST_CASE("keyid is the SHA-256 of the canonical public key object") {
  auto key = PrivateKey::from_seed(*from_hex(kSeed1));
  REQUIRE(key.ok());
  // sha256 of {"keytype":"ed25519","keyval":{"public":"d75a...511a"},"scheme":"ed25519"}
  CHECK(key->keyid() == "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916");
}

TEST_CASE("key JSON round-trips and refuses other key types") {
  PrivateKey key = PrivateKey::generate();
  auto back = PrivateKey::from_json(key.to_json());
  REQUIRE(back.ok());
  CHECK(back->keyid() == key.keyid());
  auto pub = PublicKey::from_json(key.public_key().to_json());
  REQUIRE(pub.ok());
  CHECK(*pub == key.public_key());

  nlohmann::json rsa = key.public_key().to_json();
  rsa["keytype"] = "rsa";
  CHECK(PublicKey::from_json(rsa).error().code == Errc::invalid_argument);
  nlohmann::json mismatched = key.to_json();
  mismatched["keyval"]["public"] = kPublic1;
  CHECK_FALSE(PrivateKey::from_json(mismatched).ok());
}
