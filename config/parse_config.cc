// TOML -> Config. toml++ throws on malformed input; that is caught here, at the boundary,
// and every problem becomes an Errc::config error of the form
//   <file>:<line>:<col>: key 'section.name' <what is wrong>: got <value>, expected <what>
#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>

#include "common/cron_window.h"
#include "common/socket_address.h"
#include "common/units.h"
#include "config/config.h"

namespace fleetgate::config {
namespace {

using std::chrono::milliseconds;

std::string position(std::string_view source, const toml::source_region& where) {
  std::string out(source);
  if (where.begin.line != 0) {
    out += ':' + std::to_string(where.begin.line) + ':' + std::to_string(where.begin.column);
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "value";
  }
}

// How a value appears in a message: its type and, for scalars, the value itself.
std::string describe(const toml::node& n) {
  if (auto s = n.as_string()) return "string " + quoted(s->get());
  if (auto i = n.as_integer()) return "integer " + std::to_string(i->get());
  if (auto b = n.as_boolean()) return std::string("boolean ") + (b->get() ? "true" : "false");
  if (n.is_floating_point() || n.is_date() || n.is_time() || n.is_date_time()) {
    std::ostringstream os;
    os << type_name(n) << ' ';
    n.visit([&os](const auto& v) { os << v; });
    return os.str();
  }
  return (n.is_array() ? "an " : "a ") + type_name(n);
}

// The reason inside a units error: "'x' is not a size: <reason> (expected ...)".
std::string reason_of(const Error& e) {
  const std::string& m = e.message;
  size_t start = m.find("' is not a ");
  start = start == std::string::npos ? std::string::npos : m.find(": ", start);
  size_t end = m.rfind(" (expected");
  if (start == std::string::npos || end == std::string::npos || end <= start) return m;
  return m.substr(start + 2, end - start - 2);
}

std::string join_path(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return std::string(prefix) + "." + std::string(name);
}

constexpr std::string_view kDurationHint = "a duration string such as \"500ms\", \"60s\" or \"3h\"";
constexpr std::string_view kSizeHint =
    "a size: a string such as \"20GiB\" or \"512KiB\", or an integer number of bytes";

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  bool failed() const { return error_.has_value(); }
  Error take_error() { return std::move(*error_); }

  void fail(const toml::source_region& where, std::string_view kind, std::string message) {
    if (error_) return;  // the first problem is reported; later ones are often consequences
    error_ = make_error(Errc::config, std::string(kind),
                        position(source_, where) + ": " + std::move(message));
  }

  void wrong_type(const toml::node& n, const std::string& key, std::string_view expected) {
    fail(n.source(), "wrong_type",
         "key '" + key + "' has the wrong type: got " + describe(n) + ", expected " +
             std::string(expected));
  }
  void invalid(const toml::node& n, const std::string& key, std::string_view expected) {
    fail(n.source(), "invalid_value",
         "key '" + key + "' has an invalid value: got " + describe(n) + ", expected " +
             std::string(expected));
  }
  void out_of_range(const toml::node& n, const std::string& key, std::string_view expected) {
    fail(n.source(), "out_of_range",
         "key '" + key + "' is out of range: got " + describe(n) + ", expected " +
             std::string(expected));
  }

  void check_keys(const toml::table& t, std::string_view prefix,
                  std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : t) {
      bool found = false;
      for (auto k : known) found = found || key.str() == k;
      if (found) continue;
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(key.source(), "unknown_key",
           "unknown key '" + join_path(prefix, key.str()) + "' (" + describe(node) +
               "), expected one of: " + list);
      return;
    }
  }

