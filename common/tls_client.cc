#include "common/tls_client.h"

#include "common/tls_stream.h"

namespace fleetgate::tls {

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientConfig& config) {
  for (const std::string& pin : config.spki_pins) FG_TRY(check_spki_pin_syntax(pin));
  ClientTlsOptions options;
  options.ca_file = config.ca_file;
  options.cert_file = config.client_cert_file;
  options.key_file = config.client_key_file;
  FG_ASSIGN_OR_RETURN(TlsContext tls, TlsContext::client(options));
  auto ctx = std::make_shared<ClientContext>(std::move(tls));
  ctx->pins_ = config.spki_pins;
  return ctx;
}

}  // namespace fleetgate::tls
