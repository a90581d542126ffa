// The request handler of the daemon's HTTP(S) listeners: POST /v1/sync/nudge goes to the
// sync loop's NudgeEndpoint (northbound), everything else to the device API (southbound).
// The two modules never include each other; this is where they meet.
#pragma once

#include <string>

#include "northbound/nudge.h"
#include "southbound/device_api.h"
#include "southbound/http_reply.h"

namespace fleetgate::gateway {

class RequestRouter final : public southbound::RequestHandler {
 public:
  // `nudge` may be null (no push configured: the path is the device API's 404).
  // `nudge_client_cn`: the subject CN of a verified client certificate that may nudge;
  // empty: none.
  RequestRouter(southbound::Services services, const northbound::NudgeEndpoint* nudge,
                std::string nudge_client_cn)
      : api_(services), nudge_(nudge), nudge_client_cn_(std::move(nudge_client_cn)) {}

  southbound::HttpReply handle(const http::Message& request,
                               const southbound::RequestContext& context) override;
  southbound::DeviceApi& device_api() { return api_; }

 private:
  southbound::DeviceApi api_;
  const northbound::NudgeEndpoint* nudge_;
  std::string nudge_client_cn_;
};

}  // namespace fleetgate::gateway
