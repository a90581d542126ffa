#include <cstdio>
#include <string_view>

#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_status(Args args) {
  if (!args.empty() &&
      (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h")) {
    std::fputs(
        "usage: fleetgate status -c FILE\n"
        "\n"
        "Shows deployments, devices, WAN state and cache use of the gateway configured by\n"
        "FILE. Not implemented yet (issue 7 or later): exits 2.\n",
        stdout);
    return kExitOk;
  }
  return not_implemented("status", "7 or later");
}

}  // namespace fleetgate::gateway
