#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_run(Args /*args*/) { return not_implemented("run", "2"); }

}  // namespace fleetgate::gateway