  // A sub-table, or nullptr when absent (defaults apply) or not a table (an error).
  const toml::table* table(const toml::table& root, std::string_view name) {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) {
      wrong_type(*n, std::string(name), "a table [" + std::string(name) + "]");
      return nullptr;
    }
    return n->as_table();
  }

  // `check` returns what was expected when the value is not acceptable.
  void string(const toml::table& t, std::string_view prefix, std::string_view name,
              std::string& out,
              const std::function<std::optional<std::string>(std::string_view)>& check = {}) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    auto s = n->as_string();
    if (!s) return wrong_type(*n, key, "a string");
    if (check) {
      if (auto expected = check(s->get())) return invalid(*n, key, *expected);
    }
    out = s->get();
  }

  template <typename Duration>
  void duration(const toml::table& t, std::string_view prefix, std::string_view name, Duration& out,
                milliseconds min, milliseconds max) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    auto s = n->as_string();
    if (!s) return wrong_type(*n, key, kDurationHint);
    auto parsed = parse_duration(s->get());
    if (!parsed.ok()) {
      return invalid(*n, key, std::string(kDurationHint) + " (" + reason_of(parsed.error()) + ")");
    }
    if (*parsed < min || *parsed > max) {
      return out_of_range(
          *n, key, "a duration from " + format_duration(min) + " to " + format_duration(max));
    }
    if (std::chrono::duration_cast<milliseconds>(std::chrono::duration_cast<Duration>(*parsed)) !=
        *parsed) {
      return invalid(*n, key, "a whole number of seconds");
    }
    out = std::chrono::duration_cast<Duration>(*parsed);
  }

  template <typename Int>
  void size(const toml::table& t, std::string_view prefix, std::string_view name, Int& out,
            uint64_t min, uint64_t max, bool rate = false) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    uint64_t value = 0;
    auto range = [&] {
      return "a size from " + format_size(min) + " to " + format_size(max) +
             (rate ? " per second" : "");
    };
    if (auto i = n->as_integer()) {
      if (i->get() < 0) return out_of_range(*n, key, range());
      value = static_cast<uint64_t>(i->get());
    } else if (auto s = n->as_string()) {
      auto parsed = rate ? parse_rate(s->get()) : parse_size(s->get());
      if (!parsed.ok()) {
        return invalid(*n, key, std::string(kSizeHint) + " (" + reason_of(parsed.error()) + ")");
      }
      value = *parsed;
    } else {
      return wrong_type(*n, key, kSizeHint);
    }
    if (value < min || value > max) return out_of_range(*n, key, range());
    out = static_cast<Int>(value);
  }

  template <typename Int>
  void integer(const toml::table& t, std::string_view prefix, std::string_view name, Int& out,
               int64_t min, int64_t max) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    auto i = n->as_integer();
    if (!i) return wrong_type(*n, key, "an integer");
    if (i->get() < min || i->get() > max) {
      return out_of_range(*n, key,
                          "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    out = static_cast<Int>(i->get());
  }

  void address_list(const toml::table& t, std::string_view prefix, std::string_view name,
                    std::vector<std::string>& out) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    constexpr std::string_view kExpected =
        "an array of addresses such as [\"127.0.0.1:8080\", \"[::1]:8080\"]";
    auto arr = n->as_array();
    if (!arr) return wrong_type(*n, key, kExpected);
    std::vector<std::string> values;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      std::string el_key = key + "[" + std::to_string(i) + "]";
      auto s = el.as_string();
      if (!s) return wrong_type(el, el_key, "a string address such as \"127.0.0.1:8080\"");
      auto addr = SocketAddress::parse(s->get());
      if (!addr.ok()) {
        return invalid(el, el_key,
                       "a numeric address with a port, \"a.b.c.d:port\" or \"[v6]:port\"");
      }
      values.push_back(s->get());
    }
    out = std::move(values);
  }

  void string_list(const toml::table& t, std::string_view prefix, std::string_view name,
                   std::vector<std::string>& out,
                   const std::function<std::optional<std::string>(std::string_view)>& check) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    auto arr = n->as_array();
    if (!arr) return wrong_type(*n, key, "an array of strings");
    std::vector<std::string> values;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      std::string el_key = key + "[" + std::to_string(i) + "]";
      auto s = el.as_string();
      if (!s) return wrong_type(el, el_key, "a string");
      if (auto expected = check(s->get())) return invalid(el, el_key, *expected);
      values.push_back(s->get());
    }
    out = std::move(values);
  }

  template <typename Enum>
  void choice(const toml::table& t, std::string_view prefix, std::string_view name, Enum& out,
              Result<Enum> (*parse)(std::string_view), std::string_view expected) {
    const toml::node* n = t.get(name);
    if (!n || failed()) return;
    std::string key = join_path(prefix, name);
    auto s = n->as_string();
    if (!s) return wrong_type(*n, key, expected);
    auto parsed = parse(s->get());
    if (!parsed.ok()) return invalid(*n, key, expected);
    out = *parsed;
  }

 private:
  std::string_view source_;
  std::optional<Error> error_;
};

