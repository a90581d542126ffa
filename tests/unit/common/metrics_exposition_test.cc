// The registry's output parses as the Prometheus text format (0.0.4), checked by a small
// strict parser written from the format's description: names, types, escaping, histogram
// series, grouping of samples under their # TYPE line.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/metrics.h"

namespace fleetgate {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Family {
  std::string type;
  std::string help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, Family> families;
  std::string error;  // empty when the text parsed
};

bool metric_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

bool label_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Unescapes a HELP text (\\ and \n) or a label value (also \"); other escapes are errors.
bool unescape(std::string_view in, bool label, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n') return false;
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i == in.size()) return false;
    if (in[i] == '\\')
      out += '\\';
    else if (in[i] == 'n')
      out += '\n';
    else if (label && in[i] == '"')
      out += '"';
    else
      return false;
  }
  return true;
}

bool parse_value(std::string_view s, double& out) {
  if (s == "+Inf")
    out = INFINITY;
  else if (s == "-Inf")
    out = -INFINITY;
  else if (s == "NaN")
    out = NAN;
  else {
    std::string copy(s);
    char* end = nullptr;
    out = std::strtod(copy.c_str(), &end);
    if (copy.empty() || *end != '\0') return false;
  }
  return true;
}

// The family a sample belongs to: histogram samples carry _bucket/_sum/_count suffixes.
std::string family_of(const std::string& sample, const std::map<std::string, Family>& fams) {
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.size() > suffix.size() && sample.ends_with(suffix)) {
      std::string base = sample.substr(0, sample.size() - suffix.size());
      auto it = fams.find(base);
      if (it != fams.end() && it->second.type == "histogram") return base;
    }
  }
  return sample;
}

Exposition parse_exposition(const std::string& text) {
  Exposition ex;
  if (!text.empty() && text.back() != '\n') {
    ex.error = "text must end with a newline";
    return ex;
  }
  std::istringstream in(text);
  std::string line;
  std::string current;  // the family whose samples are being read
  std::set<std::string> finished;
  int n = 0;
  auto fail = [&](const std::string& why) { ex.error = "line " + std::to_string(n) + ": " + why; };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      bool help = line[2] == 'H';
      std::string rest = line.substr(7);
      auto sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      std::string arg = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (!metric_name(name)) return fail("bad metric name '" + name + "'"), ex;
      if (finished.count(name) && name != current) return fail("family " + name + " split"), ex;
      Family& f = ex.families[name];
      if (help) {
        if (!f.help.empty()) return fail("second HELP for " + name), ex;
        if (!unescape(arg, false, f.help)) return fail("bad escape in HELP"), ex;
      } else {
        if (!f.type.empty()) return fail("second TYPE for " + name), ex;
        if (!f.samples.empty()) return fail("TYPE after samples for " + name), ex;
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(arg)) return fail("bad type '" + arg + "'"), ex;
        f.type = arg;
      }
      if (current != name) finished.insert(current);
      current = name;
      continue;
    }
    if (line[0] == '#') continue;  // a comment
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!metric_name(s.name)) return fail("bad sample name '" + s.name + "'"), ex;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) return fail("label without '='"), ex;
        std::string lname = line.substr(i, eq - i);
        if (!label_name(lname)) return fail("bad label name '" + lname + "'"), ex;
        if (eq + 1 >= line.size() || line[eq + 1] != '"') return fail("unquoted label value"), ex;
        size_t j = eq + 2;
        std::string raw;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\' && j + 1 < line.size()) raw += line[j++];
          raw += line[j++];
        }
        if (j >= line.size()) return fail("unterminated label value"), ex;
        std::string value;
        if (!unescape(raw, true, value)) return fail("bad escape in label value"), ex;
        if (s.labels.count(lname)) return fail("duplicate label " + lname), ex;
        s.labels[lname] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i >= line.size() || line[i] != '}')
          return fail("expected ',' or '}'"), ex;
      }
    }
    if (i >= line.size() || line[i] != ' ') return fail("expected a space before the value"), ex;
    std::string rest = line.substr(i + 1);
    auto sp = rest.find(' ');  // an optional timestamp follows
    if (!parse_value(rest.substr(0, sp), s.value)) return fail("bad value '" + rest + "'"), ex;
    std::string fam = family_of(s.name, ex.families);
    if (fam != current) return fail("sample " + s.name + " outside its family's block"), ex;
    ex.families[fam].samples.push_back(std::move(s));
  }
  return ex;
}

