#include "common/http_parser.h"

#include <algorithm>
#include <cstring>

namespace fleetgate::http {

namespace {
Parser* self(llhttp_t* p) { return static_cast<Parser*>(p->data); }

void append_lower(std::string& out, const char* at, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    char c = at[i];
    out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  }
}
}  // namespace

int status_for(const Error& e) {
  if (e.detail == kTargetTooLong) return 414;
  if (e.detail == kHeadTooLarge) return 431;
  if (e.detail == kBodyTooLarge) return 413;
  return 400;
}

const llhttp_settings_t& Parser::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t t;
    llhttp_settings_init(&t);
    t.on_message_begin = &Parser::on_message_begin;
    t.on_url = &Parser::on_url;
    t.on_status = &Parser::on_status;
    t.on_header_field = &Parser::on_header_field;
    t.on_header_value = &Parser::on_header_value;
    t.on_headers_complete = &Parser::on_headers_complete;
    t.on_body = &Parser::on_body;
    t.on_message_complete = &Parser::on_message_complete;
    return t;
  }();
  return s;
}

Parser::Parser(Kind kind, ParserLimits limits) : kind_(kind), limits_(limits) {
  llhttp_init(&llhttp_, kind == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE, &settings());
  llhttp_.data = this;
}

int Parser::fail(std::string_view detail, std::string message) {
  if (!failed_) {
    failed_ = true;
    error_ = make_error(Errc::invalid_argument, std::string(detail), std::move(message));
  }
  return HPE_USER;
}

bool Parser::count_head(size_t len) {
  head_bytes_ += len;
  return head_bytes_ <= limits_.max_head_bytes;
}

int Parser::on_message_begin(llhttp_t* p) {
  self(p)->started_ = true;
  return 0;
}

int Parser::on_url(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (s->message_.target.size() + len > s->limits_.max_target_bytes) {
    return s->fail(kTargetTooLong, "request target longer than " +
                                       std::to_string(s->limits_.max_target_bytes) + " bytes");
  }
  if (!s->count_head(len)) return s->fail(kHeadTooLarge, "request head too large");
  s->message_.target.append(at, len);
  return 0;
}

int Parser::on_status(llhttp_t* p, const char* /*at*/, size_t len) {
  Parser* s = self(p);
  if (!s->count_head(len)) return s->fail(kHeadTooLarge, "response head too large");
  return 0;  // the reason phrase carries no meaning (RFC 9112 4)
}

int Parser::on_header_field(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (!s->count_head(len + 4)) return s->fail(kHeadTooLarge, "header section too large");
  if (s->in_value_ || s->message_.headers.empty()) {
    if (s->message_.headers.size() >= s->limits_.max_headers) {
      return s->fail(kHeadTooLarge,
                     "more than " + std::to_string(s->limits_.max_headers) + " header fields");
    }
    s->message_.headers.emplace_back();
    s->in_value_ = false;
  }
  append_lower(s->message_.headers.back().name, at, len);
  return 0;
}

int Parser::on_header_value(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  if (!s->count_head(len)) return s->fail(kHeadTooLarge, "header section too large");
  // llhttp 8.1.0 lets a lone CR or LF through in a value; a proxy in front of us might
  // split the message there (request smuggling), so refuse it.
  if (std::memchr(at, '\r', len) != nullptr || std::memchr(at, '\n', len) != nullptr) {
    return s->fail(kBadMessage, "bare CR or LF in a header value");
  }
  s->in_value_ = true;
  s->message_.headers.back().value.append(at, len);
  return 0;
}

int Parser::on_headers_complete(llhttp_t* p) {
  Parser* s = self(p);
  s->head_complete_ = true;
  Message& m = s->message_;
  m.version_major = p->http_major;
  m.version_minor = p->http_minor;
  if (s->kind_ == Kind::request) {
    m.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    if (m.header_count("host") != 1 && m.version_minor >= 1) {
      return s->fail(kBadMessage, "HTTP/1.1 request without exactly one Host header");
    }
  } else {
    m.status = p->status_code;
  }
  if (m.header_count("content-length") > 1) {
    return s->fail(kBadMessage, "more than one Content-Length header");
  }
  if ((p->flags & F_CONTENT_LENGTH) && !s->sink_ && p->content_length > s->limits_.max_body_bytes) {
    return s->fail(kBodyTooLarge,
                   "body larger than " + std::to_string(s->limits_.max_body_bytes) + " bytes");
  }
  if (s->skip_body_) return 1;
  return 0;
}

int Parser::on_body(llhttp_t* p, const char* at, size_t len) {
  Parser* s = self(p);
  s->body_bytes_ += len;
  if (s->sink_) {
    if (!s->sink_(std::string_view(at, len))) return s->fail(kBadMessage, "body refused");
    return 0;
  }
  if (s->body_bytes_ > s->limits_.max_body_bytes) {
    return s->fail(kBodyTooLarge,
                   "body larger than " + std::to_string(s->limits_.max_body_bytes) + " bytes");
  }
  s->message_.body.append(at, len);
  return 0;
}

int Parser::on_message_complete(llhttp_t* p) {
  Parser* s = self(p);
  s->complete_ = true;
  s->message_.keep_alive = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // one message at a time: the caller answers it, then calls next()
}

Error Parser::error_from_llhttp(llhttp_errno_t err) const {
  const char* reason = llhttp_get_error_reason(&llhttp_);
  return make_error(Errc::invalid_argument, std::string(kBadMessage),
                    std::string("malformed HTTP message: ") + (reason ? reason : "") + " (" +
                        llhttp_errno_name(err) + ")");
}

Result<size_t> Parser::feed(std::string_view data) {
  if (failed_) return error_;
  if (complete_) return size_t{0};
  if (data.empty()) return size_t{0};
  llhttp_errno_t err = llhttp_execute(&llhttp_, data.data(), data.size());
  if (failed_) return error_;
  size_t consumed = data.size();
  if (err == HPE_PAUSED) {
    consumed = static_cast<size_t>(llhttp_get_error_pos(&llhttp_) - data.data());
  } else if (err != HPE_OK) {
    failed_ = true;
    error_ = error_from_llhttp(err);
    return error_;
  }
  if (!head_complete_ && started_) {
    raw_head_bytes_ += consumed;
    if (raw_head_bytes_ > limits_.max_head_bytes) {
      fail(kHeadTooLarge, "header section too large");
      return error_;
    }
  }
  return consumed;
}

Status Parser::finish() {
  if (failed_) return error_;
  if (complete_) return ok_status();
  llhttp_errno_t err = llhttp_finish(&llhttp_);
  if (failed_) return error_;
  if (err != HPE_OK && err != HPE_PAUSED) {
    failed_ = true;
    error_ = error_from_llhttp(err);
    return error_;
  }
  if (started_ && !complete_) {
    return make_error(Errc::network, "truncated", "connection closed in the middle of a message");
  }
  return ok_status();
}

void Parser::next() {
  message_ = Message{};
  sink_ = nullptr;
  head_bytes_ = 0;
  raw_head_bytes_ = 0;
  body_bytes_ = 0;
  started_ = head_complete_ = complete_ = in_value_ = skip_body_ = false;
  if (llhttp_get_errno(&llhttp_) == HPE_PAUSED) llhttp_resume(&llhttp_);
}

}  // namespace fleetgate::http
