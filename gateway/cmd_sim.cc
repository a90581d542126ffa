#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_sim(Args /*args*/) { return not_implemented("sim", "7 or later"); }

}  // namespace fleetgate::gateway
