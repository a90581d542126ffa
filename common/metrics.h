// Counters, gauges and histograms, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics.
//
//   MetricsRegistry& m = ...;  // one per process, owned by gateway/
//   Counter& served = m.counter("fleetgate_http_requests_total", "HTTP requests served.",
//                               {{"code", "200"}});
//   served.inc();
//
// Registration returns a reference that stays valid as long as the registry; look metrics
// up once and keep the reference. Updating a metric is a lock-free atomic operation, safe
// from the loop thread and pool threads alike. Registration and render() take a mutex.
// A metric name or label name that is not valid Prometheus, or one name registered with
// two types, is a programming error: the registry logs it and aborts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetgate {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  void sub(double d) { add(-d); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` must be strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Non-cumulative count per bound, then the +Inf overflow as the last element.
  std::vector<uint64_t> bucket_counts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Bucket bounds for durations in seconds, from 1 ms to 60 s.
std::vector<double> latency_buckets();
// Bucket bounds for sizes in bytes, powers of 4 from 256 B to 1 GiB.
std::vector<double> size_buckets();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the series with these labels, creating the family or series on first use.
  Counter& counter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::vector<double> upper_bounds, MetricLabels labels = {});
  // A gauge read at render time, for values owned elsewhere (cache bytes, open connections).
  // `read` runs under the registry's mutex on the rendering thread.
  void gauge_function(std::string_view name, std::string_view help, MetricLabels labels,
                      std::function<double()> read);

  // The text exposition format: families sorted by name, each with # HELP and # TYPE.
  std::string render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int type);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace fleetgate
