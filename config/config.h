// The gateway's configuration: one TOML file parsed into immutable typed structs.
// Every key has a documented default (config/fleetgate.example.toml); unknown keys and
// bad values are errors naming the file, the key, the value and what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/result.h"

namespace fleetgate::config {

struct NorthboundConfig {
  std::string origin;  // https://... or file:///...; empty = no sync
  std::string trust_root = "/etc/fleetgate/root.json";
  std::string ca_file;  // empty: the system CA bundle
  std::chrono::seconds poll_interval{60};
  uint64_t wan_rate = 0;  // bytes/s, 0 = unlimited
  std::string status_url;
  // Device status reports kept for upload; past it the oldest are dropped and a gap
  // record counts them (DESIGN.md section 6).
  uint64_t status_outbox_max = 100'000;
  // With status_url set: how often an empty outbox is looked at (a batch goes at once
  // while more wait), and the records per PUT.
  std::chrono::seconds status_interval{10};
  uint64_t status_batch = 500;
  // Targets are downloaded only while a window is open (critical plans: any time).
  std::string sync_window;  // 5-field cron; empty = always open
  std::chrono::seconds sync_window_duration{3600};
  std::string time_zone = "UTC";  // IANA name the cron expression is read in
  // Push (POST /v1/sync/nudge): a file holding the bearer token (mode 0600), and/or the
  // subject CN of a client certificate verified against [http] tls_client_ca.
  std::string nudge_token_file;
  std::string nudge_client_cn;
  // mTLS and pinning towards the origin.
  std::string client_cert;
  std::string client_key;
  std::vector<std::string> pins;  // "sha256//<base64 SPKI hash>"
  // TLS towards status_url when that server is not the origin: a CA bundle ("" = the
  // system bundle) and pins (empty = none). Unset: the origin's ca_file and pins. The
  // client certificate is the origin's either way.
  std::optional<std::string> status_ca_file;
  std::optional<std::vector<std::string>> status_pins;

  bool operator==(const NorthboundConfig&) const = default;
};

struct CacheConfig {
  uint64_t quota = 20ull << 30;  // bytes
  // Bytes per durable commit batch of an ingest (cache::StoreOptions::commit_bytes): a
  // crash makes the gateway fetch again at most two batches (the one filling and the one
  // committing). A whole number of 256 KiB chunks.
  uint64_t commit_bytes = 32ull << 20;
  // A batch filling for this long commits what it has (StoreOptions::commit_interval).
  std::chrono::milliseconds commit_interval{2'000};

  bool operator==(const CacheConfig&) const = default;
};

struct HttpConfig {
  std::vector<std::string> listen{"127.0.0.1:8080"};
  std::vector<std::string> tls_listen;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;        // PEM CAs: verify client certificates offered on tls_listen
  uint32_t max_connections = 1024;  // accepted at once; more wait in the backlog
  uint64_t max_header_bytes = 16 << 10;              // request line + headers
  uint64_t max_body_bytes = 1 << 20;                 // request bodies (device status reports)
  std::chrono::milliseconds header_timeout{10'000};  // to receive a complete request head
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive with no request

  bool operator==(const HttpConfig&) const = default;
};

struct CoapConfig {
  std::vector<std::string> listen{"127.0.0.1:5683"};
  std::vector<std::string> dtls_listen{"127.0.0.1:5684"};
  uint32_t max_sessions = 1024;                       // idle sessions kept, all endpoints
  uint32_t max_handshakes = 64;                       // DTLS handshakes in progress
  std::chrono::seconds idle_timeout{120};             // a session this quiet is dropped
  uint64_t max_payload = 1024;                        // status report bytes; larger: 4.13
  std::chrono::milliseconds transfer_idle{10'000};    // a blob transfer kept between blocks

  bool operator==(const CoapConfig&) const = default;
};

struct DevicesConfig {
  std::string file = "/etc/fleetgate/devices.toml";

  bool operator==(const DevicesConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::text;  // text (key=value) | json (JSON lines)

  bool operator==(const LogConfig&) const = default;
};

struct Config {
  std::string site;  // which plans/<site>.json applies here
  std::string state_dir = "/var/lib/fleetgate";
  // On SIGTERM/SIGINT: how long in-flight work may take before it is aborted.
  std::chrono::milliseconds shutdown_grace{10'000};
  NorthboundConfig northbound;
  CacheConfig cache;
  HttpConfig http;
  CoapConfig coap;
  DevicesConfig devices;
  LogConfig log;

  bool operator==(const Config&) const = default;
};

// Parses TOML text; `source` names the file in error messages. Errors have code
// Errc::config and detail one of: malformed, unknown_key, wrong_type, out_of_range,
// invalid_value, unreadable.
Result<Config> parse_config(std::string_view toml_text, std::string_view source);
// Reads and parses a file.
Result<Config> load_config(const std::string& path);

}  // namespace fleetgate::config
