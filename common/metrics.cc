#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/log.h"

namespace fleetgate {
namespace {

const Logger kLog("metrics");

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };
constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};

[[noreturn]] void misuse(std::string_view what, std::string_view name) {
  kLog.error("metrics registry misuse", {{"what", what}, {"name", name}});
  std::abort();
}

bool valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool valid_label_name(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void atomic_add(std::atomic<double>& a, double d) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
  }
}

void append_number(std::string& out, uint64_t v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// `{a="1",b="2"}` with an optional extra label (histogram `le`), or nothing when empty.
void append_labels(std::string& out, const MetricLabels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

std::string series_key(const MetricLabels& labels) {
  std::string key;
  for (const auto& [k, v] : labels) {
    key += k;
    key += '\0';
    key += v;
    key += '\0';
  }
  return key;
}

}  // namespace

void Gauge::add(double d) { atomic_add(value_, d); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    if (!(bounds_[i] < bounds_[i + 1])) misuse("histogram bounds not increasing", "");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                 bounds_.begin());  // first bound >= v: `le` is inclusive
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> size_buckets() {
  std::vector<double> out;
  for (double b = 256; b <= double(1ull << 30); b *= 4) out.push_back(b);
  return out;
}

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  // Keyed by the label set; values are Counter, Gauge or Histogram by `type`.
  std::map<std::string, MetricLabels> labels;
  std::map<std::string, std::unique_ptr<Counter>> counters;
  std::map<std::string, std::unique_ptr<Gauge>> gauges;
  std::map<std::string, std::function<double()>> gauge_functions;
  std::map<std::string, std::unique_ptr<Histogram>> histograms;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 int type) {
  if (!valid_metric_name(name)) misuse("invalid metric name", name);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->name = std::string(name);
    f->help = std::string(help);
    f->type = type;
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second->type != type) {
    misuse("metric registered with two types", name);
  }
  return *it->second;
}

namespace {
void check_labels(const MetricLabels& labels, std::string_view metric) {
  for (const auto& [k, v] : labels) {
    if (!valid_label_name(k) || k == "le") misuse("invalid label name", metric);
  }
}
}  // namespace

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  MetricLabels labels) {
  check_labels(labels, name);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kCounter);
  std::string key = series_key(labels);
  auto& slot = f.counters[key];
  if (!slot) {
    slot = std::make_unique<Counter>();
    f.labels[key] = std::move(labels);
  }
  return *slot;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, MetricLabels labels) {
  check_labels(labels, name);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kGauge);
  std::string key = series_key(labels);
  auto& slot = f.gauges[key];
  if (!slot) {
    slot = std::make_unique<Gauge>();
    f.labels[key] = std::move(labels);
  }
  return *slot;
}

void MetricsRegistry::gauge_function(std::string_view name, std::string_view help,
                                     MetricLabels labels, std::function<double()> read) {
  check_labels(labels, name);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kGauge);
  std::string key = series_key(labels);
  f.gauge_functions[key] = std::move(read);
  f.labels[key] = std::move(labels);
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> upper_bounds, MetricLabels labels) {
  check_labels(labels, name);
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kHistogram);
  std::string key = series_key(labels);
  auto& slot = f.histograms[key];
  if (!slot) {
    slot = std::make_unique<Histogram>(std::move(upper_bounds));
    f.labels[key] = std::move(labels);
  }
  return *slot;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& [name, f] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped(out, f->help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += kTypeNames[f->type];
    out += '\n';
    for (const auto& [key, labels] : f->labels) {
      if (f->type == kCounter) {
        out += name;
        append_labels(out, labels);
        out += ' ';
        append_number(out, f->counters.at(key)->value());
        out += '\n';
      } else if (f->type == kGauge) {
        double v = 0;
        if (auto g = f->gauges.find(key); g != f->gauges.end()) {
          v = g->second->value();
        } else {
          v = f->gauge_functions.at(key)();
        }
        out += name;
        append_labels(out, labels);
        out += ' ';
        append_number(out, v);
        out += '\n';
      } else {
        const Histogram& h = *f->histograms.at(key);
        auto counts = h.bucket_counts();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          std::string le;
          if (i < h.upper_bounds().size()) {
            append_number(le, h.upper_bounds()[i]);
          } else {
            le = "+Inf";
          }
          out += name;
          out += "_bucket";
          append_labels(out, labels, "le", le);
          out += ' ';
          append_number(out, cumulative);
          out += '\n';
        }
        out += name;
        out += "_sum";
        append_labels(out, labels);
        out += ' ';
        append_number(out, h.sum());
        out += '\n';
        out += name;
        out += "_count";
        append_labels(out, labels);
        out += ' ';
        // The +Inf bucket and _count must agree even while observe() runs concurrently.
        append_number(out, cumulative);
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace fleetgate
