#include "southbound/next_json.h"

#include <charconv>

#include "common/json_escape.h"

namespace fleetgate::southbound {

std::string next_json(const NextAnswer& a) {
  std::string hex = a.sha256.hex();
  std::string out;
  out.reserve(200 + 3 * hex.size() + a.deployment.size() + a.target.size() + a.action.size());
  out += "{\"action\":";
  append_json_string(out, a.action, JsonEscapeStyle::library);
  out += ",\"coap\":\"/b/";
  out += hex;
  out += "\",\"deployment\":";
  append_json_string(out, a.deployment, JsonEscapeStyle::library);
  out += ",\"http\":\"/v1/blobs/sha256/";
  out += hex;
  out += "\",\"length\":";
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, a.length);
  out.append(num, end);
  out += ",\"sha256\":\"";
  out += hex;
  out += "\",\"target\":";
  append_json_string(out, a.target, JsonEscapeStyle::library);
  out += '}';
  return out;
}

}  // namespace fleetgate::southbound
