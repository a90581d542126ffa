#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_config(Args /*args*/) { return not_implemented("config", "2"); }

}  // namespace fleetgate::gateway
