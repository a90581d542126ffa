#include "southbound/http_reply.h"

namespace fleetgate::southbound {

HttpReply HttpReply::text(int status, std::string_view message) {
  HttpReply r;
  r.status = status;
  r.header("Content-Type", "text/plain; charset=utf-8");
  r.body.reserve(message.size() + 1);
  r.body.append(message);
  r.body.push_back('\n');
  return r;
}

HttpReply HttpReply::json(int status, std::string body) {
  HttpReply r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

}  // namespace fleetgate::southbound
