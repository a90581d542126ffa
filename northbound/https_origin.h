// The Origin (northbound/origin.h) for http:// and https:// URLs: any static web server
// laid out as a TUF repository (nginx, S3, a CDN, a parent gateway).
//
// Design: the TUF updater is synchronous over Origin::fetch; the I/O is asynchronous on a
// libuv loop (northbound/http_client.h). One client implementation serves both:
// - here (the CLI, `fleetgate sync --once`, and tests) the origin owns a private loop and
//   runs it inside fetch() until the exchange is over; the calling thread is the loop
//   thread for the duration of the call.
// - in the daemon the updater runs on a uv_queue_work thread; the same HttpClient then
//   lives on the daemon loop and fetch() posts each exchange to it (uv_async_t) and
//   blocks on the outcome. (Not built yet: see the issue 5 report.)
//
// Resume rules (issue 5 point 2), applied to every fetch and to every reconnect inside
// one fetch:
// - a fetch at offset N > 0 sends `Range: bytes=N-`, and `If-Range: <etag>` when a strong
//   ETag of that path is known from an earlier answer;
// - 206 is accepted only if Content-Range starts at N and its complete length equals the
//   expected length: the one an earlier answer of this fetch announced, otherwise (for a
//   fetch that starts at N > 0, i.e. a target) `max_bytes`, which the updater sets to the
//   signed length;
// - a 200 to a range request restarts from 0: the first N bytes of the body are read
//   again and dropped, and the rest is delivered from N. The caller's ingest checks the
//   full SHA-256 at the end, so a changed representation can never become visible; it
//   costs one re-download. (A restart hook in Origin::Sink would let the ingest be
//   aborted instead; see the report.)
// - 416 with `bytes */L` and L == N means everything is already held: success, nothing
//   delivered; the caller's finish() then verifies.
// - a connection lost or a watchdog abort in the middle of a body resumes at once from
//   the byte reached (up to max_resumes times per fetch); an attempt that delivers
//   nothing is retried after a capped, jittered backoff, at most max_attempts times.
// Conditional GET: for `conditional_paths` (timestamp.json) the last body and its ETag
// are kept in memory; the next fetch sends If-None-Match and a 304 replays the kept body,
// so an idle poll costs one small request.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/tls_client.h"
#include "northbound/http_client.h"
#include "northbound/origin.h"

namespace fleetgate::northbound {

struct OriginOptions {
  HttpClientOptions http;        // timeouts, watchdog; `tls` is built from `tls` below
  tls::ClientConfig tls;         // CA file, pins, client certificate
  uint32_t max_resumes = 256;    // reconnects after progress, per fetch
  uint32_t max_attempts = 3;     // consecutive attempts that deliver nothing, per fetch
  std::chrono::milliseconds retry_base{250};
  std::chrono::milliseconds retry_cap{5'000};
  uint64_t seed = 0;             // backoff jitter; 0: from the random device
  std::vector<std::string> conditional_paths = {"timestamp.json"};
};

// Counters of one origin (for the WAN state, metrics and tests).
struct OriginCounters {
  uint64_t requests = 0;
  uint64_t body_bytes = 0;      // body bytes received from the origin (dropped ones too)
  uint64_t wire_bytes = 0;      // all bytes received (heads, TLS records)
  uint64_t resumes = 0;         // reconnects after progress
  uint64_t restarts = 0;        // 200 answers to range requests
  uint64_t not_modified = 0;    // 304 answers to conditional GETs
  uint64_t connections = 0;
};

class HttpsOrigin : public Origin {
 public:
  ~HttpsOrigin() override = default;
  virtual const OriginCounters& counters() const = 0;
};

// http(s)://host[:port]/path/ -> an origin. Errc::config for a bad URL, CA file or pin.
Result<std::unique_ptr<HttpsOrigin>> open_https_origin(std::string_view url,
                                                       const OriginOptions& options);

// Any origin URL: file:///dir/ (northbound/origin.h) or http(s)://.
Result<std::unique_ptr<Origin>> open_origin(std::string_view url, const OriginOptions& options);

}  // namespace fleetgate::northbound
