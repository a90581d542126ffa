// The built-in demo behind `fleetgate run --demo` (and `make run`): everything a new user
// needs to see the gateway serve a device, made on the spot inside the demo's state
// directory, with no network:
//   - a signed repository, as the cloud would publish it (`fleetgate repo`), holding one
//     firmware image and a plan for site "demo" that deploys it to group "demo";
//   - one device, "demo-sensor", with a fresh random bearer token (HTTP) and DTLS
//     pre-shared key (CoAP);
//   - one verified sync from that repository into the cache (the same TUF workflow as a
//     network sync), so the firmware is ready before the first device asks.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"

namespace fleetgate::gateway {

struct Demo {
  config::Config config;  // state_dir, origin (file://), trust root, devices file
  std::string device_id;
  std::string token;
  std::string psk;         // the device's DTLS-PSK key; its identity is device_id
  std::string target;      // the firmware's target name
  std::string sha256_hex;  // and its hash, the blob's address
  uint64_t length = 0;
};

// Builds the demo in `state_dir` (an empty directory the caller removes afterwards).
Result<Demo> prepare_demo(const std::string& state_dir, const Clock& clock);

}  // namespace fleetgate::gateway
