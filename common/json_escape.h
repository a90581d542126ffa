// JSON string literals (RFC 8259 section 7), written directly into an output buffer. One
// escaper for every hand-written JSON in the gateway: the device API's "next" body (which
// must be the JSON library's exact bytes) and the log's JSON and logfmt lines (which must
// be safe to print on a terminal).
#pragma once

#include <string>
#include <string_view>

namespace fleetgate {

// Which bytes become escapes. '"', '\' and U+0000..U+001F always do.
enum class JsonEscapeStyle {
  // nlohmann::json::dump()'s bytes: \b \f \n \r \t, other controls as \u00xx, DEL as is.
  library,
  // For log lines: \n \r \t, every other control and DEL (0x7f) as \u00xx, so a line
  // printed on a terminal can neither move the cursor nor start an escape sequence.
  terminal,
};

// Appends `s` escaped, without quotes. Bytes from 0x80 up are copied unchanged: UTF-8
// stays readable, and invalid UTF-8 is neither repaired nor refused (the callers' inputs
// are names from signed metadata and log text; neither throws on a bad byte).
void append_json_escaped(std::string& out, std::string_view s, JsonEscapeStyle style);

// Appends `s` as a quoted JSON string literal.
void append_json_string(std::string& out, std::string_view s, JsonEscapeStyle style);

}  // namespace fleetgate
