#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_status(Args /*args*/) { return not_implemented("status", "7 or later"); }

}  // namespace fleetgate::gateway
