// Fuzzes the status report a device POSTs (HTTP) or PUTs (CoAP): the body is whatever an
// authenticated but possibly broken or hostile device sends. A body is either refused with
// a "status report rejected: ..." message or becomes an outbox record that carries only the
// allowed string fields, a known state, the device id and the arrival time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "southbound/status_report.h"

namespace {

constexpr int64_t kNowMs = 1'700'000'000'123;

bool allowed_state(const std::string& s) {
  return s == "downloading" || s == "downloaded" || s == "installing" || s == "installed" ||
         s == "failed" || s == "deferred";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fleetgate::southbound::Device device = [] {
    fleetgate::southbound::Device d;
    d.id = "sensor-1";
    return d;
  }();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto record = fleetgate::southbound::parse_status_report(device, body, kNowMs);
  if (!record.ok()) {
    if (record.error().code != fleetgate::Errc::invalid_argument ||
        record.error().message.rfind("status report rejected: ", 0) != 0) {
      std::abort();
    }
    return 0;
  }
  nlohmann::json j = nlohmann::json::parse(*record, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("device", "") != "sensor-1" ||
      j.value("received_ms", int64_t{0}) != kNowMs || !allowed_state(j.value("state", "")) ||
      j.value("deployment", "").empty()) {
    std::abort();
  }
  for (auto& [key, value] : j.items()) {
    if (key == "device" || key == "received_ms") continue;
    if ((key != "deployment" && key != "state" && key != "version" && key != "reason") ||
        !value.is_string()) {
      std::abort();
    }
  }
  return 0;
}
