#include "southbound/coap_server.h"

#include <coap3/coap.h>

#include <cstring>
#include <map>
#include <mutex>

#include "common/socket_address.h"

namespace fleetgate::southbound {
namespace {

void start_libcoap() {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    // libcoap logs to stderr in its own format; keep it to errors.
    coap_set_log_level(LOG_ERR);
    coap_dtls_set_log_level(LOG_ERR);
  });
}

void on_request(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                const coap_string_t* /*query*/, coap_pdu_t* response) {
  static_cast<CoapDeviceApi*>(coap_resource_get_userdata(resource))
      ->handle(session, request, response);
}

const coap_bin_const_t* on_psk_identity(coap_bin_const_t* identity, coap_session_t* /*session*/,
                                        void* arg) {
  return static_cast<CoapDeviceApi*>(arg)->psk_for(
      std::string_view(reinterpret_cast<const char*>(identity->s), identity->length));
}

// libcoap 4.3.1 event handlers get no user data: find the API by context. Servers may
// run on several loop threads at once (tests), hence the lock.
std::mutex g_apis_mu;
std::map<const coap_context_t*, CoapDeviceApi*> g_apis;

int on_event(coap_session_t* session, coap_event_t event) {
  if (event != COAP_EVENT_SERVER_SESSION_DEL) return 0;
  CoapDeviceApi* api = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_apis_mu);
    auto it = g_apis.find(coap_session_get_context(session));
    if (it != g_apis.end()) api = it->second;
  }
  if (api != nullptr) api->session_closed(session);  // its blob transfers end with it
  return 0;
}

// The port libcoap bound, from its endpoint description ("127.0.0.1:5683 UDP").
uint16_t bound_port(const coap_endpoint_t* endpoint) {
  std::string_view s = coap_endpoint_str(endpoint);
  s = s.substr(0, s.find(' '));
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return 0;
  unsigned port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') return 0;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port > 65535 ? 0 : static_cast<uint16_t>(port);
}

}  // namespace

Result<std::unique_ptr<CoapServer>> CoapServer::start(uv_loop_t* loop,
                                                      const CoapServerOptions& options,
                                                      Services services) {
  start_libcoap();
  std::unique_ptr<CoapServer> self(new CoapServer);
  self->api_ = std::make_unique<CoapDeviceApi>(services, options.limits, options.metrics);
  self->context_ = coap_new_context(nullptr);
  if (self->context_ == nullptr) {
    return make_error(Errc::internal, "coap_context", "libcoap could not create a context");
  }
  coap_context_t* ctx = self->context_;
  coap_context_set_max_idle_sessions(ctx, options.max_sessions);
  coap_context_set_max_handshake_sessions(ctx, options.max_handshakes);
  coap_context_set_session_timeout(ctx, static_cast<unsigned>(options.idle_timeout.count()));
  if (!options.dtls_listen.empty()) {
    if (!coap_dtls_is_supported()) {
      return make_error(Errc::unsupported, "dtls",
                        "[coap] dtls_listen is set but this libcoap has no DTLS");
    }
    coap_dtls_spsk_t psk{};
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = &on_psk_identity;
    psk.id_call_back_arg = self->api_.get();
    if (!coap_context_set_psk2(ctx, &psk)) {
      return make_error(Errc::internal, "dtls", "libcoap refused the DTLS-PSK setup");
    }
  }
  // Every path is routed by the device API itself: ids and hashes are not known ahead.
  coap_resource_t* resource = coap_resource_unknown_init2(&on_request, 0);
  coap_register_request_handler(resource, COAP_REQUEST_GET, &on_request);
  coap_register_request_handler(resource, COAP_REQUEST_POST, &on_request);
  coap_register_request_handler(resource, COAP_REQUEST_DELETE, &on_request);
  coap_resource_set_userdata(resource, self->api_.get());
  coap_add_resource(ctx, resource);

  {
    std::lock_guard<std::mutex> lock(g_apis_mu);
    g_apis[ctx] = self->api_.get();
  }
  coap_register_event_handler(ctx, &on_event);

  for (const auto& listen : options.listen) FG_TRY(self->bind(listen, /*dtls=*/false));
  for (const auto& listen : options.dtls_listen) FG_TRY(self->bind(listen, /*dtls=*/true));
  CoapDeviceApi* api = self->api_.get();
  FG_ASSIGN_OR_RETURN(self->loop_,
                      CoapLoop::attach(
                          loop, ctx, [api] { api->expire_transfers(); }, options.sweep_every));
  return self;
}

Status CoapServer::bind(const std::string& listen, bool dtls) {
  auto addr = SocketAddress::parse(listen);
  if (!addr.ok()) return addr.take_error();
  coap_address_t a;
  coap_address_init(&a);
  std::memcpy(&a.addr, addr->raw(), addr->raw_size());
  a.size = addr->raw_size();
  coap_endpoint_t* ep = coap_new_endpoint(context_, &a, dtls ? COAP_PROTO_DTLS : COAP_PROTO_UDP);
  if (ep == nullptr) {
    return make_error(Errc::io, "bind",
                      std::string("cannot listen for ") + (dtls ? "CoAP over DTLS" : "CoAP") +
                          " on " + listen + " (address in use or not local?)");
  }
  endpoints_.push_back(ep);
  std::string host = addr->to_string();
  host = host.substr(0, host.rfind(':')) + ":" + std::to_string(bound_port(ep));
  (dtls ? dtls_addresses_ : addresses_).push_back(std::move(host));
  return ok_status();
}

void CoapServer::stop_accepting() {
  if (api_) {
    api_->stop_taking_reports();
    if (api_->reports_waiting() > 0) return;  // close() frees the endpoints
  }
  free_endpoints();
}

void CoapServer::free_endpoints() {
  for (coap_endpoint_t* ep : endpoints_) coap_free_endpoint(ep);
  endpoints_.clear();
}

void CoapServer::close(std::function<void()> done) {
  if (context_ == nullptr) {
    if (done) done();
    return;
  }
  api_->end_reports();  // before the endpoints: a waiting async holds its session
  free_endpoints();
  api_->end_transfers();  // the read transactions go now, not with the context
  coap_context_t* ctx = context_;
  context_ = nullptr;
  {
    // From here on libcoap's events (sessions freed with the context) reach nobody.
    std::lock_guard<std::mutex> lock(g_apis_mu);
    g_apis.erase(ctx);
  }
  auto free_context = [ctx, done = std::move(done)] {
    coap_free_context(ctx);
    if (done) done();
  };
  if (loop_) {
    loop_->close(std::move(free_context));
  } else {
    free_context();
  }
}

CoapServer::~CoapServer() { close(nullptr); }

}  // namespace fleetgate::southbound
