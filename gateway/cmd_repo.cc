#include "gateway/commands.h"

namespace fleetgate::gateway {

int cmd_repo(Args /*args*/) { return not_implemented("repo", "4"); }

}  // namespace fleetgate::gateway
