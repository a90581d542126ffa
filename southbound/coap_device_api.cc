#include "southbound/coap_device_api.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "southbound/next_json.h"
#include "southbound/status_committer.h"
#include "southbound/status_report.h"

namespace fleetgate::southbound {
namespace {

// The largest block we cut (szx 6 = 1024 bytes, the largest non-BERT size).
constexpr unsigned kMaxSzx = 6;
// Room in a PDU for the header, token and the options of a block answer.
constexpr size_t kBlockOverhead = 64;

std::vector<std::string_view> uri_path(const coap_pdu_t* request) {
  std::vector<std::string_view> segments;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, COAP_OPTION_URI_PATH);
  coap_opt_iterator_t it;
  coap_option_iterator_init(request, &it, &filter);
  while (coap_opt_t* opt = coap_option_next(&it)) {
    segments.emplace_back(reinterpret_cast<const char*>(coap_opt_value(opt)), coap_opt_length(opt));
  }
  return segments;
}

// The value of a uint option, or -1 when absent.
int64_t uint_option(const coap_pdu_t* request, coap_option_num_t number) {
  coap_opt_iterator_t it;
  coap_opt_t* opt = coap_check_option(request, number, &it);
  if (opt == nullptr) return -1;
  return coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

void add_uint_option(coap_pdu_t* pdu, coap_option_num_t number, uint64_t value) {
  uint8_t buf[8];
  coap_add_option(pdu, number, coap_encode_var_safe8(buf, sizeof buf, value), buf);
}

void answer_text(coap_pdu_t* response, coap_pdu_code_t code, std::string_view text) {
  coap_pdu_set_code(response, code);
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
  coap_add_data(response, text.size(), reinterpret_cast<const uint8_t*>(text.data()));
}

// 4.13 + Size1 = the largest payload we take (RFC 7959 2.9.3).
void too_large(coap_pdu_t* response, size_t max_payload, std::string_view why) {
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
  add_uint_option(response, COAP_OPTION_SIZE1, max_payload);
  coap_add_data(response, why.size(), reinterpret_cast<const uint8_t*>(why.data()));
}

// 5.03 + Max-Age: the CoAP "come back later" (RFC 7252 5.9.3.4).
void come_back_later(coap_pdu_t* response, uint64_t seconds, std::string_view why) {
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
  add_uint_option(response, COAP_OPTION_MAXAGE, seconds);
  coap_add_data(response, why.size(), reinterpret_cast<const uint8_t*>(why.data()));
}

}  // namespace

CoapDeviceApi::CoapDeviceApi(Services services, CoapApiLimits limits, MetricsRegistry* metrics)
    : s_(services), limits_(limits), transfers_(*s_.store, *s_.clock, limits.transfer_idle) {
  if (metrics == nullptr) {
    own_metrics_ = std::make_unique<MetricsRegistry>();
    metrics = own_metrics_.get();
  }
  metrics_ = metrics;
  constexpr std::string_view kRequests = "fleetgate_coap_requests_total";
  constexpr std::string_view kRequestsHelp = "CoAP requests answered, by response code class.";
  requests_2xx_ = &metrics_->counter(kRequests, kRequestsHelp, {{"class", "2xx"}});
  requests_4xx_ = &metrics_->counter(kRequests, kRequestsHelp, {{"class", "4xx"}});
  requests_5xx_ = &metrics_->counter(kRequests, kRequestsHelp, {{"class", "5xx"}});
  blocks_sent_ =
      &metrics_->counter("fleetgate_coap_blocks_sent_total", "Blob blocks (Block2) sent.");
  blob_bytes_sent_ =
      &metrics_->counter("fleetgate_coap_blob_bytes_sent_total", "Blob bytes sent over CoAP.");
  psk_unknown_ = &metrics_->counter("fleetgate_coap_psk_unknown_identity_total",
                                    "DTLS handshakes refused for an unknown PSK identity.");
  if (s_.devices != nullptr) {
    for (const Device& d : s_.devices->devices()) {
      if (d.psk.empty()) continue;
      coap_bin_const_t key{d.psk.size(), reinterpret_cast<const uint8_t*>(d.psk.data())};
      psks_.emplace_back(d.id, key);
    }
    std::sort(psks_.begin(), psks_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
}

const coap_bin_const_t* CoapDeviceApi::psk_for(std::string_view identity) {
  auto it = std::lower_bound(psks_.begin(), psks_.end(), identity,
                             [](const auto& e, std::string_view id) { return e.first < id; });
  if (it == psks_.end() || it->first != identity) {
    psk_unknown_->inc();
    return nullptr;
  }
  return &it->second;
}

const Device* CoapDeviceApi::session_device(coap_session_t* session) const {
  if (s_.devices == nullptr || coap_session_get_proto(session) != COAP_PROTO_DTLS) {
    return nullptr;
  }
  const coap_bin_const_t* identity = coap_session_get_psk_identity(session);
  if (identity == nullptr || identity->length == 0) return nullptr;
  return s_.devices->find(
      std::string_view(reinterpret_cast<const char*>(identity->s), identity->length));
}

void CoapDeviceApi::count(coap_pdu_t* response) {
  switch (COAP_RESPONSE_CLASS(coap_pdu_get_code(response))) {
    case 2:
      requests_2xx_->inc();
      break;
    case 4:
      requests_4xx_->inc();
      break;
    case 5:
      requests_5xx_->inc();
      break;
    default:
      break;
  }
}

void CoapDeviceApi::handle(coap_session_t* session, const coap_pdu_t* request,
                           coap_pdu_t* response) {
  std::vector<std::string_view> path = uri_path(request);
  const coap_pdu_code_t method = coap_pdu_get_code(request);
  const Device* device = session_device(session);
  if (path.size() != 2 || (path[0] != "n" && path[0] != "b" && path[0] != "s")) {
    answer_text(response, COAP_RESPONSE_CODE_NOT_FOUND, "not found");
  } else if (path[0] == "b") {
    if (method != COAP_REQUEST_CODE_GET) {
      answer_text(response, COAP_RESPONSE_CODE_NOT_ALLOWED, "GET only");
    } else {
      blob(session, request, device, path[1], response);
    }
  } else if ((path[0] == "n" && method != COAP_REQUEST_CODE_GET) ||
             (path[0] == "s" && method != COAP_REQUEST_CODE_POST)) {
    answer_text(response, COAP_RESPONSE_CODE_NOT_ALLOWED,
                path[0] == "n" ? "GET only" : "POST only");
  } else if (device == nullptr) {
    answer_text(response, COAP_RESPONSE_CODE_UNAUTHORIZED,
                "a device identity is required: use DTLS-PSK (coaps) with the device id");
  } else if (device->id != path[1]) {
    // Another device's id, known or not, gets the same answer.
    answer_text(response, COAP_RESPONSE_CODE_FORBIDDEN, "a device may act only as itself");
  } else if (path[0] == "n") {
    int64_t accept = uint_option(request, COAP_OPTION_ACCEPT);
    if (accept >= 0 && accept != COAP_MEDIATYPE_APPLICATION_JSON) {
      // CBOR (60) is not offered yet: say so rather than answer in a format not asked for.
      answer_text(response, COAP_RESPONSE_CODE_NOT_ACCEPTABLE, "next is application/json (50)");
    } else {
      next(*device, response);
    }
  } else {
    status(session, request, *device, response);
  }
  count(response);
}

void CoapDeviceApi::next(const Device& device, coap_pdu_t* response) {
  NextAnswer a;
  if (s_.oracle != nullptr) a = s_.oracle->next(device);
  switch (a.kind) {
    case NextAnswer::Kind::nothing:
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);  // empty payload
      return;
    case NextAnswer::Kind::come_back_later:
      come_back_later(response, static_cast<uint64_t>(std::max<int64_t>(0, a.retry_after.count())),
                      "come back later");
      return;
    case NextAnswer::Kind::update:
      break;
  }
  std::string body = next_json(a);
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_APPLICATION_JSON);
  add_uint_option(response, COAP_OPTION_MAXAGE, 0);  // decided per request: never cache
  coap_add_data(response, body.size(), reinterpret_cast<const uint8_t*>(body.data()));
}

void CoapDeviceApi::blob(coap_session_t* session, const coap_pdu_t* request, const Device* device,
                         std::string_view hex, coap_pdu_t* response) {
  auto digest = Sha256Digest::from_hex(hex);
  // Access is decided before the cache is consulted, and a refusal looks exactly like
  // an unknown hash, so a device learns nothing about what the cache holds.
  if (!digest.ok() || s_.oracle == nullptr || !s_.oracle->may_read(device, *digest)) {
    answer_text(response, COAP_RESPONSE_CODE_NOT_FOUND, "not found");
    return;
  }
  auto info = transfers_.open(session, *digest);
  if (!info.ok()) {
    if (info.error().code == Errc::busy) {
      come_back_later(response, 1, "too many transfers in progress; retry shortly");
    } else {
      answer_text(response, COAP_RESPONSE_CODE_NOT_FOUND, "not found");
    }
    return;
  }
  const uint64_t length = (*info)->length;

  coap_block_b_t want{};
  const bool asked_block = coap_get_block_b(session, request, COAP_OPTION_BLOCK2, &want) != 0;
  unsigned szx = asked_block ? std::min<unsigned>(want.szx, kMaxSzx) : kMaxSzx;
  const size_t max_pdu = coap_session_max_pdu_size(session);
  while (szx > 0 && (size_t{16} << szx) + kBlockOverhead > max_pdu) --szx;
  const uint64_t block_size = uint64_t{16} << szx;
  // A smaller block size than the client asked for renumbers the blocks (RFC 7959 2.4).
  const uint64_t offset = asked_block ? uint64_t{want.num} << (want.szx + 4) : 0;
  const uint64_t block_num = offset / block_size;
  if (offset > 0 && offset >= length) {
    answer_text(response, COAP_RESPONSE_CODE_BAD_OPTION, "block beyond the end of the blob");
    return;
  }
  const uint64_t count = std::min(block_size, length - offset);
  const bool more = offset + count < length;

  // The block is read (and its chunk XXH3-checked) before the answer is built, so a
  // corrupt chunk never leaves a half-built answer behind.
  std::span<const uint8_t> data;
  if (count > 0) {
    auto block = transfers_.block(session, *digest, offset, count);
    if (!block.ok()) {
      // The artifact is quarantined now: this answer is 5.00, the next one 4.04 until
      // the artifact is fetched again.
      answer_text(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "stored blob failed its checksum");
      return;
    }
    data = *block;
  }
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
  // ETag = the first 8 bytes of the content hash: stable, so a device can resume.
  coap_add_option(response, COAP_OPTION_ETAG, 8, digest->bytes.data());
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM);
  if (asked_block || length > block_size) {
    uint64_t value = (block_num << 4) | (more ? 0x08u : 0u) | szx;
    add_uint_option(response, COAP_OPTION_BLOCK2, value);
  }
  add_uint_option(response, COAP_OPTION_SIZE2, length);
  if (!data.empty()) {
    // The one copy: from the LMDB map into the PDU (libcoap owns PDU memory).
    coap_add_data(response, data.size(), data.data());
  }
  if (!more) transfers_.finish(session, *digest);  // the last block: release the handle
  blocks_sent_->inc();
  blob_bytes_sent_->inc(count);
}

