#include <cstdio>
#include <string_view>

#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_sim(Args args) {
  if (!args.empty() &&
      (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h")) {
    std::fputs(
        "usage: fleetgate sim --devices N --proto http|coap [options]\n"
        "\n"
        "Fleet simulator and load generator: N devices asking a gateway what to run,\n"
        "downloading and reporting status. Not implemented yet (issue 7 or later): exits 2.\n",
        stdout);
    return kExitOk;
  }
  return not_implemented("sim", "7 or later");
}

}  // namespace fleetgate::gateway
