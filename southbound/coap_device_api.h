// The device API over CoAP (DESIGN.md section 4): the same operations and decisions as
// the HTTP DeviceApi, on short paths.
//
//   GET  /n/{id}   what to run: 2.05 + the "next" JSON (same bytes as HTTP), 2.05 with an
//                  empty payload for nothing to do, 5.03 + Max-Age to come back later;
//                  JSON only (Accept other than 50 is 4.06); not observable yet
//   GET  /b/{hex}  the blob, Block2 (RFC 7959) with ETag = first 8 bytes of its SHA-256
//                  and Size2 = its length; 4.04 for unknown and refused alike
//   POST /s/{id}   status report (application/json): 2.04 once in the outbox, 4.00 with a
//                  diagnostic payload for a bad body, 4.13 + Size1 beyond max_payload or
//                  in Block1 pieces (a report fits one datagram)
//
// Identity: over DTLS the PSK identity is the device id (the handshake already checked
// the key), and a device acts only as itself (4.03 otherwise). Plain CoAP carries no
// identity, like an HTTP request without a token: /n and /s answer 4.01 Unauthorized,
// and /b serves only blobs the oracle makes public (may_read(nullptr, hash)).
//
// Blocks are cut per request (the device may start or resume at any block number) from
// a cache transfer held per (session, blob) by CoapTransfers: each chunk is XXH3-checked
// once per transfer, and the handle is released after the last block, when the session
// goes, or after transfer_idle without a request. With every transfer slot taken the
// answer is 5.03 + Max-Age.
#pragma once

#include <coap3/coap.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "southbound/coap_transfers.h"
#include "southbound/device_api.h"

namespace fleetgate::southbound {

struct CoapApiLimits {
  size_t max_payload = 1024;  // request payload (status reports); larger is 4.13
  std::chrono::milliseconds transfer_idle{10'000};  // a blob transfer's handle is kept this long
};

class CoapDeviceApi {
 public:
  // `services.metrics` is not used; counters go to `metrics` (nullptr: a private registry).
  CoapDeviceApi(Services services, CoapApiLimits limits, MetricsRegistry* metrics);
  CoapDeviceApi(const CoapDeviceApi&) = delete;
  CoapDeviceApi& operator=(const CoapDeviceApi&) = delete;

  // Answers one request; called from libcoap's handler on the loop thread.
  void handle(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response);

  // The PSK for a DTLS identity (a device id), or nullptr to fail the handshake.
  const coap_bin_const_t* psk_for(std::string_view identity);

  MetricsRegistry& metrics() { return *metrics_; }

  // Blob transfers: a session's end releases its handles; expire_transfers() the idle ones.
  void session_closed(const coap_session_t* session) { transfers_.drop_session(session); }
  void expire_transfers() { transfers_.expire(); }
  void end_transfers() { transfers_.clear(); }
  size_t transfers_in_progress() const { return transfers_.size(); }

 private:
  // The device a DTLS session authenticated as; nullptr over plain CoAP.
  const Device* session_device(coap_session_t* session) const;
  void next(const Device& device, coap_pdu_t* response);
  void blob(coap_session_t* session, const coap_pdu_t* request, const Device* device,
            std::string_view hex, coap_pdu_t* response);
  void status(const coap_pdu_t* request, const Device& device, coap_pdu_t* response);
  void count(coap_pdu_t* response);

  Services s_;
  CoapApiLimits limits_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  MetricsRegistry* metrics_;
  Counter* requests_2xx_;
  Counter* requests_4xx_;
  Counter* requests_5xx_;
  Counter* blocks_sent_;
  Counter* blob_bytes_sent_;
  Counter* psk_unknown_;
  std::vector<std::pair<std::string, coap_bin_const_t>> psks_;  // id -> key, sorted by id
  CoapTransfers transfers_;
};

}  // namespace fleetgate::southbound
