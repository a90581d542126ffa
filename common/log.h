// Leveled, structured logging: one line per event, a per-module tag, key=value fields.
//
//   static const fleetgate::Logger kLog("cache");
//   kLog.info("artifact stored", {{"sha256", digest.hex()}, {"bytes", size}});
//
// text:  level=info module=cache msg="artifact stored" sha256=ab12... bytes=1048576
// json:  {"level":"info","module":"cache","msg":"artifact
// stored","sha256":"ab12...","bytes":1048576}
//
// The sink is process-wide and guarded by a mutex, so the loop thread and uv_queue_work
// threads may log concurrently; each event is written with one call, never interleaved.
// Lines carry a timestamp only when a clock is installed (gateway/ installs the real one),
// which keeps test output stable.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace fleetgate {

class Clock;

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { text, json };

std::string_view log_level_name(LogLevel level);
// "debug" | "info" | "warn" | "error".
Result<LogLevel> parse_log_level(std::string_view name);
// "text" | "json".
Result<LogFormat> parse_log_format(std::string_view name);

// One field value. Numbers stay numbers in JSON; everything else is a string.
class LogValue {
 public:
  LogValue(std::string_view s) : v_(std::string(s)) {}      // NOLINT: implicit
  LogValue(const char* s) : v_(std::string(s ? s : "")) {}  // NOLINT: implicit
  LogValue(const std::string& s) : v_(s) {}                 // NOLINT: implicit
  LogValue(std::string&& s) : v_(std::move(s)) {}           // NOLINT: implicit
  LogValue(bool b) : v_(b) {}                               // NOLINT: implicit
  LogValue(double d) : v_(d) {}                             // NOLINT: implicit
  template <std::signed_integral T>
  LogValue(T n) : v_(static_cast<int64_t>(n)) {}  // NOLINT: implicit
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) LogValue(T n)
      : v_(static_cast<uint64_t>(n)) {}            // NOLINT: implicit
  LogValue(const Error& e) : v_(e.to_string()) {}  // NOLINT: implicit

  using Variant = std::variant<std::string, bool, double, int64_t, uint64_t>;
  const Variant& get() const { return v_; }

 private:
  Variant v_;
};

struct LogField {
  std::string_view key;
  LogValue value;
};

using LogFields = std::initializer_list<LogField>;

// Receives each finished line (without the trailing newline).
using LogSink = std::function<void(LogLevel level, std::string_view line)>;

// Process-wide settings. Defaults: info, text, stderr, no timestamps.
void set_log_level(LogLevel level);
LogLevel log_level();
void set_log_format(LogFormat format);
// The clock must outlive all logging; nullptr removes timestamps.
void set_log_clock(const Clock* clock);
// Replaces the sink; an empty function restores stderr. Returns the previous sink.
LogSink set_log_sink(LogSink sink);

// Formats one event the way the sink receives it (exposed for tests and tools).
std::string format_log_line(LogFormat format, LogLevel level, std::string_view module,
                            std::string_view message, LogFields fields,
                            std::string_view timestamp = {});

class Logger {
 public:
  explicit constexpr Logger(std::string_view module) : module_(module) {}

  bool enabled(LogLevel level) const;
  void log(LogLevel level, std::string_view message, LogFields fields = {}) const;
  void debug(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::info, message, fields);
  }
  void warn(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::warn, message, fields);
  }
  void error(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::error, message, fields);
  }
  std::string_view module() const { return module_; }

 private:
  std::string_view module_;
};

// Test aid: collects every line logged while it exists (at all levels), then restores the
// previous sink and level. Not nestable across threads' lifetimes; one per test.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const;
  // True when some captured line contains every one of `parts`.
  bool contains(std::initializer_list<std::string_view> parts) const;
  std::string joined() const;  // all lines, newline-separated, for failure messages

 private:
  struct State;
  std::shared_ptr<State> state_;
  LogSink previous_;
  LogLevel previous_level_;
};

}  // namespace fleetgate