std::optional<std::string> check_site(std::string_view s) {
  // The site names a file, plans/<site>.json: no separators, no leading dot.
  bool ok = s.size() <= 64 && (s.empty() || s.front() != '.');
  for (char c : s) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  if (ok) return std::nullopt;
  return "at most 64 letters, digits, '-', '_' or '.', not starting with '.'";
}

std::optional<std::string> check_non_empty_path(std::string_view s) {
  if (!s.empty()) return std::nullopt;
  return "a non-empty path";
}

std::optional<std::string> check_origin(std::string_view s) {
  if (s.empty() || s.starts_with("https://") || s.starts_with("http://") ||
      s.starts_with("file://")) {
    return std::nullopt;
  }
  return "an https://, http:// or file:// URL, or \"\" for no origin";
}

std::optional<std::string> check_pin(std::string_view s) {
  // sha256//<base64 of 32 bytes>: 44 characters ending in '='.
  constexpr std::string_view kPrefix = "sha256//";
  bool ok = s.starts_with(kPrefix) && s.size() == kPrefix.size() + 44 && s.back() == '=';
  for (char c : s.substr(std::min(s.size(), kPrefix.size()))) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=');
  }
  if (ok) return std::nullopt;
  return "an SPKI pin \"sha256//<base64 of the SHA-256 of the public key>\"";
}

std::optional<std::string> check_http_url(std::string_view s) {
  if (s.empty() || s.starts_with("https://") || s.starts_with("http://")) return std::nullopt;
  return "an https:// or http:// URL, or \"\" for no status upload";
}

