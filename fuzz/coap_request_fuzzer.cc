// Fuzzes the CoAP device API with whatever datagram a device on the site's network sends
// (plain UDP: no identity). libcoap parses the message; CoapDeviceApi interprets its path
// and options (Uri-Path, Accept, Block2, ...) against a real store holding one public blob
// of several chunks. Every request gets a response code of class 2, 4 or 5, and a block
// of the blob always carries the blob's bytes at the offset its Block2 option names.
#include <coap3/coap.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cache/store.h"
#include "common/clock.h"
#include "common/digest.h"
#include "southbound/coap_device_api.h"
#include "southbound/deployment_oracle.h"

namespace {

using namespace fleetgate;

// 2.3 chunks, so blocks cross chunk boundaries. The seeds name its SHA-256
// (fuzz/corpus/coap_request/README).
std::vector<uint8_t> blob_bytes() {
  std::vector<uint8_t> b(cache::kChunkSize * 2 + cache::kChunkSize / 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>((i * 131) % 251);
  return b;
}

class PublicBlob final : public southbound::DeploymentOracle {
 public:
  explicit PublicBlob(const Sha256Digest& sha) : sha_(sha) {}
  southbound::NextAnswer next(const southbound::Device&) override { return {}; }
  bool may_read(const southbound::Device*, const Sha256Digest& blob) override {
    return blob == sha_;
  }

 private:
  Sha256Digest sha_;
};

struct World {
  std::string dir;
  ManualClock clock;
  std::vector<uint8_t> blob = blob_bytes();
  Sha256Digest sha = Sha256::of(std::span<const uint8_t>(blob));
  std::unique_ptr<cache::Store> store;
  std::unique_ptr<PublicBlob> oracle;
  std::unique_ptr<southbound::CoapDeviceApi> api;
  coap_context_t* context = nullptr;
  coap_session_t* session = nullptr;

  World() {
    char tmpl[] = "/tmp/fg-coap-fuzz-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    cache::StoreOptions o;
    o.dir = dir;
    o.quota_bytes = 16ull << 20;
    o.overlap_commits = false;
    o.clock = &clock;
    auto s = cache::open_lmdb_store(o);
    if (!s.ok()) std::abort();
    store = std::move(s).value();
    auto ingest = store->begin_ingest(sha, blob.size(), "fw.bin");
    if (!ingest.ok() || !(*ingest)->append(blob).ok() || !(*ingest)->finish().ok()) std::abort();
    oracle = std::make_unique<PublicBlob>(sha);
    southbound::Services services;
    services.store = store.get();
    services.clock = &clock;
    services.oracle = oracle.get();
    api = std::make_unique<southbound::CoapDeviceApi>(services, southbound::CoapApiLimits{},
                                                      nullptr);
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    context = coap_new_context(nullptr);
    // A UDP session towards the discard port on loopback: never used to send, it gives
    // the handler a session (max PDU size, Block2 parsing) as libcoap's server would.
    coap_address_t peer;
    coap_address_init(&peer);
    peer.addr.sin.sin_family = AF_INET;
    peer.addr.sin.sin_port = htons(9);
    peer.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    session = coap_new_client_session(context, nullptr, &peer, COAP_PROTO_UDP);
    if (context == nullptr || session == nullptr) std::abort();
  }
  ~World() {
    api.reset();
    store.reset();
    coap_session_release(session);
    coap_free_context(context);
    coap_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

bool has_option(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t it;
  return coap_check_option(pdu, number, &it) != nullptr;
}

// An unsigned option (at most 8 bytes here), or -1 when absent.
int64_t uint_option(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t it;
  coap_opt_t* opt = coap_check_option(pdu, number, &it);
  if (opt == nullptr) return -1;
  return static_cast<int64_t>(coap_decode_var_bytes8(coap_opt_value(opt), coap_opt_length(opt)));
}

// A 2.05 with an ETag is a block of the blob: check its bytes against the original.
void check_block(const World& w, const coap_pdu_t* response) {
  if (!has_option(response, COAP_OPTION_ETAG)) return;
  size_t len = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(response, &len, &data)) len = 0;
  const int64_t block2 = uint_option(response, COAP_OPTION_BLOCK2);
  uint64_t offset = 0;
  if (block2 >= 0) {
    const uint64_t szx = static_cast<uint64_t>(block2) & 7;
    if (szx == 7) std::abort();
    offset = (static_cast<uint64_t>(block2) >> 4) << (szx + 4);
    if (len > (uint64_t{16} << szx)) std::abort();
  } else if (len != w.blob.size()) {
    std::abort();
  }
  if (uint_option(response, COAP_OPTION_SIZE2) != static_cast<int64_t>(w.blob.size()) ||
      offset + len > w.blob.size() ||
      (len > 0 && std::memcmp(data, w.blob.data() + offset, len) != 0)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  coap_pdu_t* request = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 0, size + 16);
  if (request == nullptr) return 0;
  if (!coap_pdu_parse(COAP_PROTO_UDP, data, size, request) ||
      COAP_RESPONSE_CLASS(coap_pdu_get_code(request)) != 0 ||
      coap_pdu_get_code(request) == COAP_EMPTY_CODE) {
    coap_delete_pdu(request);  // not a request: libcoap would not call the handler
    return 0;
  }
  coap_pdu_t* response =
      coap_pdu_init(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, coap_pdu_get_mid(request),
                    coap_session_max_pdu_size(world.session));
  if (response == nullptr) std::abort();
  world.api->handle(world.session, request, response);
  const unsigned cls = COAP_RESPONSE_CLASS(coap_pdu_get_code(response));
  if (cls != 2 && cls != 4 && cls != 5) std::abort();
  check_block(world, response);
  world.api->end_transfers();
  coap_delete_pdu(response);
  coap_delete_pdu(request);
  return 0;
}
