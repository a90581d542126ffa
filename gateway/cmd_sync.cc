#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_sync(Args /*args*/) { return not_implemented("sync", "4"); }

}  // namespace fleetgate::gateway
