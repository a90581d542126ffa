// `fleetgate config check FILE`: validates a configuration file without starting anything.
#include <cstdio>
#include <string_view>

#include "config/config.h"
#include "gateway/commands.h"

namespace fleetgate::gateway {
namespace {

constexpr const char* kUsage =
    "usage: fleetgate config check FILE\n"
    "\n"
    "Validates a configuration file: TOML syntax, known keys, types, units and ranges.\n"
    "Exit status: 0 valid, 2 invalid or unreadable (the error names the file, the key,\n"
    "the value and what was expected). Every key and its default is documented in\n"
    "config/fleetgate.example.toml.\n";

}  // namespace

int cmd_config(Args args) {
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string_view sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (sub != "check" || args.size() != 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  auto loaded = config::load_config(args[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "fleetgate config check: %s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  std::printf("%s: ok\n", args[1]);
  return kExitOk;
}

}  // namespace fleetgate::gateway
