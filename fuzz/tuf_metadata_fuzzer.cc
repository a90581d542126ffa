// Fuzzes the TUF metadata parsers and the trusted-state checks with untrusted bytes:
// every role's envelope and body parser, canonical JSON, and a timestamp update against
// a fixed trusted root.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "northbound/metadata.h"
#include "northbound/trusted_state.h"

using namespace fleetgate::northbound;

namespace {

const std::string& fixed_root() {
  static const std::string root = [] {
    const std::string seed(32, '\x07');
    static const PrivateKey key = PrivateKey::from_seed(seed).value();
    nlohmann::json roles = nlohmann::json::object();
    for (const char* r : {"root", "timestamp", "snapshot", "targets"}) {
      roles[r] = {{"keyids", {key.keyid()}}, {"threshold", 1}};
    }
    nlohmann::json body = {{"_type", "root"},
                           {"spec_version", "1.0.31"},
                           {"version", 1},
                           {"expires", "2100-01-01T00:00:00Z"},
                           {"consistent_snapshot", true},
                           {"keys", {{key.keyid(), key.public_key().to_json()}}},
                           {"roles", roles}};
    return sign_envelope(body, {&key}).value();
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (Role role : {Role::root, Role::timestamp, Role::snapshot, Role::targets}) {
    auto env = parse_envelope(bytes, role);
    if (!env.ok()) continue;
    switch (role) {
      case Role::root:
        (void)parse_root(*env);
        break;
      case Role::timestamp:
        (void)parse_timestamp(*env);
        break;
      case Role::snapshot:
        (void)parse_snapshot(*env);
        break;
      case Role::targets:
        (void)parse_targets(*env);
        break;
    }
  }
  auto state = TrustedState::load(TrustedBytes{fixed_root(), {}, {}, {}}, 1'700'000'000);
  if (state.ok()) {
    (void)state->update_root(bytes);
    (void)state->update_timestamp(bytes);
  }
  return 0;
}