void CoapDeviceApi::status(coap_session_t* session, const coap_pdu_t* request, const Device& device,
                           coap_pdu_t* response) {
  StatusCommitter* committer = s_.status_committer;
  if (committer != nullptr) {
    // libcoap calls the handler again, with a copy of the request, once triggered.
    if (coap_async_t* async = coap_find_async(session, coap_pdu_get_token(request))) {
      answer_waiting(async, response);
      return;
    }
  }
  if (uint_option(request, COAP_OPTION_BLOCK1) >= 0) {
    too_large(response, limits_.max_payload, "status reports must fit in one message");
    return;
  }
  int64_t format = uint_option(request, COAP_OPTION_CONTENT_FORMAT);
  if (format >= 0 && format != COAP_MEDIATYPE_APPLICATION_JSON) {
    answer_text(response, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
                "status reports must be application/json (50)");
    return;
  }
  size_t len = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(request, &len, &data)) len = 0;
  if (len > limits_.max_payload) {
    too_large(response, limits_.max_payload, "status report too large");
    return;
  }
  const std::string_view body(reinterpret_cast<const char*>(data), len);
  if (committer == nullptr) {
    StatusOutcome outcome = record_status_report(*s_.store, *s_.clock, device, body, s_.outbox);
    switch (outcome.kind) {
      case StatusOutcome::Kind::recorded:
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
        return;
      case StatusOutcome::Kind::rejected:
        answer_text(response, COAP_RESPONSE_CODE_BAD_REQUEST, outcome.message);
        return;
      case StatusOutcome::Kind::not_recorded:
        come_back_later(response, 5, outcome.message);
        return;
    }
    return;
  }
  Result<cache::OutboxRecord> record = make_status_record(*s_.clock, device, body);
  if (!record.ok()) {
    answer_text(response, COAP_RESPONSE_CODE_BAD_REQUEST, record.error().message);
    return;
  }
  if (draining_ || committer->closing()) {
    come_back_later(response, 5, "the gateway is stopping; retry");
    return;
  }
  coap_async_t* async = coap_register_async(session, request, /*delay=*/0);  // until triggered
  if (async == nullptr) {
    come_back_later(response, 5, "cannot take the status report now; retry");
    return;
  }
  const uint64_t id = next_report_id_++;
  coap_bin_const_t token = coap_pdu_get_token(request);
  WaitingReport& waiting = (*pending_)[id];
  waiting.session = session;
  waiting.token.assign(token.s, token.s + token.length);
  coap_async_set_app_data(async, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  std::weak_ptr<WaitingReports> reports = pending_;
  bool queued = committer->submit(std::move(record).value(), [reports, id](const Status& appended) {
    std::shared_ptr<WaitingReports> pending = reports.lock();
    if (!pending) return;  // the server has closed
    auto it = pending->find(id);
    if (it == pending->end()) return;  // its session has gone
    it->second.outcome = status_outcome(appended);
    coap_bin_const_t t{it->second.token.size(), it->second.token.data()};
    coap_async_t* a = coap_find_async(it->second.session, t);
    if (a == nullptr) {
      pending->erase(it);
      return;
    }
    coap_async_trigger(a);  // the handler runs again from coap_io_process, on the loop
  });
  if (!queued) {
    pending_->erase(id);
    coap_free_async(session, async);
    come_back_later(response, 5, "too many status reports waiting to be stored; retry");
    return;
  }
  // No response code: libcoap acknowledges a confirmable request with an empty ACK.
}

