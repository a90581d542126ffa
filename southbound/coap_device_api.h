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
//                  in Block1 pieces (a report fits one datagram), 5.03 + Max-Age when it
//                  cannot be stored now
//
// Status reports with a StatusCommitter (Services::status_committer) get a separate
// response (RFC 7252 5.2.2, libcoap's async API): the report is validated and keyed at
// once, a confirmable request gets libcoap's empty ACK, and the 2.04 (or 5.03) follows as
// a message of its own when the committer has posted the append's outcome to the loop.
// Every coap_* call stays on the loop thread.
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
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "southbound/coap_transfers.h"
#include "southbound/device_api.h"
#include "southbound/status_report.h"

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
  // A session's end also forgets its reports waiting for their answer.
  void session_closed(const coap_session_t* session);
  void expire_transfers() { transfers_.expire(); }
  void end_transfers() { transfers_.clear(); }
  size_t transfers_in_progress() const { return transfers_.size(); }

  // Status reports waiting for their separate response (the commit, then the trigger).
  size_t reports_waiting() const { return pending_->size(); }
  // Draining: new status reports get 5.03 + Max-Age; those waiting are still answered.
  void stop_taking_reports() { draining_ = true; }
  // Before libcoap's endpoints and context go: drops the separate responses still
  // waiting (their reports are committed all the same; the devices get no answer and
  // send them again). Late commit outcomes then find nothing.
  void end_reports();

 private:
  // The device a DTLS session authenticated as; nullptr over plain CoAP.
  const Device* session_device(coap_session_t* session) const;
  void next(const Device& device, coap_pdu_t* response);
  void blob(coap_session_t* session, const coap_pdu_t* request, const Device* device,
            std::string_view hex, coap_pdu_t* response);
  void status(coap_session_t* session, const coap_pdu_t* request, const Device& device,
              coap_pdu_t* response);
  // The separate response of a report whose commit has ended.
  void answer_waiting(coap_async_t* async, coap_pdu_t* response);
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

  // A status report waiting for its commit: where its separate response goes.
  struct WaitingReport {
    coap_session_t* session = nullptr;  // kept alive by the async's reference
    std::vector<uint8_t> token;
    std::optional<StatusOutcome> outcome;  // set when the commit has ended
  };
  using WaitingReports = std::map<uint64_t, WaitingReport>;  // by id (the async's app data)
  // Shared with the committer's callbacks, which must find nothing once it is gone.
  std::shared_ptr<WaitingReports> pending_ = std::make_shared<WaitingReports>();
  uint64_t next_report_id_ = 1;
  bool draining_ = false;
};

}  // namespace fleetgate::southbound
