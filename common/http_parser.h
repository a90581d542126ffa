// Strict HTTP/1.1 parsing over llhttp, for requests (the server) and responses (the
// origin client). Never enables any llhttp_set_lenient_* flag; on top of llhttp 8.1.0 it
// also rejects a bare CR or LF inside a header value and caps the head and body size.
//
// The parser stops after each complete message so that pipelined requests are answered
// one at a time: feed() returns how many bytes it consumed; the caller keeps the rest and
// feeds it again after next().
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/http_message.h"
#include "common/result.h"

namespace fleetgate::http {

struct ParserLimits {
  size_t max_head_bytes = 8 * 1024;   // request/status line plus all header lines
  size_t max_target_bytes = 2 * 1024;
  size_t max_headers = 64;
  uint64_t max_body_bytes = 64 * 1024;  // for accumulated bodies; a sink sees any size
};

// Error details a parse failure carries (Error::detail); status_for() maps them.
inline constexpr std::string_view kBadMessage = "bad_message";
inline constexpr std::string_view kTargetTooLong = "target_too_long";
inline constexpr std::string_view kHeadTooLarge = "head_too_large";
inline constexpr std::string_view kBodyTooLarge = "body_too_large";

// The status a server answers a request parse error with (400, 413, 414, 431).
int status_for(const Error& parse_error);

class Parser {
 public:
  enum class Kind { request, response };
  // Receives body bytes instead of Message::body; returns false to stop with an error.
  using BodySink = std::function<bool(std::string_view)>;

  Parser(Kind kind, ParserLimits limits);
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses as much of `data` as belongs to the current message. Returns the bytes
  // consumed: fewer than data.size() when a message completed before the end. After an
  // error the parser stays failed; the connection must be closed.
  Result<size_t> feed(std::string_view data);
  // The peer closed its side: completes a response delimited by EOF, or fails if a
  // message was cut short.
  Status finish();

  bool started() const { return started_; }          // some bytes of a message arrived
  bool head_complete() const { return head_complete_; }
  bool message_complete() const { return complete_; }
  Message& message() { return message_; }
  const Message& message() const { return message_; }

  // Forgets the completed message and gets ready for the next one on the connection.
  void next();
  // Streams the body of the current message to `sink` instead of accumulating it.
  void set_body_sink(BodySink sink) { sink_ = std::move(sink); }
  // For responses to HEAD: the next response has no body whatever its headers say.
  void expect_no_body() { skip_body_ = true; }

 private:
  static int on_message_begin(llhttp_t* p);
  static int on_url(llhttp_t* p, const char* at, size_t len);
  static int on_status(llhttp_t* p, const char* at, size_t len);
  static int on_header_field(llhttp_t* p, const char* at, size_t len);
  static int on_header_value(llhttp_t* p, const char* at, size_t len);
  static int on_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, size_t len);
  static int on_message_complete(llhttp_t* p);
  static const llhttp_settings_t& settings();

  int fail(std::string_view detail, std::string message);
  bool count_head(size_t len);
  Error error_from_llhttp(llhttp_errno_t err) const;

  llhttp_t llhttp_;
  Kind kind_;
  ParserLimits limits_;
  Message message_;
  BodySink sink_;
  size_t head_bytes_ = 0;
  uint64_t body_bytes_ = 0;
  size_t raw_head_bytes_ = 0;  // wire bytes of an unfinished head, whitespace included
  bool started_ = false;
  bool head_complete_ = false;
  bool complete_ = false;
  bool in_value_ = false;
  bool skip_body_ = false;
  bool failed_ = false;
  Error error_;
};

}  // namespace fleetgate::http
