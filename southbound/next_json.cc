#include "southbound/next_json.h"

#include <charconv>

namespace fleetgate::southbound {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string next_json(const NextAnswer& a) {
  std::string hex = a.sha256.hex();
  std::string out;
  out.reserve(200 + 3 * hex.size() + a.deployment.size() + a.target.size() + a.action.size());
  out += "{\"action\":";
  append_json_string(out, a.action);
  out += ",\"coap\":\"/b/";
  out += hex;
  out += "\",\"deployment\":";
  append_json_string(out, a.deployment);
  out += ",\"http\":\"/v1/blobs/sha256/";
  out += hex;
  out += "\",\"length\":";
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, a.length);
  out.append(num, end);
  out += ",\"sha256\":\"";
  out += hex;
  out += "\",\"target\":";
  append_json_string(out, a.target);
  out += '}';
  return out;
}

}  // namespace fleetgate::southbound
