// The cloud's push channel: `POST /v1/sync/nudge` asks for a sync cycle now. It carries
// no trust (the cycle verifies everything through TUF) and no data; it only saves the
// wait until the next poll. Still, only the cloud may call it: the caller presents a
// client certificate the TLS listener verified (mTLS), or `Authorization: Bearer
// <token>`. Only a SHA-256 of the token is kept, compared in constant time.
//
// This is the request logic only; the listener that calls handle() is wired by gateway/
// (northbound never depends on southbound's server).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/http_message.h"
#include "common/result.h"

namespace fleetgate::northbound {

inline constexpr std::string_view kNudgePath = "/v1/sync/nudge";

struct NudgeAnswer {
  int status = 500;
  std::string www_authenticate;  // for 401
  std::string body;
};

class NudgeEndpoint {
 public:
  // `token` empty: bearer tokens are refused and only mTLS callers are accepted (when
  // `accept_mtls`). Errc::config if neither way is enabled.
  static Result<NudgeEndpoint> create(std::string_view token, bool accept_mtls,
                                      std::function<void()> on_nudge);

  // `client_verified`: the TLS layer verified a client certificate for this connection.
  NudgeAnswer handle(const http::Message& request, bool client_verified) const;
  uint64_t accepted() const { return accepted_; }

 private:
  NudgeEndpoint() = default;
  bool has_token_ = false;
  Sha256Digest token_hash_;
  bool accept_mtls_ = false;
  std::function<void()> on_nudge_;
  mutable uint64_t accepted_ = 0;
};

}  // namespace fleetgate::northbound
