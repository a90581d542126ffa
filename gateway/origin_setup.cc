#include "gateway/origin_setup.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace fleetgate::gateway {

northbound::OriginOptions origin_options_for(const config::NorthboundConfig& nb) {
  northbound::OriginOptions o;
  o.tls.ca_file = nb.ca_file;
  o.tls.client_cert_file = nb.client_cert;
  o.tls.client_key_file = nb.client_key;
  o.tls.spki_pins = nb.pins;
  o.wan_rate = nb.wan_rate;
  return o;
}

tls::ClientConfig status_tls_for(const config::NorthboundConfig& nb) {
  tls::ClientConfig tls = origin_options_for(nb).tls;
  if (nb.status_ca_file) tls.ca_file = *nb.status_ca_file;
  if (nb.status_pins) tls.spki_pins = *nb.status_pins;
  return tls;
}

Result<std::string> read_trust_root(const config::NorthboundConfig& nb) {
  std::ifstream in(nb.trust_root, std::ios::binary);
  if (!in) {
    return make_error(Errc::config, "trust_root",
                      "[northbound] trust_root '" + nb.trust_root + "' cannot be read");
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<WindowSchedule> sync_window_for(const config::NorthboundConfig& nb) {
  if (nb.sync_window.empty()) return WindowSchedule::always();
  auto w = WindowSchedule::parse(nb.sync_window, nb.sync_window_duration, nb.time_zone);
  if (!w.ok()) {
    Error e = w.take_error();
    e.message = "[northbound] sync_window: " + e.message;
    return e;
  }
  return w;
}

Result<std::string> read_secret_file(const std::string& path, std::string_view key) {
  const std::string what = "[northbound] " + std::string(key) + " '" + path + "'";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(Errc::config, "secret_file", what + " cannot be read");
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(Errc::config, "key_permissions",
                      what + " is readable by group or others; expected 0600 (chmod 600 it)");
  }
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return make_error(Errc::config, "secret_file", what + " cannot be read or is empty");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  if (line.empty()) return make_error(Errc::config, "secret_file", what + " is empty");
  return line;
}

}  // namespace fleetgate::gateway
