#include "common/http_parser.h"

#include <catch2/catch.hpp>
#include <string>

using fleetgate::http::Parser;
using fleetgate::http::ParserLimits;

namespace {
// Feeds a whole buffer; returns the error detail or "" if one message completed.
std::string parse_one(std::string_view wire, ParserLimits limits = {}) {
  Parser p(Parser::Kind::request, limits);
  auto r = p.feed(wire);
  if (!r.ok()) return r.error().detail;
  return p.message_complete() ? "" : "incomplete";
}
}  // namespace

TEST_CASE("parser reads a GET with headers, lower-casing names", "[http_parser]") {
  Parser p(Parser::Kind::request, {});
  auto r = p.feed("GET /v1/blobs/x?y=1 HTTP/1.1\r\nHost: gw\r\nX-Thing: A b\r\n\r\n");
  REQUIRE(r.ok());
  REQUIRE(p.message_complete());
  CHECK(p.message().method == "GET");
  CHECK(p.message().target == "/v1/blobs/x?y=1");
  CHECK(p.message().path() == "/v1/blobs/x");
  REQUIRE(p.message().header("x-thing") != nullptr);
  CHECK(*p.message().header("X-THING") == "A b");
  CHECK(p.message().keep_alive);
}

TEST_CASE("parser stops after each pipelined request", "[http_parser]") {
  std::string wire =
      "GET /a HTTP/1.1\r\nHost: gw\r\n\r\nPOST /b HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc"
      "GET /c HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
  Parser p(Parser::Kind::request, {});
  std::string_view rest = wire;
  std::vector<std::string> seen;
  while (!rest.empty()) {
    auto n = p.feed(rest);
    REQUIRE(n.ok());
    rest.remove_prefix(*n);
    REQUIRE(p.message_complete());
    seen.push_back(p.message().method + " " + p.message().target + " " + p.message().body);
    if (rest.empty()) CHECK_FALSE(p.message().keep_alive);
    p.next();
  }
  CHECK(seen == std::vector<std::string>{"GET /a ", "POST /b abc", "GET /c "});
}

TEST_CASE("parser handles a request split into single bytes", "[http_parser]") {
  std::string wire = "POST /s HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi";
  Parser p(Parser::Kind::request, {});
  for (char c : wire) {
    auto n = p.feed(std::string_view(&c, 1));
    REQUIRE(n.ok());
    CHECK(*n == 1);
  }
  REQUIRE(p.message_complete());
  CHECK(p.message().body == "hi");
}

TEST_CASE("parser rejects a bare CR in a header value", "[http_parser]") {
  CHECK(parse_one("GET / HTTP/1.1\r\nHost: gw\r\nX-A: a\rb\r\n\r\n") != "");
  CHECK(parse_one("GET / HTTP/1.1\r\nHost: gw\r\nX-A: a\r\n\r\n") == "");
}

TEST_CASE("parser rejects a bare LF inside a header section", "[http_parser]") {
  CHECK(parse_one("GET / HTTP/1.1\r\nHost: gw\nX-A: b\r\n\r\n") != "");
}

TEST_CASE("parser rejects conflicting Content-Length and Transfer-Encoding", "[http_parser]") {
  CHECK(parse_one("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n") == "bad_message");
  CHECK(parse_one("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                  "abcd") == "bad_message");
  CHECK(parse_one("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip\r\n\r\nabc") ==
        "bad_message");
}

TEST_CASE("parser rejects a space before the header colon and a missing Host", "[http_parser]") {
  CHECK(parse_one("GET / HTTP/1.1\r\nHost : gw\r\n\r\n") != "");
  CHECK(parse_one("GET / HTTP/1.1\r\nX: y\r\n\r\n") == "bad_message");
}

TEST_CASE("parser caps target, head and body sizes with the right status", "[http_parser]") {
  ParserLimits lim;
  lim.max_target_bytes = 32;
  lim.max_head_bytes = 256;
  lim.max_body_bytes = 8;
  std::string long_target = "GET /" + std::string(64, 'a') + " HTTP/1.1\r\nHost: gw\r\n\r\n";
  CHECK(parse_one(long_target, lim) == "target_too_long");
  std::string big_head = "GET / HTTP/1.1\r\nHost: gw\r\nX-Big: " + std::string(300, 'b') + "\r\n\r\n";
  CHECK(parse_one(big_head, lim) == "head_too_large");
  std::string padded = "GET / HTTP/1.1\r\nHost: gw\r\nX-A:" + std::string(400, ' ');
  CHECK(parse_one(padded, lim) == "head_too_large");
  CHECK(parse_one("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 9\r\n\r\n", lim) ==
        "body_too_large");
  CHECK(parse_one("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "9\r\n123456789\r\n0\r\n\r\n",
                  lim) == "body_too_large");

  Parser p(Parser::Kind::request, lim);
  auto r = p.feed(long_target);
  REQUIRE_FALSE(r.ok());
  CHECK(fleetgate::http::status_for(r.error()) == 414);
  Parser q(Parser::Kind::request, lim);
  auto r2 = q.feed(big_head);
  REQUIRE_FALSE(r2.ok());
  CHECK(fleetgate::http::status_for(r2.error()) == 431);
}

TEST_CASE("parser reads responses, streams bodies and skips HEAD bodies", "[http_parser]") {
  Parser p(Parser::Kind::response, {});
  std::string streamed;
  p.set_body_sink([&](std::string_view b) {
    streamed.append(b);
    return true;
  });
  auto r = p.feed("HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nhello");
  REQUIRE(r.ok());
  REQUIRE(p.message_complete());
  CHECK(p.message().status == 206);
  CHECK(streamed == "hello");
  CHECK(p.message().body.empty());

  p.next();
  p.expect_no_body();
  auto h = p.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
  REQUIRE(h.ok());
  CHECK(p.message_complete());

  Parser eof(Parser::Kind::response, {});
  REQUIRE(eof.feed("HTTP/1.0 200 OK\r\n\r\nbody until close").ok());
  CHECK_FALSE(eof.message_complete());
  REQUIRE(eof.finish().ok());
  CHECK(eof.message().body == "body until close");

  Parser cut(Parser::Kind::response, {});
  REQUIRE(cut.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").ok());
  CHECK_FALSE(cut.finish().ok());
}
