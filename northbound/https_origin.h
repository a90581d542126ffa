// The Origin (northbound/origin.h) for http:// and https:// URLs: any static web server
// laid out as a TUF repository (nginx, S3, a CDN, a parent gateway).
//
// Design: the TUF updater is synchronous over Origin::fetch; the I/O is asynchronous on a
// libuv loop (northbound/http_client.h). The origin owns a PRIVATE loop and runs it inside
// fetch() until the exchange is over; the calling thread is that loop's thread for the
// duration of the call. The CLI (`fleetgate sync --once`) calls it on the main thread; the
// daemon (gateway/sync_service.h) calls it on a uv_queue_work thread, one cycle at a time,
// and keeps the origin (its kept-alive connection, ETags, conditional-GET cache, backoff)
// across cycles. Why not post exchanges to the daemon loop instead: a cycle also writes
// LMDB and hashes every byte, blocking work that belongs off the loop anyway, and the
// origin's sockets then belong to the worker's own loop, so the daemon loop never blocks
// and shares nothing with the cycle but the Store (one writer) and atomic metrics.
// The one cross-thread entry is cancel() (an atomic flag and a uv_async_t on the private
// loop), for shutdown.
//
// Resume rules (issue 5 point 2), applied to every fetch and to every reconnect inside
// one fetch:
// - a fetch at offset N > 0 sends `Range: bytes=N-`, and `If-Range: <etag>` when a strong
//   ETag of that path is known from an earlier answer;
// - 206 is accepted only if Content-Range starts at N and its complete length equals the
//   expected length: the one an earlier answer of this fetch announced, otherwise (for a
//   fetch that starts at N > 0, i.e. a target) `max_bytes`, which the updater sets to the
//   signed length;
// - a 200 to a range request restarts from 0: the caller's Origin::Restart hook is called
//   (the updater aborts its partial ingest and begins anew) and the body is delivered from
//   byte 0, so nothing is dropped and a changed representation replaces the old bytes.
//   Without a hook the first N bytes are read again and dropped (the caller's final
//   SHA-256 check still catches a changed representation).
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
#include "northbound/wan_state.h"

namespace fleetgate::northbound {

struct OriginOptions {
  HttpClientOptions http;      // timeouts, watchdog; `tls` is built from `tls` below
  tls::ClientConfig tls;       // CA file, pins, client certificate
  uint32_t max_resumes = 256;  // reconnects after progress, per fetch
  uint32_t max_attempts = 3;   // consecutive attempts that deliver nothing, per fetch
  std::chrono::milliseconds retry_base{250};
  std::chrono::milliseconds retry_cap{5'000};
  uint64_t seed = 0;  // backoff jitter; 0: from the random device
  std::vector<std::string> conditional_paths = {"timestamp.json"};
  uint64_t wan_rate = 0;          // bytes/s for this origin's client, 0: unlimited (a shared
                                  // bucket can be passed in http.wan_rate instead)
  WanState* wan_state = nullptr;  // fed with each fetch's outcome; may be null
};

// Counters of one origin (for the WAN state, metrics and tests).
struct OriginCounters {
  uint64_t requests = 0;
  uint64_t body_bytes = 0;    // body bytes received from the origin (dropped ones too)
  uint64_t wire_bytes = 0;    // all bytes received (heads, TLS records)
  uint64_t resumes = 0;       // reconnects after progress
  uint64_t restarts = 0;      // 200 answers to range requests
  uint64_t not_modified = 0;  // 304 answers to conditional GETs
  uint64_t connections = 0;
};

class HttpsOrigin : public Origin {
 public:
  ~HttpsOrigin() override = default;
  virtual const OriginCounters& counters() const = 0;
  // Thread-safe (the daemon loop calls it while a worker fetches): the fetch in progress
  // ends soon with Errc::cancelled, and so does every later one. What the caller already
  // committed stays (an ingest resumes from its committed chunks next time).
  virtual void cancel() = 0;
};

// http(s)://host[:port]/path/ -> an origin. Errc::config for a bad URL, CA file or pin.
Result<std::unique_ptr<HttpsOrigin>> open_https_origin(std::string_view url,
                                                       const OriginOptions& options);

// Any origin URL: file:///dir/ (northbound/origin.h) or http(s)://.
Result<std::unique_ptr<Origin>> open_origin(std::string_view url, const OriginOptions& options);

}  // namespace fleetgate::northbound
