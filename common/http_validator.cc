#include "common/http_validator.h"

#include "common/http_date.h"

namespace fleetgate::http {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
std::string_view opaque_of(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}
}  // namespace

std::string strong_etag(std::string_view opaque) {
  std::string s;
  s.reserve(opaque.size() + 2);
  s += '"';
  s += opaque;
  s += '"';
  return s;
}

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  header = trim(header);
  if (header == "*") return true;
  std::string_view mine = opaque_of(etag);
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    if (!item.empty() && opaque_of(item) == mine) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool if_range_holds(std::string_view header, std::string_view etag, int64_t last_modified) {
  header = trim(header);
  if (header.empty()) return false;
  if (header.front() == '"') return header == etag && etag.substr(0, 2) != "W/";
  if (header.substr(0, 2) == "W/") return false;
  auto date = parse_http_date(header);
  return date && last_modified > 0 && *date == last_modified;
}

}  // namespace fleetgate::http
