// The status uploader (DESIGN.md section 6): device status reports leave the outbox
// (cache/status_outbox.h) in batches, each one idempotent PUT of one JSON document:
//
//   PUT {status_url}{site}/{epoch}/{seq}.json       Content-Type: application/json
//   {"site": "plant-7", "epoch": "5f0c...", "seq": "...", "records": [<record>, ...]}
//
// Records go as they are in the outbox (each already JSON), gap records included, so a
// loss is counted upstream, never silent. A batch leaves the outbox only after a 2xx;
// a connect error, a timeout or any other status keeps it, and it goes again after a
// capped exponential backoff with full jitter (common/backoff.h), forever.
//
// Glossary:
//   epoch - a random id (64 bits, hex) made once per state directory and kept in the
//           store (Table::settings). Two gateways, or a gateway whose state directory was
//           wiped, never write into each other's names even with the same site and
//           equal outbox keys.
//   seq   - the first outbox key of the batch (unique, sorts by arrival), then the first
//           8 hex digits of the SHA-256 of the first record. A retry, also after a
//           restart, starts from the same oldest record, so it has the same name and
//           overwrites what a lost 2xx may have left: PUT is idempotent. The hash part
//           changes when a drop rewrote that record into a gap record while the batch was
//           in flight; the gap record stays in the outbox (remove_from_outbox) and goes
//           next under its own name, so it never overwrites the batch stored before it.
//           Characters outside [A-Za-z0-9._-] are percent-encoded.
//
// A 413 (body too large) halves the records per batch from then on, down to one, so a
// server with a small body limit still gets everything.
//
// Every size is bounded: records and bytes per batch, the response head
// (HttpClientOptions::max_head_bytes), and the response body (read up to kMaxResponseBody,
// only the start kept for the log).
//
// Threads: everything runs on the loop thread except the removal of a stored batch, a
// durable LMDB commit (an fdatasync), which runs on libuv's thread pool so that it never
// stalls the devices served by the same loop. One batch is in flight at a time, from
// its read until its removal is done, so no two uploads race for the same records.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/status_outbox.h"
#include "cache/store.h"
#include "common/backoff.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/tls_client.h"
#include "common/uv.h"
#include "northbound/http_client.h"

namespace fleetgate::northbound {

struct StatusUploaderOptions {
  std::string site;  // the gateway's name: the first path segment and "site"; required
  std::chrono::milliseconds interval{10'000};  // between looks while the outbox is empty
  size_t batch_records = 500;                  // records per PUT
  size_t batch_bytes = 4u << 20;               // record bytes per PUT (one more if alone)
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_cap{300'000};
  uint64_t seed = 0;                   // backoff jitter; 0: from the random device
  HttpClientOptions http;              // timeouts; `tls` is built from `tls` below for https
  tls::ClientConfig tls;               // CA file, client certificate, pins (status_tls_for)
  MetricsRegistry* metrics = nullptr;  // optional
};

class StatusUploader {
 public:
  // The response body read at most; a longer one ends the exchange (a 2xx head already
  // counts as stored).
  static constexpr size_t kMaxResponseBody = 64 * 1024;

  // Errc::config for a bad status_url, an empty site or a bad TLS setting; the store's
  // error if the epoch cannot be read or made. Does not start.
  static Result<std::unique_ptr<StatusUploader>> create(uv::Loop& loop, cache::Store& store,
                                                        std::string_view status_url,
                                                        StatusUploaderOptions options);
  ~StatusUploader();
  StatusUploader(const StatusUploader&) = delete;
  StatusUploader& operator=(const StatusUploader&) = delete;

  // Looks at the outbox now, then every `interval` (at once after a batch while more wait).
  void start();
  // No new batch; a PUT in flight goes on to its end (shutdown grace).
  void stop_accepting();
  // No new batch; a PUT in flight is cancelled (its batch stays in the outbox) and the
  // connection is closed. A removal under way finishes. start() may follow.
  void stop();
  // `done` runs on the loop once no removal is under way: at once, or when it finishes.
  // The store must live until then.
  void when_idle(std::function<void()> done);
  bool uploading() const { return !in_flight_.empty() || removal_ != nullptr; }

  const std::string& epoch() const { return epoch_; }
  // The batch name for records starting with `first` (seq, without ".json").
  static std::string seq_of(const cache::OutboxRecord& first);
  // The JSON document of one batch.
  static std::string batch_document(std::string_view site, std::string_view epoch,
                                    std::string_view seq,
                                    const std::vector<cache::OutboxRecord>& records);

  uint64_t batches_stored() const { return batches_stored_; }
  uint64_t records_stored() const { return records_stored_; }
  uint64_t failures() const { return failures_; }

 private:
  StatusUploader(uv::Loop& loop, cache::Store& store, OriginUrl url, StatusUploaderOptions options,
                 std::string epoch);
  void arm(std::chrono::milliseconds delay);
  void send_next();
  void exchange_done(Status status);
  struct Removal;
  void removal_done(Removal& removal);
  void retry(const std::string& why, int status);

  uv::Loop& loop_;
  cache::Store& store_;
  OriginUrl url_;
  StatusUploaderOptions options_;
  std::string epoch_;
  size_t batch_limit_;  // records per batch: batch_records, halved by each 413
  Backoff backoff_;
  std::unique_ptr<HttpClient> client_;  // from start() to stop()
  uv::Timer timer_;
  bool stopped_ = true;

  // The batch in flight and what its response said so far.
  std::vector<cache::OutboxRecord> in_flight_;
  std::string target_;
  int response_status_ = 0;
  size_t response_bytes_ = 0;
  std::string response_start_;  // the first bytes of the body, for the log

  // A stored batch being removed from the outbox on the thread pool.
  struct Removal {
    std::vector<cache::OutboxRecord> sent;
    Result<size_t> removed = size_t{0};
    // Set by the pool thread when the removal is over, so that the destructor can wait
    // for it (the removal uses the store) without the loop.
    std::mutex mu;
    std::condition_variable cv;
    bool over = false;
  };
  std::shared_ptr<Removal> removal_;
  std::vector<std::function<void()>> idle_waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed

  uint64_t batches_stored_ = 0;
  uint64_t records_stored_ = 0;
  uint64_t failures_ = 0;
};

// The epoch of this state directory (see above): read from Table::settings, or made and
// stored there the first time.
Result<std::string> status_epoch(cache::Store& store);

}  // namespace fleetgate::northbound
