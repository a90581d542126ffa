// The CoAP server (DESIGN.md sections 4 and 9): libcoap 4.3.1 on the gateway's libuv
// loop, with plain-UDP and DTLS-PSK listeners serving the CoapDeviceApi.
//
// Glossary:
//   endpoint - a bound UDP socket of libcoap's, plain CoAP or DTLS.
//   session  - libcoap's per-peer state (for DTLS, the handshake and keys); idle sessions
//              are capped in number and expire after idle_timeout.
//   PSK      - DTLS pre-shared key: the identity is the device id, the key the device's
//              `psk` from the registry. An unknown identity fails the handshake.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "southbound/coap_device_api.h"
#include "southbound/coap_loop.h"

namespace fleetgate::southbound {

struct CoapServerOptions {
  std::vector<std::string> listen;       // plain CoAP, "127.0.0.1:5683" (port 0: any)
  std::vector<std::string> dtls_listen;  // CoAP over DTLS-PSK
  unsigned max_sessions = 1024;          // idle sessions kept across all endpoints
  unsigned max_handshakes = 64;          // DTLS handshakes in progress
  std::chrono::seconds idle_timeout{120};
  // How often idle blob transfers are looked for (CoapApiLimits::transfer_idle).
  std::chrono::milliseconds sweep_every{1000};
  CoapApiLimits limits;
  MetricsRegistry* metrics = nullptr;  // where the CoAP counters go (nullptr: private)
};

class CoapServer {
 public:
  // Binds every listener. Fails naming the address that could not be bound.
  static Result<std::unique_ptr<CoapServer>> start(uv_loop_t* loop,
                                                   const CoapServerOptions& options,
                                                   Services services);
  // NOTE: close() first; destroying an open server closes it without a callback.
  ~CoapServer();
  CoapServer(const CoapServer&) = delete;
  CoapServer& operator=(const CoapServer&) = delete;

  // The bound addresses ("127.0.0.1:41234"), in the order configured.
  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::vector<std::string>& dtls_addresses() const { return dtls_addresses_; }

  // Closes every endpoint (and with them their sessions): no new requests. A status
  // report waiting for its commit keeps the endpoints open until close() (libcoap must
  // not free a session an async still references); new reports then get 5.03.
  void stop_accepting();
  // Status reports waiting for their separate response.
  size_t in_flight() const { return api_ ? api_->reports_waiting() : 0; }
  // Stops watching the loop, then frees libcoap's context; `done` runs after.
  void close(std::function<void()> done);

  CoapDeviceApi& api() { return *api_; }

 private:
  CoapServer() = default;
  Status bind(const std::string& listen, bool dtls);
  void free_endpoints();

  coap_context_t* context_ = nullptr;
  std::unique_ptr<CoapDeviceApi> api_;
  std::unique_ptr<CoapLoop> loop_;
  std::vector<coap_endpoint_t*> endpoints_;
  std::vector<std::string> addresses_;
  std::vector<std::string> dtls_addresses_;
};

}  // namespace fleetgate::southbound
