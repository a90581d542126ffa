// Fuzzes the sync plan parser: plans arrive signed, but the parser must still never
// crash or accept an invalid plan, whatever the cloud side published.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "northbound/sync_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plan = fleetgate::northbound::parse_sync_plan(text);
  if (plan.ok()) {
    (void)plan->referenced_targets();
    (void)fleetgate::northbound::check_plan_succession(*plan, *plan);
  }
  return 0;
}
