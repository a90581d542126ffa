#include "southbound/status_committer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/log.h"

namespace fleetgate::southbound {
namespace {
const Logger kLog("southbound");
}  // namespace

// One commit: the records go to the thread pool, the callbacks stay on the loop.
struct StatusCommitter::Group {
  uv_work_t work{};
  StatusCommitter* owner = nullptr;
  std::vector<cache::OutboxRecord> records;
  std::vector<Done> done;
  Status result = ok_status();
};

StatusCommitter::StatusCommitter(uv_loop_t* loop, cache::Store& store, cache::OutboxLimits limits,
                                 StatusCommitterOptions options)
    : loop_(loop), store_(store), limits_(limits), options_(options) {
  options_.max_group_records = std::max<size_t>(1, options_.max_group_records);
  // A group must fit in the outbox beside the gap record its drop may leave.
  if (limits_.max_records > 1) {
    options_.max_group_records = static_cast<size_t>(
        std::min<uint64_t>(options_.max_group_records, limits_.max_records - 1));
  }
}

StatusCommitter::~StatusCommitter() {
  if (pending() > 0) {
    kLog.error("status committer destroyed with reports pending",
               {{"pending", static_cast<uint64_t>(pending())}});
  }
}

bool StatusCommitter::submit(cache::OutboxRecord record, Done done) {
  if (closing_) return false;
  if (queue_.size() >= options_.max_queued) {
    if (stats_.refused_queue_full++ == 0) {
      kLog.warn("status report queue full: reports are refused until the outbox catches up",
                {{"max_queued", static_cast<uint64_t>(options_.max_queued)}});
    }
    return false;
  }
  queue_.push_back({std::move(record), std::move(done)});
  if (committing_ == 0) start_group();
  return true;
}

void StatusCommitter::start_group() {
  if (queue_.empty()) return;
  auto* g = new Group;
  g->owner = this;
  g->work.data = g;
  size_t bytes = 0;
  while (!queue_.empty() && g->records.size() < options_.max_group_records) {
    const size_t size = queue_.front().record.key.size() + queue_.front().record.value.size();
    if (!g->records.empty() && bytes + size > options_.max_group_bytes) break;
    bytes += size;
    g->records.push_back(std::move(queue_.front().record));
    g->done.push_back(std::move(queue_.front().done));
    queue_.pop_front();
  }
  committing_ = g->records.size();
  int rc = uv_queue_work(loop_, &g->work, &StatusCommitter::commit, &StatusCommitter::committed);
  if (rc != 0) {
    // Not expected (the loop is running): the reports fail, as a failed commit would.
    g->result = make_error(Errc::internal, uv_err_name(rc),
                           std::string("cannot queue the status commit: ") + uv_strerror(rc));
    committed(&g->work, 0);
  }
}

void StatusCommitter::commit(uv_work_t* work) {
  auto* g = static_cast<Group*>(work->data);
  g->result = cache::append_to_outbox(g->owner->store_, g->records, g->owner->limits_);
}

void StatusCommitter::committed(uv_work_t* work, int status) {
  std::unique_ptr<Group> g(static_cast<Group*>(work->data));
  StatusCommitter* self = g->owner;
  if (status == UV_ECANCELED) {
    g->result = make_error(Errc::internal, "cancelled", "the status commit was cancelled");
  }
  self->committing_ = 0;
  self->stats_.commits++;
  if (g->result.ok()) {
    self->stats_.reports_committed += g->records.size();
  } else {
    self->stats_.failed_commits++;
    kLog.warn(
        "status reports not recorded: the outbox append failed",
        {{"reports", static_cast<uint64_t>(g->records.size())}, {"error", g->result.error()}});
  }
  // The next group starts before the answers go out, so the disk is not idle meanwhile.
  self->start_group();
  for (Done& done : g->done) done(g->result);
  self->maybe_closed();
}

void StatusCommitter::close(std::function<void()> done) {
  closing_ = true;
  closed_ = std::move(done);
  maybe_closed();
}

void StatusCommitter::maybe_closed() {
  if (!closing_ || pending() > 0 || !closed_) return;
  auto done = std::move(closed_);
  closed_ = nullptr;
  done();
}

}  // namespace fleetgate::southbound
