// One JSON string escaper: the library style is nlohmann::json's bytes, the terminal style
// also hides DEL and spells every control but \n \r \t as \u00xx.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/json_escape.h"

namespace fleetgate {
namespace {

std::string escaped(std::string_view s, JsonEscapeStyle style) {
  std::string out;
  append_json_escaped(out, s, style);
  return out;
}

TEST_CASE("library style is the JSON library's output for every ASCII byte") {
  for (int c = 0; c < 0x80; ++c) {
    std::string one(1, static_cast<char>(c));
    std::string got;
    append_json_string(got, one, JsonEscapeStyle::library);
    INFO("byte " << c);
    CHECK(got == nlohmann::json(one).dump());
  }
}

TEST_CASE("quote, backslash and the short control escapes") {
  CHECK(escaped("a\"b\\c", JsonEscapeStyle::library) == R"(a\"b\\c)");
  CHECK(escaped("a\"b\\c", JsonEscapeStyle::terminal) == R"(a\"b\\c)");
  CHECK(escaped("\n\r\t", JsonEscapeStyle::library) == R"(\n\r\t)");
  CHECK(escaped("\n\r\t", JsonEscapeStyle::terminal) == R"(\n\r\t)");
  CHECK(escaped("\b\f", JsonEscapeStyle::library) == R"(\b\f)");
  CHECK(escaped("\b\f", JsonEscapeStyle::terminal) == R"(\u0008\u000c)");
  CHECK(escaped(std::string_view("\0\x01\x1b\x1f", 4), JsonEscapeStyle::library) ==
        R"(\u0000\u0001\u001b\u001f)");
  CHECK(escaped(std::string_view("\0\x01\x1b\x1f", 4), JsonEscapeStyle::terminal) ==
        R"(\u0000\u0001\u001b\u001f)");
}

TEST_CASE("DEL passes in library style and is escaped in terminal style") {
  CHECK(escaped("a\x7f", JsonEscapeStyle::library) == "a\x7f");
  CHECK(escaped("a\x7f", JsonEscapeStyle::terminal) == R"(a\u007f)");
}

TEST_CASE("UTF-8 passes through; invalid UTF-8 is copied unchanged, not repaired") {
  const std::string utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6";
  CHECK(escaped(utf8, JsonEscapeStyle::library) == utf8);
  CHECK(escaped(utf8, JsonEscapeStyle::terminal) == utf8);
  const std::string invalid = "\xff\xc3(\x80";
  CHECK(escaped(invalid, JsonEscapeStyle::library) == invalid);
  CHECK(escaped(invalid, JsonEscapeStyle::terminal) == invalid);
}

TEST_CASE("appends after what the buffer holds, with quotes only from append_json_string") {
  std::string out = "{\"k\":";
  append_json_string(out, "v\n", JsonEscapeStyle::library);
  out += '}';
  CHECK(out == R"({"k":"v\n"})");
  std::string empty;
  append_json_string(empty, "", JsonEscapeStyle::terminal);
  CHECK(empty == R"("")");
  CHECK(escaped("plain text", JsonEscapeStyle::library) == "plain text");
}

}  // namespace
}  // namespace fleetgate
