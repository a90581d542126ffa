// Fuzzes the device registry file loader (TOML, [[device]] tables): a hand-edited or
// half-written file must be refused with a message, never crash the gateway at start-up
// or admit a device with an id the URL and PSK lookups cannot represent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "southbound/device_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto reg = fleetgate::southbound::DeviceRegistry::parse(text, "devices.toml");
  if (!reg.ok()) {
    if (reg.error().message.rfind("devices.toml: ", 0) != 0) std::abort();
    return 0;
  }
  for (const fleetgate::southbound::Device& d : reg->devices()) {
    if (d.id.empty() || reg->find(d.id) != &d || (!d.has_token && d.psk.empty())) std::abort();
    for (char c : d.id) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
      if (!ok) std::abort();
    }
  }
  (void)reg->authenticate("0123456789abcdef-a");
  return 0;
}
