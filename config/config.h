// The gateway's configuration: one TOML file parsed into immutable typed structs.
// Every key has a documented default (config/fleetgate.example.toml); unknown keys and
// bad values are errors naming the file, the key, the value and what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fleetgate::config {

struct NorthboundConfig {
  std::string origin;                       // https://... or file:///...; empty = no sync
  std::string trust_root = "/etc/fleetgate/root.json";
  std::string ca_file;                      // empty: the system CA bundle
  std::chrono::seconds poll_interval{60};
  uint64_t wan_rate = 0;                    // bytes/s, 0 = unlimited
  std::string status_url;
};

struct CacheConfig {
  uint64_t quota = 20ull << 30;             // bytes
};

struct HttpConfig {
  std::vector<std::string> listen{"127.0.0.1:8080"};
  std::vector<std::string> tls_listen;
  std::string tls_cert;
  std::string tls_key;
};

struct CoapConfig {
  std::vector<std::string> listen{"127.0.0.1:5683"};
  std::vector<std::string> dtls_listen{"127.0.0.1:5684"};
};

struct DevicesConfig {
  std::string file = "/etc/fleetgate/devices.toml";
};

struct LogConfig {
  std::string level = "info";               // debug | info | warn | error
  std::string format = "text";              // text (key=value) | json (JSON lines)
};

struct Config {
  std::string site;                         // which plans/<site>.json applies here
  std::string state_dir = "/var/lib/fleetgate";
  NorthboundConfig northbound;
  CacheConfig cache;
  HttpConfig http;
  CoapConfig coap;
  DevicesConfig devices;
  LogConfig log;
};

// Parses TOML text; `source` names the file in error messages.
Result<Config> parse_config(std::string_view toml_text, std::string_view source);
// Reads and parses a file.
Result<Config> load_config(const std::string& path);

}  // namespace fleetgate::config
