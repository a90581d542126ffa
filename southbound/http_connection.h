// One accepted HTTP connection. Owns its uv_tcp_t and uv_timer_t; deletes itself after
// both close callbacks have run (libuv handle memory must outlive uv_close).
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http_parser.h"
#include "common/tls_stream.h"
#include "southbound/http_reply.h"

namespace fleetgate::southbound {

class HttpServer;

// What a DeferredReply points at: the connection waiting for the answer, or null once it
// was answered or the connection closed.
struct DeferredReply::Target {
  HttpConnection* connection = nullptr;
  ~Target();  // the last copy went unsent: answer 500
};

class HttpConnection {
 public:
  // Takes over an accepted socket from the server; the server counts it.
  static HttpConnection* accept(HttpServer& server, uv_stream_t* listener);
  // Closes now, cancelling any write in flight. Idempotent.
  void close();
  // Over a connection cap: answers 503 + Retry-After without reading the request, then
  // closes (plain HTTP; a TLS connection is just closed).
  void refuse();
  const std::string& peer() const { return peer_; }
  // A request is arriving or a response is being sent (for draining at shutdown).
  bool busy() const {
    return !closing_ &&
           (phase_ == Phase::head || phase_ == Phase::body || phase_ == Phase::sending);
  }
  // Starts serving requests (after the server's caps have admitted the connection).
  void start_reading();

 private:
  enum class Phase {
    idle,      // waiting for the first byte of a request
    head,      // request head arriving
    body,      // request body arriving
    sending,   // reading stopped, a response is being written
    lingering  // final response sent, FIN sent, draining input briefly before closing
  };

  friend class DeferredReply;
  friend struct DeferredReply::Target;

  explicit HttpConnection(HttpServer& server);
  ~HttpConnection();

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_closed(uv_handle_t* h);
  static void on_shutdown(uv_shutdown_t* req, int status);

  void consume(std::string_view data);
  void set_phase(Phase p);
  // dispatch, respond, finish_response: true when the answer is completely written and
  // the connection is ready for the next request at once; false when it is still being
  // sent (reading stopped), lingering, or closing.
  bool dispatch();
  bool respond(HttpReply reply, bool head_request);
  void reject(int status, std::string_view message);
  void wait_for_send();  // stop reading and arm the send timeout
  void send_next_window();
  bool finish_response();
  // Writes bufs_ now if the socket takes it all; otherwise queues the rest.
  bool write_now();
  bool encrypt(const uv_buf_t* bufs, unsigned n);  // into tls_out_
  void write(const uv_buf_t* bufs, unsigned n);
  void linger();
  void flush_tls();
  // Deferred replies (DeferredReply): hands one out for the request being dispatched.
  DeferredReply defer_reply();
  // The handler's late answer (or a 500 when it dropped it); ignored once closing.
  void answer_later(HttpReply reply);
  // After an answer is completely written: pipelined requests, then the socket again.
  void read_on();

  HttpServer& server_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  int open_handles_ = 0;
  bool closing_ = false;
  bool reading_ = false;
  Phase phase_ = Phase::idle;
  std::string peer_;
  http::Parser parser_;
  std::string pending_;             // pipelined bytes received while a response was in flight
  std::unique_ptr<TlsStream> tls_;  // null for plain HTTP
  std::string cert_cn_;             // the verified client certificate's CN, looked up once
  bool cert_cn_known_ = false;
  std::string tls_out_;  // ciphertext of the response write in flight (taken, not copied)

  // The response in flight.
  uv_write_t write_req_;
  uv_shutdown_t shutdown_req_;
  std::string out_head_;
  std::string out_body_;
  std::unique_ptr<cache::ArtifactReader> blob_;
  uint64_t blob_pos_ = 0;
  uint64_t blob_end_ = 0;
  std::vector<uv_buf_t> bufs_;
  bool keep_alive_ = true;

  // A deferred answer: the handler holds the target; the connection only watches it, so
  // the last copy going unsent is noticed (DeferredReply::Target's destructor).
  std::weak_ptr<DeferredReply::Target> awaiting_;
  bool dispatching_ = false;              // inside RequestHandler::handle
  bool deferred_ = false;                 // the request in dispatch asked for a DeferredReply
  bool deferred_head_ = false;            // the request waiting for its answer is a HEAD
  std::optional<HttpReply> early_reply_;  // sent through a DeferredReply within handle()
};

}  // namespace fleetgate::southbound
