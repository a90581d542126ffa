#include "southbound/device_registry.h"

#include <openssl/is_boringssl.h>  // fails to compile if the include path finds OpenSSL
#include <openssl/mem.h>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace fleetgate::southbound {

namespace {
Error registry_error(std::string_view source, const std::string& what) {
  return make_error(Errc::config, "device_registry", std::string(source) + ": " + what);
}

std::string key_of(const Sha256Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
}
}  // namespace

Result<DeviceRegistry> DeviceRegistry::parse(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ": " << e.description();
    return registry_error(source, msg.str());
  }
  DeviceRegistry reg;
  for (auto&& [key, value] : root) {
    if (key.str() != "device") {
      return registry_error(source, "unknown key '" + std::string(key.str()) +
                                        "' (expected only [[device]] tables)");
    }
    const toml::array* arr = value.as_array();
    if (arr == nullptr) return registry_error(source, "'device' must be an array of tables ([[device]])");
    size_t index = 0;
    for (const toml::node& node : *arr) {
      ++index;
      std::string where = "device #" + std::to_string(index);
      const toml::table* t = node.as_table();
      if (t == nullptr) return registry_error(source, where + " is not a table");
      Device d;
      std::string token;
      for (auto&& [k, v] : *t) {
        std::string name(k.str());
        const std::string* s = v.is_string() ? &v.as_string()->get() : nullptr;
        if (name != "id" && name != "group" && name != "hardware" && name != "token" &&
            name != "psk") {
          return registry_error(source, where + ": unknown key '" + name +
                                            "' (expected id, group, hardware, token, psk)");
        }
        if (s == nullptr) return registry_error(source, where + ": '" + name + "' must be a string");
        if (name == "id") d.id = *s;
        if (name == "group") d.group = *s;
        if (name == "hardware") d.hardware = *s;
        if (name == "token") token = *s;
        if (name == "psk") d.psk = *s;
      }
      if (d.id.empty()) return registry_error(source, where + ": 'id' is required");
      for (char c : d.id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) {
          return registry_error(source, where + ": id '" + d.id +
                                            "' may contain only letters, digits, '-', '_', '.'");
        }
      }
      if (reg.by_id_.count(d.id) != 0) {
        return registry_error(source, where + ": duplicate id '" + d.id + "'");
      }
      if (token.empty() && d.psk.empty()) {
        return registry_error(source, "device '" + d.id + "' has neither 'token' nor 'psk'");
      }
      if (!token.empty()) {
        if (token.size() < 16) {
          return registry_error(source, "device '" + d.id + "': token shorter than 16 characters");
        }
        d.has_token = true;
        d.token_sha256 = Sha256::of(token);
        if (!reg.by_token_hash_.emplace(key_of(d.token_sha256), reg.devices_.size()).second) {
          return registry_error(source, "device '" + d.id + "' reuses another device's token");
        }
      }
      reg.by_id_.emplace(d.id, reg.devices_.size());
      reg.devices_.push_back(std::move(d));
    }
  }
  return reg;
}

Result<DeviceRegistry> DeviceRegistry::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::config, "device_registry",
                      "cannot read device registry file '" + path + "'");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

const Device* DeviceRegistry::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &devices_[it->second];
}

const Device* DeviceRegistry::authenticate(std::string_view bearer_token) const {
  Sha256Digest presented = Sha256::of(bearer_token);
  auto it = by_token_hash_.find(key_of(presented));
  if (it == by_token_hash_.end()) return nullptr;
  const Device& d = devices_[it->second];
  if (CRYPTO_memcmp(d.token_sha256.bytes.data(), presented.bytes.data(), presented.bytes.size()) !=
      0) {
    return nullptr;
  }
  return &d;
}

}  // namespace fleetgate::southbound
