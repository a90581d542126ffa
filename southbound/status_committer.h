// Device status reports go into the outbox off the loop thread, grouped (DESIGN.md
// sections 1 and 6): an outbox append is a durable LMDB commit (an fdatasync), which must
// not stall every other device on the loop.
//
// Glossary:
//   report - an outbox record made on the loop (its key in arrival order) and the
//            callback that answers the device once the record is durable, or not.
//   group  - the reports of one commit: one LMDB transaction and one sync for all of
//            them. Reports that arrive while a commit runs form the next group, up to
//            max_group_records and max_group_bytes.
//   queue  - reports waiting for the next group. Bounded: a full queue refuses a report
//            at once (the device is told to come back later); the loop never waits.
//
// Threads: submit(), close() and every callback run on the loop thread; only the append
// runs on libuv's thread pool (uv_queue_work), one group at a time.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "cache/status_outbox.h"
#include "cache/store.h"
#include "common/result.h"

namespace fleetgate::southbound {

struct StatusCommitterOptions {
  size_t max_queued = 4096;          // reports waiting beyond the group being committed
  size_t max_group_records = 512;    // reports in one commit
  size_t max_group_bytes = 1 << 20;  // record bytes in one commit (one record always fits)
};

struct StatusCommitterStats {
  uint64_t commits = 0;             // groups committed, successfully or not
  uint64_t failed_commits = 0;      // groups the store failed to commit
  uint64_t reports_committed = 0;   // reports made durable
  uint64_t refused_queue_full = 0;  // reports refused at once: the queue was full
};

class StatusCommitter {
 public:
  // `done(status)`: ok once the report is durable in the outbox, or the store's error.
  using Done = std::function<void(const Status&)>;

  // `store` must outlive the committer; `limits` bound the outbox (status_outbox.h).
  StatusCommitter(uv_loop_t* loop, cache::Store& store, cache::OutboxLimits limits,
                  StatusCommitterOptions options = {});
  // NOTE: destroy it only when nothing is pending (after close()'s `done` has run): a
  // group on the thread pool points back to it.
  ~StatusCommitter();
  StatusCommitter(const StatusCommitter&) = delete;
  StatusCommitter& operator=(const StatusCommitter&) = delete;

  // Queues `record` for the next group; `done` runs on the loop (never from within this
  // call). Returns false when the queue is full or the committer is closing: `done` is
  // then never called and the device must be told to come back later.
  bool submit(cache::OutboxRecord record, Done done);

  // Refuses new reports, commits every queued one (each gets its answer), then runs
  // `done` on the loop. Nothing acknowledged is lost, nothing queued is dropped.
  void close(std::function<void()> done);

  // Reports queued or being committed.
  size_t pending() const { return queue_.size() + committing_; }
  bool closing() const { return closing_; }
  const StatusCommitterStats& stats() const { return stats_; }

 private:
  struct Report {
    cache::OutboxRecord record;
    Done done;
  };
  struct Group;

  void start_group();
  static void commit(uv_work_t* work);
  static void committed(uv_work_t* work, int status);
  void maybe_closed();

  uv_loop_t* loop_;
  cache::Store& store_;
  cache::OutboxLimits limits_;
  StatusCommitterOptions options_;
  std::deque<Report> queue_;
  size_t committing_ = 0;  // reports in the group on the thread pool (0: none)
  bool closing_ = false;
  std::function<void()> closed_;
  StatusCommitterStats stats_;
};

}  // namespace fleetgate::southbound
