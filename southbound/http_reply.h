// What a request handler answers: a status, headers, and a body that is either a small
// owned string or a range of a cached blob sent zero-copy from the LMDB map.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/store.h"
#include "common/http_message.h"

namespace fleetgate::southbound {

struct HttpReply {
  int status = 200;
  std::vector<http::Header> headers;  // the server adds Date, Content-Length, Connection
  std::string body;
  // A blob body: bytes [blob_offset, blob_offset + blob_length) of the artifact.
  // NOTE: the reader holds a read transaction (Store::open_transfer) until the last
  // byte has been written; the server keeps it alive for exactly that long.
  std::unique_ptr<cache::ArtifactReader> blob;
  uint64_t blob_offset = 0;
  uint64_t blob_length = 0;
  // Content-Length when no body is sent (HEAD): the length a GET would have sent.
  std::optional<uint64_t> head_length;
  bool close_connection = false;

  HttpReply& header(std::string_view name, std::string_view value) {
    headers.push_back(http::Header{std::string(name), std::string(value)});
    return *this;
  }

  static HttpReply text(int status, std::string_view message);  // text/plain + "\n"
  static HttpReply json(int status, std::string body);
};

// Who asked: filled by the server for each request.
struct RequestContext {
  std::string peer_address;   // client IP, no port
  bool tls = false;
  std::string client_cert_cn;  // mTLS: subject CN of a verified client certificate
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on the loop thread. Must not block.
  virtual HttpReply handle(const http::Message& request, const RequestContext& context) = 0;
};

}  // namespace fleetgate::southbound