TEST_CASE("counters, gauges and histograms render as the text format") {
  MetricsRegistry m;
  m.counter("fg_requests_total", "Requests served.", {{"code", "200"}}).inc(3);
  m.counter("fg_requests_total", "Requests served.", {{"code", "404"}}).inc();
  m.gauge("fg_open_connections", "Open connections.").set(7);
  m.gauge_function("fg_cache_bytes", "Bytes in the cache.", {}, [] { return 1.5e9; });
  auto& h =
      m.histogram("fg_request_seconds", "Request latency.", {0.1, 1, 10}, {{"proto", "http"}});
  for (double v : {0.05, 0.1, 0.5, 20.0}) h.observe(v);

  std::string text = m.render();
  Exposition ex = parse_exposition(text);
  INFO(text);
  REQUIRE(ex.error.empty());
  REQUIRE(ex.families.size() == 4);

  auto& req = ex.families.at("fg_requests_total");
  CHECK(req.type == "counter");
  CHECK(req.help == "Requests served.");
  REQUIRE(req.samples.size() == 2);
  CHECK(req.samples[0].labels.at("code") == "200");
  CHECK(req.samples[0].value == 3);

  CHECK(ex.families.at("fg_open_connections").type == "gauge");
  CHECK(ex.families.at("fg_open_connections").samples.at(0).value == 7);
  CHECK(ex.families.at("fg_cache_bytes").samples.at(0).value == 1.5e9);

  auto& hist = ex.families.at("fg_request_seconds");
  CHECK(hist.type == "histogram");
  std::vector<std::pair<std::string, double>> buckets;
  double sum = -1, count = -1;
  for (const auto& s : hist.samples) {
    CHECK(s.labels.at("proto") == "http");
    if (s.name == "fg_request_seconds_bucket") buckets.emplace_back(s.labels.at("le"), s.value);
    if (s.name == "fg_request_seconds_sum") sum = s.value;
    if (s.name == "fg_request_seconds_count") count = s.value;
  }
  // `le` is inclusive and the buckets are cumulative.
  CHECK(buckets ==
        std::vector<std::pair<std::string, double>>{{"0.1", 2}, {"1", 3}, {"10", 3}, {"+Inf", 4}});
  CHECK(sum == Approx(20.65));
  CHECK(count == 4);
}

TEST_CASE("label values escape backslash, quote and newline; help escapes backslash and newline") {
  MetricsRegistry m;
  const std::string nasty = "C:\\path \"quoted\"\nnext";
  m.counter("fg_odd_total", "Help with \\ and\nnewline \"kept\".", {{"path", nasty}}).inc();
  std::string text = m.render();
  CHECK(text.find(R"(path="C:\\path \"quoted\"\nnext")") != std::string::npos);
  CHECK(text.find(R"(# HELP fg_odd_total Help with \\ and\nnewline "kept".)") != std::string::npos);
  Exposition ex = parse_exposition(text);
  INFO(text);
  REQUIRE(ex.error.empty());
  CHECK(ex.families.at("fg_odd_total").samples.at(0).labels.at("path") == nasty);
  CHECK(ex.families.at("fg_odd_total").help == "Help with \\ and\nnewline \"kept\".");
}

TEST_CASE("the strict parser rejects what the format forbids") {
  CHECK_FALSE(parse_exposition("# TYPE a counter\na{x=\"1\\q\"} 1\n").error.empty());
  CHECK_FALSE(parse_exposition("# TYPE a counter\na{x=\"1\"}1\n").error.empty());
  CHECK_FALSE(parse_exposition("# TYPE a counter\n# TYPE b counter\nb 1\na 1\n").error.empty());
  CHECK_FALSE(parse_exposition("# TYPE a widget\n").error.empty());
  CHECK_FALSE(parse_exposition("# TYPE 1a counter\n").error.empty());
  CHECK_FALSE(parse_exposition("a 1").error.empty());
  CHECK(parse_exposition("# TYPE a counter\na{x=\"1\",} 1\n").error.empty());
}

TEST_CASE("the same name and labels return the same series") {
  MetricsRegistry m;
  Counter& a = m.counter("fg_x_total", "x", {{"k", "v"}});
  Counter& b = m.counter("fg_x_total", "x", {{"k", "v"}});
  CHECK(&a == &b);
  CHECK(&a != &m.counter("fg_x_total", "x", {{"k", "w"}}));
}

TEST_CASE("updates from several threads are all counted") {
  MetricsRegistry m;
  Counter& c = m.counter("fg_hits_total", "hits");
  Gauge& g = m.gauge("fg_level", "level");
  Histogram& h = m.histogram("fg_sizes_bytes", "sizes", size_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        g.add(1);
        h.observe(1000);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(c.value() == 40000);
  CHECK(g.value() == 40000);
  CHECK(h.count() == 40000);
  CHECK(h.sum() == 40000.0 * 1000);
}

}  // namespace
}  // namespace fleetgate
