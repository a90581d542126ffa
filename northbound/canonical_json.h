// OLPC canonical JSON: the byte form of `signed` that TUF signatures cover.
// Rules: objects with keys sorted by their UTF-8 bytes, no insignificant whitespace,
// integers only (no floats), and strings escaped only for '"' and '\\' (every other
// byte, control characters included, is written as is).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace fleetgate::northbound {

// Errc::invalid_argument ("canonical_json") for a float or another value that has no
// canonical form.
Result<std::string> canonical_json(const nlohmann::json& value);

// Parses JSON text without exceptions. Errc::invalid_argument ("json") names `what`.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what);

}  // namespace fleetgate::northbound
