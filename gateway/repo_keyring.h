// The publisher's private keys: one file per key, DIR/keys/<keyid>.key, mode 0600 in
// a 0700 directory. A key file that group or others may read is refused: a leaked
// signing key cannot be revoked by anything the gateways do.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "northbound/keys.h"

namespace fleetgate::gateway {

class RepoKeyring {
 public:
  // Loads every key file in `dir` (created 0700 if absent). Errc::config naming the
  // file for a group/world-readable key or a malformed one.
  static Result<RepoKeyring> open(const std::string& dir);

  // Generates a key and writes its file (0600, never overwriting).
  Result<const northbound::PrivateKey*> generate();
  // Errc::not_found when the keyring lacks the private key for `keyid`.
  Result<const northbound::PrivateKey*> find(const std::string& keyid) const;

 private:
  std::string dir_;
  std::map<std::string, northbound::PrivateKey> keys_;
};

}  // namespace fleetgate::gateway
