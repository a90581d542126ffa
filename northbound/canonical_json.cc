#include "northbound/canonical_json.h"

#include <algorithm>
#include <vector>

namespace fleetgate::northbound {
namespace {

void append_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

Status append_value(std::string& out, const nlohmann::json& v, int depth) {
  // Signed metadata is shallow; the cap keeps hostile input from exhausting the stack.
  if (depth > 64) {
    return make_error(Errc::invalid_argument, "canonical_json", "JSON nested deeper than 64");
  }
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return ok_status();
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return ok_status();
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return ok_status();
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return ok_status();
    case nlohmann::json::value_t::string:
      append_string(out, v.get_ref<const std::string&>());
      return ok_status();
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out.push_back(',');
        first = false;
        FG_TRY(append_value(out, item, depth + 1));
      }
      out.push_back(']');
      return ok_status();
    }
    case nlohmann::json::value_t::object: {
      // nlohmann's default object is a std::map, already in byte order of the keys.
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, key);
        out.push_back(':');
        FG_TRY(append_value(out, item, depth + 1));
      }
      out.push_back('}');
      return ok_status();
    }
    default:
      return make_error(Errc::invalid_argument, "canonical_json",
                        std::string("canonical JSON has no form for a ") + v.type_name());
  }
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  FG_TRY(append_value(out, value, 0));
  return out;
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  auto parsed =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return make_error(Errc::invalid_argument, "json", std::string(what) + " is not valid JSON");
  }
  return parsed;
}

}  // namespace fleetgate::northbound
