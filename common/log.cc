#include "common/log.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/clock.h"
#include "common/json_escape.h"

namespace fleetgate {
namespace {

struct LogState {
  std::mutex mu;  // guards sink, clock and the write itself
  LogSink sink;
  const Clock* clock = nullptr;
  std::atomic<int> level{static_cast<int>(LogLevel::info)};
  std::atomic<int> format{static_cast<int>(LogFormat::text)};
};

LogState& state() {
  static LogState* s = new LogState();  // never destroyed: threads may log during exit
  return *s;
}

void write_stderr(std::string_view line) {
  std::string out(line);
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

// logfmt: bare when the value has no space, quote, '=' or control byte; else quoted.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

// Log lines end up on terminals: the terminal style also escapes DEL.
void append_quoted(std::string& out, std::string_view s) {
  append_json_string(out, s, JsonEscapeStyle::terminal);
}

template <typename N>
void append_number(std::string& out, N n) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
}

// Appends the value; `json` chooses JSON literals, otherwise logfmt.
void append_value(std::string& out, const LogValue& value, bool json) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (json || needs_quotes(v)) {
            append_quoted(out, v);
          } else {
            out += v;
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else {
          append_number(out, v);
        }
      },
      value.get());
}

std::string timestamp_now(const Clock& clock) {
  auto now = clock.now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

Result<LogLevel> parse_log_level(std::string_view name) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (name == log_level_name(l)) return l;
  }
  return make_error(
      Errc::invalid_argument, "log_level",
      "unknown log level '" + std::string(name) + "', expected one of debug, info, warn, error");
}

Result<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return make_error(Errc::invalid_argument, "log_format",
                    "unknown log format '" + std::string(name) + "', expected text or json");
}

void set_log_level(LogLevel level) { state().level.store(static_cast<int>(level)); }
LogLevel log_level() { return static_cast<LogLevel>(state().level.load()); }
void set_log_format(LogFormat format) { state().format.store(static_cast<int>(format)); }

void set_log_clock(const Clock* clock) {
  std::lock_guard lock(state().mu);
  state().clock = clock;
}

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lock(state().mu);
  LogSink previous = std::move(state().sink);
  state().sink = std::move(sink);
  return previous;
}

std::string format_log_line(LogFormat format, LogLevel level, std::string_view module,
                            std::string_view message, LogFields fields,
                            std::string_view timestamp) {
  std::string out;
  out.reserve(128);
  if (format == LogFormat::json) {
    out += '{';
    if (!timestamp.empty()) {
      out += "\"ts\":";
      append_quoted(out, timestamp);
      out += ',';
    }
    out += "\"level\":";
    append_quoted(out, log_level_name(level));
    out += ",\"module\":";
    append_quoted(out, module);
    out += ",\"msg\":";
    append_quoted(out, message);
    for (const auto& f : fields) {
      out += ',';
      append_quoted(out, f.key);
      out += ':';
      append_value(out, f.value, true);
    }
    out += '}';
    return out;
  }
  if (!timestamp.empty()) {
    out += "ts=";
    out += timestamp;
    out += ' ';
  }
  out += "level=";
  out += log_level_name(level);
  out += " module=";
  out += module;
  out += " msg=";
  append_quoted(out, message);
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_value(out, f.value, false);
  }
  return out;
}

bool Logger::enabled(LogLevel level) const {
  return static_cast<int>(level) >= state().level.load(std::memory_order_relaxed);
}

void Logger::log(LogLevel level, std::string_view message, LogFields fields) const {
  if (!enabled(level)) return;
  auto& s = state();
  auto format = static_cast<LogFormat>(s.format.load(std::memory_order_relaxed));
  std::lock_guard lock(s.mu);
  std::string ts = s.clock ? timestamp_now(*s.clock) : std::string();
  std::string line = format_log_line(format, level, module_, message, fields, ts);
  if (s.sink) {
    s.sink(level, line);
  } else {
    write_stderr(line);
  }
}

struct LogCapture::State {
  mutable std::mutex mu;
  std::vector<std::string> lines;
};

LogCapture::LogCapture() : state_(std::make_shared<State>()), previous_level_(log_level()) {
  std::shared_ptr<State> st = state_;
  previous_ = set_log_sink([st](LogLevel, std::string_view line) {
    std::lock_guard lock(st->mu);
    st->lines.emplace_back(line);
  });
  set_log_level(LogLevel::debug);
}

LogCapture::~LogCapture() {
  set_log_sink(std::move(previous_));
  set_log_level(previous_level_);
}

std::vector<std::string> LogCapture::lines() const {
  std::lock_guard lock(state_->mu);
  return state_->lines;
}

bool LogCapture::contains(std::initializer_list<std::string_view> parts) const {
  std::lock_guard lock(state_->mu);
  for (const auto& line : state_->lines) {
    bool all = true;
    for (auto p : parts) {
      if (line.find(p) == std::string::npos) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

std::string LogCapture::joined() const {
  std::lock_guard lock(state_->mu);
  std::string out;
  for (const auto& line : state_->lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace fleetgate
