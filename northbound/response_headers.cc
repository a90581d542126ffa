#include "northbound/response_headers.h"

#include <charconv>

namespace fleetgate::northbound {
namespace {

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view v) {
  constexpr std::string_view kUnit = "bytes ";
  if (v.substr(0, kUnit.size()) != kUnit) return std::nullopt;
  v.remove_prefix(kUnit.size());
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange cr;
  if (!parse_u64(v.substr(slash + 1), cr.complete)) return std::nullopt;
  std::string_view range = v.substr(0, slash);
  if (range == "*") return cr;
  size_t dash = range.find('-');
  uint64_t first = 0;
  if (dash == std::string_view::npos || !parse_u64(range.substr(0, dash), first) ||
      !parse_u64(range.substr(dash + 1), cr.last) || cr.last < first || cr.last >= cr.complete) {
    return std::nullopt;
  }
  cr.first = first;
  return cr;
}

std::optional<uint64_t> parse_content_length(std::string_view value) {
  uint64_t n = 0;
  if (!parse_u64(value, n)) return std::nullopt;
  return n;
}

bool is_strong_etag(std::string_view etag) {
  return etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
}

}  // namespace fleetgate::northbound
