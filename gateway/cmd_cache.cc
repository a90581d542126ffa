#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_cache(Args /*args*/) { return not_implemented("cache", "3"); }

}  // namespace fleetgate::gateway