void read_northbound(Reader& r, const toml::table& t, NorthboundConfig& c) {
  constexpr std::string_view p = "northbound";
  r.check_keys(t, p,
               {"origin", "trust_root", "ca_file", "poll_interval", "wan_rate", "status_url",
                "status_outbox_max", "status_interval", "status_batch", "sync_window",
                "sync_window_duration", "time_zone", "nudge_token_file", "nudge_client_cn",
                "client_cert", "client_key", "pins", "status_ca_file", "status_pins"});
  r.string(t, p, "origin", c.origin, check_origin);
  r.string(t, p, "trust_root", c.trust_root, check_non_empty_path);
  r.string(t, p, "ca_file", c.ca_file);
  r.duration(t, p, "poll_interval", c.poll_interval, std::chrono::seconds(1),
             std::chrono::hours(24));
  r.size(t, p, "wan_rate", c.wan_rate, 0, UINT64_MAX, /*rate=*/true);
  r.string(t, p, "status_url", c.status_url, check_http_url);
  r.integer(t, p, "status_outbox_max", c.status_outbox_max, 1'000, 100'000'000);
  r.duration(t, p, "status_interval", c.status_interval, std::chrono::seconds(1),
             std::chrono::hours(1));
  r.integer(t, p, "status_batch", c.status_batch, 1, 10'000);
  r.string(t, p, "sync_window", c.sync_window);
  r.duration(t, p, "sync_window_duration", c.sync_window_duration, std::chrono::minutes(1),
             std::chrono::hours(24 * 7));
  r.string(t, p, "time_zone", c.time_zone);
  if (!r.failed() && (!c.sync_window.empty() || t.get("time_zone"))) {
    // The window is checked here so a bad expression or zone is a config error at start.
    auto window = WindowSchedule::parse(c.sync_window.empty() ? "* * * * *" : c.sync_window,
                                        c.sync_window_duration, c.time_zone);
    if (!window.ok()) {
      // Blame the zone when the zone is what was refused (or the only key given).
      const bool zone =
          c.sync_window.empty() ||
          (t.get("time_zone") && window.error().message.find("time zone") != std::string::npos);
      const char* key = zone ? "time_zone" : "sync_window";
      r.invalid(
          *t.get(key), join_path(p, key),
          zone
              ? "an IANA time zone such as \"Europe/Berlin\" (" + window.error().message + ")"
              : "a 5-field cron expression such as \"0 2 * * *\" (" + window.error().message + ")");
    }
  }
  r.string(t, p, "nudge_token_file", c.nudge_token_file);
  r.string(t, p, "nudge_client_cn", c.nudge_client_cn);
  r.string(t, p, "client_cert", c.client_cert);
  r.string(t, p, "client_key", c.client_key);
  r.string_list(t, p, "pins", c.pins, check_pin);
  // Absent means "as the origin": only a key that is there overrides, even if empty.
  if (t.get("status_ca_file")) r.string(t, p, "status_ca_file", c.status_ca_file.emplace());
  if (t.get("status_pins")) r.string_list(t, p, "status_pins", c.status_pins.emplace(), check_pin);
  if (!r.failed() && c.client_cert.empty() != c.client_key.empty()) {
    const char* given = c.client_cert.empty() ? "client_key" : "client_cert";
    r.invalid(*t.get(given), join_path(p, given),
              "both 'northbound.client_cert' and 'northbound.client_key', or neither");
  }
}

void read_http(Reader& r, const toml::table& t, HttpConfig& c) {
  constexpr std::string_view p = "http";
  r.check_keys(t, p,
               {"listen", "tls_listen", "tls_cert", "tls_key", "tls_client_ca", "max_connections",
                "max_header_bytes", "max_body_bytes", "header_timeout", "idle_timeout"});
  r.address_list(t, p, "listen", c.listen);
  r.address_list(t, p, "tls_listen", c.tls_listen);
  r.string(t, p, "tls_cert", c.tls_cert);
  r.string(t, p, "tls_key", c.tls_key);
  r.string(t, p, "tls_client_ca", c.tls_client_ca);
  r.integer(t, p, "max_connections", c.max_connections, 1, 1'000'000);
  r.size(t, p, "max_header_bytes", c.max_header_bytes, 1 << 10, 1 << 20);
  r.size(t, p, "max_body_bytes", c.max_body_bytes, 1 << 10, 64 << 20);
  r.duration(t, p, "header_timeout", c.header_timeout, milliseconds(100), std::chrono::minutes(10));
  r.duration(t, p, "idle_timeout", c.idle_timeout, milliseconds(100), std::chrono::hours(1));
  if (!r.failed() && !c.tls_listen.empty()) {
    for (auto [name, value] :
         {std::pair<std::string_view, const std::string*>{"tls_cert", &c.tls_cert},
          {"tls_key", &c.tls_key}}) {
      if (value->empty()) {
        r.fail(t.get("tls_listen")->source(), "invalid_value",
               "key 'http." + std::string(name) +
                   "' is missing: got nothing, expected a PEM file path because "
                   "'http.tls_listen' is not empty");
        return;
      }
    }
  }
}

void read_coap(Reader& r, const toml::table& t, CoapConfig& c) {
  constexpr std::string_view p = "coap";
  r.check_keys(t, p,
               {"listen", "dtls_listen", "max_sessions", "max_handshakes", "idle_timeout",
                "max_payload", "transfer_idle"});
  r.address_list(t, p, "listen", c.listen);
  r.address_list(t, p, "dtls_listen", c.dtls_listen);
  r.integer(t, p, "max_sessions", c.max_sessions, 1, 1'000'000);
  r.integer(t, p, "max_handshakes", c.max_handshakes, 1, 65'535);
  r.duration(t, p, "idle_timeout", c.idle_timeout, milliseconds(1000), std::chrono::hours(1));
  r.size(t, p, "max_payload", c.max_payload, 64, 64 << 10);
  r.duration(t, p, "transfer_idle", c.transfer_idle, milliseconds(1000), std::chrono::minutes(10));
}

// The cache stores and commits whole chunks (cache::kChunkSize, which config/ cannot
// include); a batch of a chunk and a half would silently be one chunk.
constexpr uint64_t kCacheChunkBytes = 256 << 10;

void read_commit_bytes(Reader& r, const toml::table& t, uint64_t& out) {
  r.size(t, "cache", "commit_bytes", out, kCacheChunkBytes, 256ull << 20);
  const toml::node* n = t.get("commit_bytes");
  if (n && !r.failed() && out % kCacheChunkBytes != 0) {
    r.invalid(*n, "cache.commit_bytes", "a whole number of 256KiB chunks, such as \"4MiB\"");
  }
}

Config read_config(Reader& r, const toml::table& root) {
  Config c;
  r.check_keys(root, "",
               {"site", "state_dir", "shutdown_grace", "northbound", "cache", "http", "coap",
                "devices", "log"});
  r.string(root, "", "site", c.site, check_site);
  r.string(root, "", "state_dir", c.state_dir, check_non_empty_path);
  r.duration(root, "", "shutdown_grace", c.shutdown_grace, milliseconds(0),
             std::chrono::minutes(10));
  if (auto t = r.table(root, "northbound")) read_northbound(r, *t, c.northbound);
  if (auto t = r.table(root, "cache")) {
    r.check_keys(*t, "cache", {"quota", "commit_bytes", "commit_interval"});
    r.size(*t, "cache", "quota", c.cache.quota, 1 << 20, UINT64_MAX);
    read_commit_bytes(r, *t, c.cache.commit_bytes);
    r.duration(*t, "cache", "commit_interval", c.cache.commit_interval, milliseconds(100),
               std::chrono::minutes(10));
  }
  if (auto t = r.table(root, "http")) read_http(r, *t, c.http);
  if (auto t = r.table(root, "coap")) read_coap(r, *t, c.coap);
  if (auto t = r.table(root, "devices")) {
    r.check_keys(*t, "devices", {"file"});
    r.string(*t, "devices", "file", c.devices.file);
  }
  if (auto t = r.table(root, "log")) {
    r.check_keys(*t, "log", {"level", "format"});
    r.choice(*t, "log", "level", c.log.level, &parse_log_level,
             "one of \"debug\", \"info\", \"warn\", \"error\"");
    r.choice(*t, "log", "format", c.log.format, &parse_log_format, "\"text\" or \"json\"");
  }
  // Status batches go to {status_url}{site}/{epoch}/{seq}.json: uploads need a site.
  if (!r.failed() && !c.northbound.status_url.empty() && c.site.empty()) {
    if (const toml::node* n = root.at_path("northbound.status_url").node()) {
      r.invalid(*n, "northbound.status_url",
                "site to be set too (batches go to {status_url}{site}/{epoch}/{seq}.json)");
    }
  }
  return c;
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(source));
  } catch (const toml::parse_error& e) {
    return make_error(
        Errc::config, "malformed",
        position(source, e.source()) + ": malformed TOML: " + std::string(e.description()));
  }
  Reader reader(source);
  Config config = read_config(reader, root);
  if (reader.failed()) return reader.take_error();
  return config;
}

Result<Config> load_config(const std::string& path) {
  auto unreadable = [&path](int err) {
    return make_error(Errc::config, "unreadable",
                      "cannot read configuration file '" + path + "': " + std::strerror(err));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return unreadable(errno);
  std::string text;
  char buf[16384];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) return unreadable(errno);  // e.g. EISDIR
  return parse_config(text, path);
}

}  // namespace fleetgate::config
