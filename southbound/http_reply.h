// What a request handler answers: a status, headers, and a body that is either a small
// owned string or a range of a cached blob sent zero-copy from the LMDB map.
#pragma once

#include <cstdint>
#include <functional>
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

class HttpConnection;

// The answer to one request, given later: a handler that must wait for something (a
// commit on a worker thread) takes one from RequestContext::defer_reply and sends through
// it when it is ready. Copies share the one answer. Loop thread only.
//
// The connection waits with reading stopped (pipelined requests behind it wait, in
// order) for at most HttpServerOptions::reply_timeout. If it closes meanwhile (the
// client went away, a timeout, the server stopping), send() does nothing.
class DeferredReply {
 public:
  DeferredReply() = default;
  // Sends `reply` if the connection still waits for it. Only the first send counts.
  void send(HttpReply reply);
  // The connection still waits for this answer.
  bool waiting() const;

  // NOTE: when the last copy goes unsent, the request is answered 500 (a handler bug
  // must not leave the connection hanging until its timeout).
  struct Target;

 private:
  friend class HttpConnection;
  explicit DeferredReply(std::shared_ptr<Target> target) : target_(std::move(target)) {}
  std::shared_ptr<Target> target_;
};

// Who asked: filled by the server for each request.
struct RequestContext {
  std::string peer_address;  // client IP, no port
  bool tls = false;
  std::string client_cert_cn;  // mTLS: subject CN of a verified client certificate
  // Set by the server: takes the answer out of handle()'s return value. Once called,
  // what handle() returns is ignored and the answer goes through the DeferredReply.
  // Empty where a server cannot wait (a handler then answers at once).
  std::function<DeferredReply()> defer_reply;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on the loop thread. Must not block: slow work answers through
  // context.defer_reply.
  virtual HttpReply handle(const http::Message& request, const RequestContext& context) = 0;
};

}  // namespace fleetgate::southbound
