// The configuration parser on arbitrary bytes: it must return a value or an error, never
// crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = fleetgate::config::parse_config(text, "fuzz.toml");
  if (!result.ok() && result.error().message.empty()) __builtin_trap();  // errors must explain
  return 0;
}
