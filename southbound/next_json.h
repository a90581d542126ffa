// The body of a "next" answer (GET /v1/devices/{id}/next, DESIGN.md section 4), written
// directly: this is the device API's hottest answer, and building it through a JSON DOM
// cost more than the rest of the request. Same bytes as nlohmann::json::dump() of the
// object (keys in sorted order, compact).
#pragma once

#include <string>

#include "southbound/deployment_oracle.h"

namespace fleetgate::southbound {

// {"action":..,"coap":"/b/<hex>","deployment":..,"http":"/v1/blobs/sha256/<hex>",
//  "length":N,"sha256":"<hex>","target":..}
std::string next_json(const NextAnswer& answer);

}  // namespace fleetgate::southbound
