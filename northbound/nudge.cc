#include "northbound/nudge.h"

#include <openssl/is_boringssl.h>
#include <openssl/mem.h>

#include "common/log.h"

namespace fleetgate::northbound {
namespace {
const Logger kLog("northbound");
}

Result<NudgeEndpoint> NudgeEndpoint::create(std::string_view token, bool accept_mtls,
                                            std::function<void()> on_nudge) {
  if (token.empty() && !accept_mtls) {
    return make_error(Errc::config, "nudge",
                      "the nudge endpoint needs a bearer token or client certificates (mTLS)");
  }
  NudgeEndpoint e;
  e.has_token_ = !token.empty();
  if (e.has_token_) e.token_hash_ = Sha256::of(token);
  e.accept_mtls_ = accept_mtls;
  e.on_nudge_ = std::move(on_nudge);
  return e;
}

NudgeAnswer NudgeEndpoint::handle(const http::Message& request, bool client_verified) const {
  if (request.path() != kNudgePath) return {404, "", "not found\n"};
  if (request.method != "POST") return {405, "", "use POST\n"};
  bool allowed = accept_mtls_ && client_verified;
  if (!allowed && has_token_) {
    const std::string* auth = request.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!auth || auth->size() <= kBearer.size() ||
        !http::iequals(auth->substr(0, kBearer.size()), kBearer)) {
      return {401, "Bearer realm=\"fleetgate\"", "authentication required\n"};
    }
    const Sha256Digest presented = Sha256::of(std::string_view(*auth).substr(kBearer.size()));
    allowed = CRYPTO_memcmp(presented.bytes.data(), token_hash_.bytes.data(),
                            presented.bytes.size()) == 0;
    if (!allowed) {
      kLog.warn("nudge refused: wrong bearer token");
      // RFC 6750 section 3.1: an invalid token is a 401 with error="invalid_token".
      return {401, "Bearer realm=\"fleetgate\", error=\"invalid_token\"", "invalid token\n"};
    }
  }
  if (!allowed)
    return {401, has_token_ ? "Bearer realm=\"fleetgate\"" : "", "authentication required\n"};
  ++accepted_;
  kLog.info("sync nudged by the cloud");
  if (on_nudge_) on_nudge_();
  return {202, "", "sync scheduled\n"};
}

}  // namespace fleetgate::northbound
