#include "common/http_range.h"

#include <optional>
#include <vector>

#include "common/http_message.h"

namespace fleetgate::http {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;  // 19 digits cannot overflow
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

struct Spec {
  bool suffix = false;
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

std::optional<Spec> parse_spec(std::string_view s) {
  s = trim(s);
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
  Spec spec;
  if (a.empty()) {
    auto n = parse_u64(b);
    if (!n) return std::nullopt;
    spec.suffix = true;
    spec.first = *n;  // suffix length
    return spec;
  }
  auto first = parse_u64(a);
  if (!first) return std::nullopt;
  spec.first = *first;
  if (!b.empty()) {
    auto last = parse_u64(b);
    if (!last || *last < *first) return std::nullopt;
    spec.last = last;
  }
  return spec;
}

std::optional<ByteRange> resolve(const Spec& s, uint64_t length) {
  if (s.suffix) {
    if (s.first == 0 || length == 0) return std::nullopt;
    uint64_t n = s.first < length ? s.first : length;
    return ByteRange{length - n, length - 1};
  }
  if (s.first >= length) return std::nullopt;
  uint64_t last = s.last && *s.last < length ? *s.last : length - 1;
  return ByteRange{s.first, last};
}
}  // namespace

RangeSelection select_range(std::string_view header, uint64_t length) {
  RangeSelection out;
  header = trim(header);
  size_t eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(trim(header.substr(0, eq)), "bytes")) return out;
  std::string_view set = header.substr(eq + 1);
  std::vector<Spec> specs;
  while (true) {
    size_t comma = set.find(',');
    std::string_view item = trim(set.substr(0, comma));
    if (!item.empty()) {  // RFC 9110 5.6.1: empty list elements are ignored
      auto spec = parse_spec(item);
      if (!spec) return out;  // an invalid Range is ignored: whole representation
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return out;
  size_t satisfiable = 0;
  std::optional<ByteRange> one;
  for (const Spec& s : specs) {
    if (auto r = resolve(s, length)) {
      ++satisfiable;
      one = r;
    }
  }
  if (satisfiable == 0) {
    out.kind = RangeSelection::Kind::unsatisfiable;
  } else if (specs.size() == 1) {
    out.kind = RangeSelection::Kind::single;
    out.range = *one;
  } else {
    out.kind = RangeSelection::Kind::multiple;
  }
  return out;
}

std::string content_range(const ByteRange& r, uint64_t length) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
         std::to_string(length);
}

std::string unsatisfied_content_range(uint64_t length) {
  return "bytes */" + std::to_string(length);
}

}  // namespace fleetgate::http