void CoapDeviceApi::answer_waiting(coap_async_t* async, coap_pdu_t* response) {
  const uint64_t id = reinterpret_cast<uintptr_t>(coap_async_get_app_data(async));
  auto it = pending_->find(id);
  // Not ended yet (a retransmission reaching us): the empty ACK again, nothing else.
  if (it == pending_->end() || !it->second.outcome) return;
  StatusOutcome outcome = std::move(*it->second.outcome);
  pending_->erase(it);
  // libcoap frees the async when this handler returns.
  if (outcome.kind == StatusOutcome::Kind::recorded) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
  } else {
    come_back_later(response, 5, outcome.message);
  }
}

void CoapDeviceApi::session_closed(const coap_session_t* session) {
  transfers_.drop_session(session);
  for (auto it = pending_->begin(); it != pending_->end();) {
    it = it->second.session == session ? pending_->erase(it) : std::next(it);
  }
}

void CoapDeviceApi::end_reports() {
  draining_ = true;
  for (auto& [id, waiting] : *pending_) {
    coap_bin_const_t t{waiting.token.size(), waiting.token.data()};
    if (coap_async_t* a = coap_find_async(waiting.session, t)) coap_free_async(waiting.session, a);
  }
  pending_->clear();
  pending_ = std::make_shared<WaitingReports>();  // late outcomes find the old one gone
}

}  // namespace fleetgate::southbound
