#include "common/json_escape.h"

#include <array>

namespace fleetgate {
namespace {

// Per byte: 0 = copied as is, 'u' = \u00xx, else the letter that follows the backslash.
using EscapeTable = std::array<char, 256>;

constexpr EscapeTable make_table(JsonEscapeStyle style) {
  EscapeTable t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['"'] = '"';
  t['\\'] = '\\';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  if (style == JsonEscapeStyle::library) {
    t['\b'] = 'b';
    t['\f'] = 'f';
  } else {
    t[0x7f] = 'u';
  }
  return t;
}

constexpr EscapeTable kLibrary = make_table(JsonEscapeStyle::library);
constexpr EscapeTable kTerminal = make_table(JsonEscapeStyle::terminal);

}  // namespace

void append_json_escaped(std::string& out, std::string_view s, JsonEscapeStyle style) {
  static constexpr char kHex[] = "0123456789abcdef";
  const EscapeTable& table = style == JsonEscapeStyle::library ? kLibrary : kTerminal;
  // Runs of plain bytes (nearly all of them) are appended in one go.
  size_t plain_from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char escape = table[c];
    if (escape == 0) continue;
    out.append(s.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    if (escape == 'u') {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(u, sizeof u);
    } else {
      const char short_form[2] = {'\\', escape};
      out.append(short_form, sizeof short_form);
    }
  }
  out.append(s.data() + plain_from, s.size() - plain_from);
}

void append_json_string(std::string& out, std::string_view s, JsonEscapeStyle style) {
  out.push_back('"');
  append_json_escaped(out, s, style);
  out.push_back('"');
}

}  // namespace fleetgate
