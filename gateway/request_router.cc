#include "gateway/request_router.h"

namespace fleetgate::gateway {

southbound::HttpReply RequestRouter::handle(const http::Message& request,
                                            const southbound::RequestContext& context) {
  if (!nudge_ || request.path() != northbound::kNudgePath) return api_.handle(request, context);
  // client_cert_cn is set only for a certificate the TLS layer verified.
  const bool verified =
      context.tls && !nudge_client_cn_.empty() && context.client_cert_cn == nudge_client_cn_;
  northbound::NudgeAnswer answer = nudge_->handle(request, verified);
  southbound::HttpReply reply = southbound::HttpReply::text(answer.status, answer.body);
  // text() appends a newline; the endpoint's bodies already end with one.
  if (!answer.body.empty() && answer.body.back() == '\n') reply.body = answer.body;
  if (!answer.www_authenticate.empty()) reply.header("WWW-Authenticate", answer.www_authenticate);
  if (answer.status == 405) reply.header("Allow", "POST");
  return reply;
}

}  // namespace fleetgate::gateway
