// The LMDB implementation of cache/store.h. The only file that includes <lmdb.h>.
//
// Layout (named databases in one environment):
//   artifacts  sha256 (32 bytes)                   -> ArtifactRecord (artifact_record.h)
//   chunks     sha256 (32) + chunk index (8, BE)   -> XXH3-64 (8, LE) + chunk bytes
//   kv.<table> caller key                          -> caller value
// A chunk key sorts by artifact then index, so one cursor range holds an artifact.
// Every state change is one write transaction, so a crash leaves either the old or
// the new state: a record turns `ready` in the same commit that stores its tail.
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "cache/artifact_record.h"
#include "cache/chunk_checksum.h"
#include "cache/store.h"
#include "cache/store_testing.h"
#include "common/log.h"

namespace fleetgate::cache {
namespace {

constexpr size_t kChecksumSize = 8;
constexpr size_t kChunkKeySize = 32 + 8;
// mark_served() rewrites last_served at most this often per artifact, so serving does
// not cost a synced commit per request; eviction order needs no finer resolution.
constexpr int64_t kServedResolutionSeconds = 60;

constexpr std::pair<Table, const char*> kTableNames[] = {
    {Table::trusted_metadata, "kv.trusted_metadata"},
    {Table::plans, "kv.plans"},
    {Table::devices, "kv.devices"},
    {Table::device_state, "kv.device_state"},
    {Table::outbox, "kv.outbox"},
    {Table::counters, "kv.counters"},
    {Table::settings, "kv.settings"},
};
constexpr size_t kTableCount = std::size(kTableNames);

// Converts an LMDB return code, once, into our Error (Knot's lmdb_error() idea).
Error lmdb_error(int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
      return make_error(Errc::space, "MDB_MAP_FULL",
                        std::string(what) + ": the cache's LMDB map is full");
    case MDB_READERS_FULL:
      return make_error(Errc::busy, "MDB_READERS_FULL",
                        std::string(what) + ": too many concurrent cache readers");
    case MDB_NOTFOUND:
      return make_error(Errc::not_found, "MDB_NOTFOUND", msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return make_error(Errc::corrupt, "lmdb_corrupt", msg);
    case MDB_TXN_FULL:
    case MDB_PAGE_FULL:
      return make_error(Errc::space, "MDB_TXN_FULL", msg);
    default:
      return make_error(Errc::io, "lmdb_" + std::to_string(rc), msg);
  }
}

const Logger kLog("cache");

MDB_val as_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view as_view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

std::string chunk_key(const Sha256Digest& sha, uint64_t index) {
  std::string k(reinterpret_cast<const char*>(sha.bytes.data()), sha.bytes.size());
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
  return k;
}
std::string_view digest_key(const Sha256Digest& sha) {
  return std::string_view(reinterpret_cast<const char*>(sha.bytes.data()), sha.bytes.size());
}

uint64_t load_le64(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}
void store_le64(void* p, uint64_t v) {
  auto* b = static_cast<uint8_t*>(p);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}

uint64_t chunk_count(uint64_t length) { return (length + kChunkSize - 1) / kChunkSize; }

// Small write transactions (records, pins, a device's status report) go before the
// next bulk chunk batch: a batch waits while any small writer waits for or holds LMDB's
// writer lock, so a small writer waits for at most the one batch commit under way (with
// overlapped commits the batches would otherwise hold that lock almost back to back).
class WriterGate {
 public:
  void enter_small() {
    std::lock_guard lock(mu_);
    ++small_;
  }
  void leave_small() {
    std::lock_guard lock(mu_);
    if (--small_ == 0) idle_.notify_all();
  }
  void wait_for_small() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return small_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int small_ = 0;
};

// LMDB writes a transaction's pages with lseek + writev (mdb_page_flush): a whole chunk
// batch in one call. The kernel sizes page-cache folios by the length of each write, and
// on a VM whose balloon hands free high-order blocks back to the host, filling large
// folios first-touches host pages: one 16 MiB write filled the page cache at 420-520
// MiB/s, 256 KiB writes at 1.5-1.9 GiB/s (bench/README.md). fleetgate links LMDB
// statically and wraps its writev (--wrap=writev, cmake/Dependencies.cmake), so a large
// one goes out as pwrites of at most kLmdbWritePiece at the offsets writev would have
// written: the same bytes, the same error reporting, the file offset left where writev
// leaves it. The wrap reaches only static code, and LMDB is the only static caller.
constexpr size_t kLmdbWritePiece = 256 * 1024;

extern "C" ssize_t __real_writev(int fd, const struct iovec* iov, int count);

extern "C" ssize_t __wrap_writev(int fd, const struct iovec* iov, int count) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  const off_t start = total > kLmdbWritePiece ? ::lseek(fd, 0, SEEK_CUR) : -1;
  if (start < 0) return __real_writev(fd, iov, count);
  off_t pos = start;
  for (int i = 0; i < count; ++i) {
    const auto* p = static_cast<const uint8_t*>(iov[i].iov_base);
    size_t left = iov[i].iov_len;
    while (left > 0) {
      const ssize_t n = ::pwrite(fd, p, std::min(left, kLmdbWritePiece), pos);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (pos == start) return -1;  // nothing written: errno says why, as writev's would
        ::lseek(fd, pos, SEEK_SET);
        return pos - start;  // a short write, which LMDB reports as an I/O error
      }
      p += n;
      left -= static_cast<size_t>(n);
      pos += n;
    }
  }
  ::lseek(fd, pos, SEEK_SET);
  return pos - start;
}

// A chunk batch's commit writes the whole batch into the page cache and then does one
// fdatasync, all under LMDB's writer lock, so the disk would idle while the batch is
// copied and the copy (of the next batch) waits while the disk writes. While a batch
// commits, the kicker thread syncs the data file every kKickInterval, so the device
// writes (and flushes) what is copied while the rest is still being copied, and LMDB's
// own sync at the end waits only for the tail. It adds syncs, never reorders a write:
// LMDB writes the meta page only after its own sync. Measured on the dev VM:
// bench/README.md. The thread starts at the first batch and sleeps between batches.
class WritebackKicker {
 public:
  static constexpr std::chrono::microseconds kKickInterval{1000};

  explicit WritebackKicker(int fd) : fd_(fd) {}
  WritebackKicker(const WritebackKicker&) = delete;
  WritebackKicker& operator=(const WritebackKicker&) = delete;
  ~WritebackKicker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Starts syncing; one batch at a time (LMDB has one writer).
  void begin() {
    {
      std::lock_guard lock(mu_);
      active_ = true;
      error_ = 0;
      if (!thread_.joinable()) {
        try {
          thread_ = std::thread([this] { run(); });
        } catch (const std::system_error&) {
          // No thread to spare: the batch syncs without the head start.
        }
      }
    }
    cv_.notify_all();
  }

  // Stops, waits for a sync under way, and returns the first error one of them saw. The
  // sync that sees a write error takes it from the file: LMDB's own may then not see it.
  Status end() {
    std::unique_lock lock(mu_);
    active_ = false;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !syncing_; });
    if (error_ == 0) return ok_status();
    return make_error(Errc::io, "sync",
                      std::string("syncing the cache's data file failed: ") + std::strerror(error_));
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (!active_) {
        cv_.wait(lock, [this] { return active_ || stop_; });
        continue;
      }
      syncing_ = true;
      lock.unlock();
      const int rc = ::fdatasync(fd_);
      const int err = errno;
      lock.lock();
      syncing_ = false;
      if (rc != 0 && error_ == 0) error_ = err;
      cv_.notify_all();
      cv_.wait_for(lock, kKickInterval, [this] { return !active_ || stop_; });
    }
  }

  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool active_ = false;
  bool syncing_ = false;
  bool stop_ = false;
  int error_ = 0;
  std::thread thread_;
};

// A transaction; commit is explicit, the destructor aborts.
class Txn {
 public:
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  Txn(Txn&& o) noexcept
      : txn_(std::exchange(o.txn_, nullptr)), gate_(std::exchange(o.gate_, nullptr)) {}
  ~Txn() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    leave_gate();
  }
  // `gate`: a small write transaction, counted there from now until it ends.
  static Result<Txn> begin(MDB_env* env, bool write, WriterGate* gate = nullptr) {
    Txn t;
    if (gate != nullptr) {
      gate->enter_small();
      t.gate_ = gate;
    }
    int rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &t.txn_);
    if (rc != 0) {
      t.txn_ = nullptr;
      return lmdb_error(rc, write ? "begin cache write" : "begin cache read");
    }
    return t;
  }
  // `durable`: synced (data and meta page) when this returns. Otherwise only the data
  // pages are synced: a power loss may undo this commit, never corrupt the store.
  Status commit(std::string_view what, bool durable = true) {
    MDB_env* env = mdb_txn_env(txn_);
    int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
    if (rc == 0 && durable) {
      rc = mdb_env_sync(env, 1);
      if (rc != 0) {
        leave_gate();
        return lmdb_error(rc, std::string(what) + " (sync)");
      }
    }
    leave_gate();
    if (rc != 0) return lmdb_error(rc, what);
    return ok_status();
  }
  MDB_txn* get() const { return txn_; }

 private:
  void leave_gate() {
    if (gate_ != nullptr) std::exchange(gate_, nullptr)->leave_small();
  }

  MDB_txn* txn_ = nullptr;
  WriterGate* gate_ = nullptr;
};

class LmdbStore;

// Bytes waiting for one batch commit, with the XXH3 of each whole chunk among them,
// computed as each chunk fills while its bytes are still in the CPU cache, so the commit
// (which holds LMDB's writer lock) does not read the batch once more to checksum it.
struct ChunkBatch {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> sums;  // of bytes' whole chunks, in order

  size_t size() const { return bytes.size(); }
  void append(std::span<const uint8_t> data) {
    bytes.insert(bytes.end(), data.begin(), data.end());
    while ((sums.size() + 1) * kChunkSize <= bytes.size()) {
      sums.push_back(chunk_checksum(bytes.data() + sums.size() * kChunkSize, kChunkSize));
    }
  }
  void clear() {
    bytes.clear();
    sums.clear();
  }
  // Moves the bytes past the last whole chunk to the (empty) `rest`.
  void move_partial_chunk(ChunkBatch& rest) {
    const size_t whole = sums.size() * kChunkSize;
    rest.append(std::span<const uint8_t>(bytes).subspan(whole));
    bytes.resize(whole);
  }
};

// Appends fill a batch buffer; a full batch is committed (one LMDB write transaction and
// its data sync) on a thread of its own while the next batch fills, so the syncs overlap
// the network and the hashing instead of stalling them. At most one batch is in flight.
// A batch that has been filling for StoreOptions::commit_interval goes with the whole
// chunks it has (a slow download), its partial last chunk staying for the next batch.
class LmdbIngest final : public Ingest {
 public:
  LmdbIngest(LmdbStore& store, const Sha256Digest& sha, uint64_t length, uint64_t committed,
             Sha256 hasher, size_t commit_bytes, bool overlap_commits,
             std::chrono::steady_clock::time_point started)
      : store_(store),
        sha_(sha),
        length_(length),
        committed_(committed),
        durable_(committed),
        hasher_(hasher),
        overlap_commits_(overlap_commits),
        batch_started_(started) {
    const size_t most = static_cast<size_t>(std::min<uint64_t>(commit_bytes, length - committed));
    buffer_.bytes.reserve(most);
    if (overlap_commits) in_flight_batch_.bytes.reserve(most);
  }
  ~LmdbIngest() override;

  const Sha256Digest& sha256() const override { return sha_; }
  uint64_t length() const override { return length_; }
  uint64_t offset() const override {
    return committed_ + in_flight_batch_.size() + buffer_.size();
  }
  uint64_t durable() const override { return durable_.load(std::memory_order_acquire); }
  Status append(std::span<const uint8_t> data) override;
  Result<ArtifactInfo> finish() override;
  void abort() override;

 private:
  Status fail(Error e) {
    failed_ = e;
    return e;
  }
  // Hands buffer_'s whole chunks to the committer (or commits them here without
  // overlap); a partial last chunk stays in buffer_.
  Status send_batch();
  // Waits for the batch in flight, if any, and takes its outcome.
  Status settle();
  Status commit_batch(const ChunkBatch& batch, uint64_t first_index);

  LmdbStore& store_;
  Sha256Digest sha_;
  uint64_t length_;
  uint64_t committed_;                // bytes in batches whose commit has returned
  std::atomic<uint64_t> durable_;     // same, readable while a batch is in flight
  Sha256 hasher_;
  bool overlap_commits_;
  std::chrono::steady_clock::time_point batch_started_;  // when buffer_ began filling
  ChunkBatch buffer_;           // the batch being filled
  ChunkBatch in_flight_batch_;  // the batch in_flight_ is committing
  std::future<Status> in_flight_;
  std::optional<Error> failed_;
  bool done_ = false;
};

class LmdbReader final : public ArtifactReader {
 public:
  LmdbReader(LmdbStore& store, Txn txn, ArtifactInfo info, bool transfer)
      : store_(store), txn_(std::move(txn)), info_(std::move(info)), transfer_(transfer) {}
  ~LmdbReader() override;
  const ArtifactInfo& info() const override { return info_; }
  Status read(uint64_t offset, uint64_t len,
              const std::function<bool(std::span<const uint8_t>)>& sink) override;

 private:
  LmdbStore& store_;
  Txn txn_;
  ArtifactInfo info_;
  bool transfer_;
  std::optional<uint64_t> verified_chunk_;  // the last chunk whose XXH3 passed
  bool corrupt_ = false;
};

class LmdbStore final : public Store {
 public:
  ~LmdbStore() override {
    kicker_.reset();  // it holds LMDB's file descriptor
    if (env_ != nullptr) mdb_env_close(env_);
  }

  Status open(const StoreOptions& options);

  Result<std::unique_ptr<Ingest>> begin_ingest(const Sha256Digest& sha256, uint64_t length,
                                               std::string_view name) override;
  Result<std::unique_ptr<ArtifactReader>> open_read(const Sha256Digest& sha256) override {
    return open_reader(sha256, false);
  }
  Result<std::unique_ptr<ArtifactReader>> open_transfer(const Sha256Digest& sha256) override;
  Status mark_served(const Sha256Digest& sha256) override;
  Result<ArtifactInfo> stat(const Sha256Digest& sha256) override;
  Result<std::vector<ArtifactInfo>> list() override;
  Status add_name(const Sha256Digest& sha256, std::string_view name) override;
  Status pin(const Sha256Digest& sha256, std::string_view owner) override;
  Status unpin(const Sha256Digest& sha256, std::string_view owner) override;
  Status unpin_all(std::string_view owner) override;
  Status evict(const Sha256Digest& sha256) override;
  Result<uint64_t> gc(uint64_t bytes_needed) override;
  Result<std::vector<Sha256Digest>> verify(std::optional<Sha256Digest> one,
                                           const Progress& progress) override;
  Result<StoreStats> stats() override;
  Result<std::optional<std::string>> kv_get(Table table, std::string_view key) override;
  Status kv_write(std::span<const KvWrite> writes) override;
  Result<uint64_t> kv_count(Table table) override;
  Result<std::vector<std::pair<std::string, std::string>>> kv_scan(Table table,
                                                                   std::string_view prefix,
                                                                   size_t limit) override;

  // For LmdbIngest / LmdbReader / the test seam.
  // Stores `bytes` as consecutive chunks from `index` on (the last may be short).
  // `sums`: the XXH3 of the first chunks, if the caller has them; the rest are computed.
  Status commit_chunks(const Sha256Digest& sha, uint64_t index, std::span<const uint8_t> bytes,
                       std::span<const uint64_t> sums, std::optional<int64_t> make_visible_at);
  Status discard(const Sha256Digest& sha);
  void quarantine(const Sha256Digest& sha, std::string_view why);
  void release_ingest(const Sha256Digest& sha) {
    std::lock_guard lock(mu_);
    active_ingests_.erase(sha);
  }
  void release_transfer() { transfers_.fetch_sub(1); }
  size_t commit_bytes() const { return commit_bytes_; }
  std::chrono::milliseconds commit_interval() const { return options_.commit_interval; }
  std::chrono::steady_clock::time_point monotonic() const { return options_.clock->monotonic(); }
  int64_t now() const { return unix_seconds(options_.clock->now()); }
  MDB_dbi chunks_dbi() const { return chunks_; }
  Status overwrite_chunk_byte(const Sha256Digest& sha, uint64_t index, size_t offset);
  Result<uint64_t> count_chunks(const Sha256Digest& sha);

 private:
  Result<std::unique_ptr<ArtifactReader>> open_reader(const Sha256Digest& sha256, bool transfer);
  Result<std::optional<ArtifactRecord>> get_record(MDB_txn* txn, const Sha256Digest& sha);
  Status put_record(MDB_txn* txn, const Sha256Digest& sha, const ArtifactRecord& r);
  Status delete_chunks(MDB_txn* txn, const Sha256Digest& sha, uint64_t from_index);
  // Runs `fn` on the record of `sha` in one write transaction and commits.
  Status update_record(const Sha256Digest& sha, std::string_view what,
                       const std::function<Status(ArtifactRecord&)>& fn);
  Result<std::vector<std::pair<Sha256Digest, ArtifactRecord>>> all_records();
  // Re-reads committed chunks to rebuild the SHA-256 state of a resumed ingest; drops
  // chunks from the first bad one on. Returns the usable committed length.
  Result<uint64_t> rehash_committed(const Sha256Digest& sha, uint64_t committed, Sha256& hasher);
  Result<uint64_t> evict_until(uint64_t used, uint64_t bytes_needed,
                               std::optional<Sha256Digest> keep);
  bool is_active(const Sha256Digest& sha) {
    std::lock_guard lock(mu_);
    return active_ingests_.count(sha) != 0;
  }
  MDB_dbi table_dbi(Table t) const { return kv_[static_cast<size_t>(t)]; }
  // Every write transaction but a chunk batch's: it goes before the next batch.
  Result<Txn> begin_write() { return Txn::begin(env_, true, &gate_); }

  StoreOptions options_;
  MDB_env* env_ = nullptr;
  MDB_dbi artifacts_ = 0;
  MDB_dbi chunks_ = 0;
  MDB_dbi kv_[kTableCount] = {};
  std::mutex mu_;
  WriterGate gate_;
  std::set<Sha256Digest> active_ingests_;
  std::atomic<uint64_t> transfers_{0};
  std::atomic<uint64_t> checksum_failures_{0};
  std::atomic<uint64_t> evicted_{0};
  uint64_t stale_readers_cleared_ = 0;
  size_t commit_bytes_ = kChunkSize;
  std::unique_ptr<WritebackKicker> kicker_;  // with overlap_commits only (no threads without)
};

// ---- LmdbStore ----

Status LmdbStore::open(const StoreOptions& options) {
  options_ = options;
  commit_bytes_ = static_cast<size_t>(
      std::max<uint64_t>(kChunkSize, options.commit_bytes / kChunkSize * kChunkSize));
  if (options_.clock == nullptr) {
    return make_error(Errc::invalid_argument, "no_clock", "cache store opened without a clock");
  }
  if (options_.dir.empty()) {
    return make_error(Errc::invalid_argument, "no_dir", "cache store opened without a directory");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    return make_error(Errc::io, "mkdir",
                      "cannot create cache directory '" + options_.dir + "': " + ec.message());
  }
  uint64_t map_size = options_.map_size;
  if (map_size == 0) {
    // Chunks of 256 KiB + checksum take 65 pages of 4 KiB; the rest covers pages freed
    // but still held by old readers and the small records.
    map_size = options_.quota_bytes + options_.quota_bytes / 4 + (64ull << 20);
  }
  map_size = (map_size + 0xfffff) & ~uint64_t{0xfffff};

  int rc = mdb_env_create(&env_);
  if (rc != 0) return lmdb_error(rc, "create cache environment");
  mdb_env_set_maxdbs(env_, 2 + kTableCount + 4);
  mdb_env_set_mapsize(env_, map_size);
  mdb_env_set_maxreaders(env_, options_.max_transfers + 126);
  // MDB_NOTLS: read transactions belong to reader objects, not threads, so one thread
  // may hold many (transfers) and hand them between threads.
  // MDB_NOMETASYNC: a commit syncs its data pages, then writes the meta page without a
  // second sync. Integrity holds (the meta page only ever points at synced pages); a
  // power loss may undo the last such commit. Txn::commit() syncs the meta page too
  // unless told the commit is a chunk batch, whose loss only costs a re-download.
  rc = mdb_env_open(env_, options_.dir.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0600);
  if (rc != 0) return lmdb_error(rc, "open cache environment in '" + options_.dir + "'");

  // Slots left by killed processes would pin old pages forever.
  int dead = 0;
  mdb_reader_check(env_, &dead);
  if (dead > 0) kLog.warn("cleared stale reader slots", {{"count", dead}, {"dir", options_.dir}});
  stale_readers_cleared_ = static_cast<uint64_t>(dead);
  if (int fd = -1; options_.overlap_commits && mdb_env_get_fd(env_, &fd) == 0) {
    kicker_ = std::make_unique<WritebackKicker>(fd);
  }

  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  rc = mdb_dbi_open(txn.get(), "artifacts", MDB_CREATE, &artifacts_);
  if (rc == 0) rc = mdb_dbi_open(txn.get(), "chunks", MDB_CREATE, &chunks_);
  for (size_t i = 0; rc == 0 && i < kTableCount; ++i) {
    rc = mdb_dbi_open(txn.get(), kTableNames[i].second, MDB_CREATE,
                      &kv_[static_cast<size_t>(kTableNames[i].first)]);
  }
  if (rc != 0) return lmdb_error(rc, "open cache databases");
  return txn.commit("create cache databases");
}

Result<std::optional<ArtifactRecord>> LmdbStore::get_record(MDB_txn* txn, const Sha256Digest& sha) {
  MDB_val key = as_val(digest_key(sha));
  MDB_val val;
  int rc = mdb_get(txn, artifacts_, &key, &val);
  if (rc == MDB_NOTFOUND) return std::optional<ArtifactRecord>();
  if (rc != 0) return lmdb_error(rc, "read artifact record");
  auto rec = ArtifactRecord::decode(as_view(val));
  if (!rec) {
    return make_error(Errc::corrupt, "bad_record",
                      "artifact record of " + sha.hex() + " cannot be decoded");
  }
  return std::optional<ArtifactRecord>(std::move(*rec));
}

Status LmdbStore::put_record(MDB_txn* txn, const Sha256Digest& sha, const ArtifactRecord& r) {
  std::string bytes = r.encode();
  MDB_val key = as_val(digest_key(sha));
  MDB_val val = as_val(bytes);
  int rc = mdb_put(txn, artifacts_, &key, &val, 0);
  if (rc != 0) return lmdb_error(rc, "write artifact record");
  return ok_status();
}

Status LmdbStore::delete_chunks(MDB_txn* txn, const Sha256Digest& sha, uint64_t from_index) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, chunks_, &cur);
  if (rc != 0) return lmdb_error(rc, "open chunk cursor");
  std::string start = chunk_key(sha, from_index);
  MDB_val key = as_val(start);
  MDB_val val;
  rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  while (rc == 0 && key.mv_size == kChunkKeySize &&
         std::memcmp(key.mv_data, sha.bytes.data(), 32) == 0) {
    rc = mdb_cursor_del(cur, 0);
    if (rc != 0) break;
    rc = mdb_cursor_get(cur, &key, &val, MDB_GET_CURRENT);
    if (rc == 0) continue;
    rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "delete chunks");
  return ok_status();
}

Status LmdbStore::update_record(const Sha256Digest& sha, std::string_view what,
                                const std::function<Status(ArtifactRecord&)>& fn) {
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
  if (!rec) {
    return make_error(Errc::not_found, "unknown_artifact",
                      std::string(what) + ": no artifact " + sha.hex() + " in the cache");
  }
  FG_TRY(fn(*rec));
  FG_TRY(put_record(txn.get(), sha, *rec));
  return txn.commit(what);
}

Result<std::vector<std::pair<Sha256Digest, ArtifactRecord>>> LmdbStore::all_records() {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn.get(), artifacts_, &cur);
  if (rc != 0) return lmdb_error(rc, "open artifact cursor");
  std::vector<std::pair<Sha256Digest, ArtifactRecord>> out;
  MDB_val key, val;
  for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    auto rec = ArtifactRecord::decode(as_view(val));
    if (key.mv_size != 32 || !rec) {
      mdb_cursor_close(cur);
      return make_error(Errc::corrupt, "bad_record", "an artifact record cannot be decoded");
    }
    Sha256Digest d;
    std::memcpy(d.bytes.data(), key.mv_data, 32);
    out.emplace_back(d, std::move(*rec));
  }
  mdb_cursor_close(cur);
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, "list artifacts");
  return out;
}

Result<uint64_t> LmdbStore::rehash_committed(const Sha256Digest& sha, uint64_t committed,
                                             Sha256& hasher) {
  uint64_t good = 0;
  {
    FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
    for (uint64_t i = 0; i * kChunkSize < committed; ++i) {
      std::string k = chunk_key(sha, i);
      MDB_val key = as_val(k);
      MDB_val val;
      if (mdb_get(txn.get(), chunks_, &key, &val) != 0 || val.mv_size != kChecksumSize + kChunkSize)
        break;
      const auto* data = static_cast<const uint8_t*>(val.mv_data) + kChecksumSize;
      if (chunk_checksum(data, kChunkSize) != load_le64(val.mv_data)) {
        checksum_failures_.fetch_add(1);
        kLog.warn("resumed ingest has a damaged chunk; fetching it again",
                  {{"sha256", sha.hex()}, {"chunk", i}});
        break;
      }
      hasher.update(std::span<const uint8_t>(data, kChunkSize));
      good += kChunkSize;
    }
  }
  if (good != committed) {
    FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
    FG_TRY(delete_chunks(txn.get(), sha, good / kChunkSize));
    FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
    if (rec) {
      rec->committed = good;
      FG_TRY(put_record(txn.get(), sha, *rec));
    }
    FG_TRY(txn.commit("truncate resumed ingest"));
  }
  return good;
}

Result<std::unique_ptr<Ingest>> LmdbStore::begin_ingest(const Sha256Digest& sha, uint64_t length,
                                                        std::string_view name) {
  {
    std::lock_guard lock(mu_);
    if (active_ingests_.count(sha) != 0) {
      return make_error(Errc::busy, "ingest_in_progress",
                        "artifact " + sha.hex() + " is already being ingested");
    }
  }
  // Room first: everything else recorded (ready, quarantined, other ingests) counts
  // with its full declared length.
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  uint64_t used = 0;
  std::optional<ArtifactRecord> existing;
  for (auto& [d, r] : records) {
    if (d == sha) {
      existing = r;
    } else {
      used += r.length;
    }
  }
  if (existing && existing->state == ArtifactState::ready) {
    return make_error(Errc::already_exists, "already_ready",
                      "artifact " + sha.hex() + " is already in the cache");
  }
  if (length > options_.quota_bytes) {
    return make_error(Errc::space, "cache_full",
                      "cache full: artifact " + sha.hex() + " (" + std::to_string(length) +
                          " bytes) is larger than the cache quota (" +
                          std::to_string(options_.quota_bytes) + " bytes)");
  }
  if (used + length > options_.quota_bytes) {
    FG_ASSIGN_OR_RETURN(uint64_t freed, evict_until(used, length, sha));
    used -= freed;
    if (used + length > options_.quota_bytes) {
      return make_error(Errc::space, "cache_full",
                        "cache full: pinned artifacts and ingests in progress hold " +
                            std::to_string(used) + " bytes, leaving no room for " +
                            std::to_string(length) + " bytes of " + sha.hex() + " (quota " +
                            std::to_string(options_.quota_bytes) + " bytes)");
    }
  }

  ArtifactRecord rec;
  bool resume =
      existing && existing->state == ArtifactState::ingesting && existing->length == length;
  {
    FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
    if (resume) {
      rec = *existing;
    } else {
      if (existing) {
        // A quarantined artifact being fetched again, or an ingest declared with a
        // different length: start from nothing, keep names and pins.
        FG_TRY(delete_chunks(txn.get(), sha, 0));
        rec.names = existing->names;
        rec.pins = existing->pins;
      }
      rec.length = length;
      rec.created = now();
    }
    if (!name.empty() && std::find(rec.names.begin(), rec.names.end(), name) == rec.names.end())
      rec.names.emplace_back(name);
    FG_TRY(put_record(txn.get(), sha, rec));
    FG_TRY(txn.commit("begin ingest"));
  }
  Sha256 hasher;
  uint64_t committed = 0;
  if (resume && rec.committed > 0) {
    FG_ASSIGN_OR_RETURN(committed, rehash_committed(sha, rec.committed, hasher));
  }
  {
    std::lock_guard lock(mu_);
    if (!active_ingests_.insert(sha).second) {
      return make_error(Errc::busy, "ingest_in_progress",
                        "artifact " + sha.hex() + " is already being ingested");
    }
  }
  return std::unique_ptr<Ingest>(
      new LmdbIngest(*this, sha, length, committed, hasher, commit_bytes_,
                     options_.overlap_commits, monotonic()));
}

Status LmdbStore::commit_chunks(const Sha256Digest& sha, uint64_t index,
                                std::span<const uint8_t> bytes, std::span<const uint64_t> sums,
                                std::optional<int64_t> make_visible_at) {
  gate_.wait_for_small();
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, true));
  FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
  if (!rec || rec->state != ArtifactState::ingesting) {
    return make_error(Errc::cancelled, "ingest_removed",
                      "ingest of " + sha.hex() + " was removed from the cache meanwhile");
  }
  for (size_t i = 0; !bytes.empty(); ++index, ++i) {
    std::span<const uint8_t> chunk = bytes.first(std::min<size_t>(bytes.size(), kChunkSize));
    bytes = bytes.subspan(chunk.size());
    std::string k = chunk_key(sha, index);
    MDB_val key = as_val(k);
    MDB_val val{kChecksumSize + chunk.size(), nullptr};
    // MDB_RESERVE: copy the bytes straight into the map page, once.
    int rc = mdb_put(txn.get(), chunks_, &key, &val, MDB_RESERVE);
    if (rc != 0) return lmdb_error(rc, "store chunk of " + sha.hex());
    store_le64(val.mv_data, i < sums.size() ? sums[i] : chunk_checksum(chunk.data(), chunk.size()));
    std::memcpy(static_cast<uint8_t*>(val.mv_data) + kChecksumSize, chunk.data(), chunk.size());
    rec->committed = index * kChunkSize + chunk.size();
  }
  if (make_visible_at) {
    rec->state = ArtifactState::ready;
    rec->committed = rec->length;
    rec->visible_since = *make_visible_at;
  }
  FG_TRY(put_record(txn.get(), sha, *rec));
  if (kicker_) kicker_->begin();
  // A batch on its way needs only the data sync: a later commit's sync (the next batch,
  // or the durable one that makes the artifact visible) flushes its meta page too.
  Status committed = make_visible_at ? txn.commit("finish ingest")
                                     : txn.commit("commit chunks", /*durable=*/false);
  Status kicked = kicker_ ? kicker_->end() : ok_status();
  FG_TRY(std::move(committed));
  return kicked;
}

Status LmdbStore::discard(const Sha256Digest& sha) {
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  FG_TRY(delete_chunks(txn.get(), sha, 0));
  MDB_val key = as_val(digest_key(sha));
  int rc = mdb_del(txn.get(), artifacts_, &key, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "delete artifact record");
  return txn.commit("discard artifact");
}

void LmdbStore::quarantine(const Sha256Digest& sha, std::string_view why) {
  checksum_failures_.fetch_add(1);
  kLog.warn("artifact quarantined", {{"sha256", sha.hex()}, {"reason", why}});
  Status s = update_record(sha, "quarantine artifact", [](ArtifactRecord& r) {
    if (r.state == ArtifactState::ready) r.state = ArtifactState::quarantined;
    return ok_status();
  });
  if (!s.ok())
    kLog.error("could not record quarantine", {{"sha256", sha.hex()}, {"error", s.error()}});
}

Result<std::unique_ptr<ArtifactReader>> LmdbStore::open_reader(const Sha256Digest& sha,
                                                               bool transfer) {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
  if (!rec || rec->state != ArtifactState::ready) {
    std::string state = rec ? std::string(state_name(rec->state)) : "absent";
    return make_error(Errc::not_found, state,
                      "artifact " + sha.hex() + " is not servable (" + state + ")");
  }
  return std::unique_ptr<ArtifactReader>(
      new LmdbReader(*this, std::move(txn), rec->to_info(sha), transfer));
}

Result<std::unique_ptr<ArtifactReader>> LmdbStore::open_transfer(const Sha256Digest& sha) {
  if (transfers_.fetch_add(1) >= options_.max_transfers) {
    transfers_.fetch_sub(1);
    return make_error(
        Errc::busy, "max_transfers",
        "all " + std::to_string(options_.max_transfers) + " cache transfer slots are in use");
  }
  auto r = open_reader(sha, true);
  if (!r.ok()) transfers_.fetch_sub(1);
  return r;
}

Status LmdbStore::mark_served(const Sha256Digest& sha) {
  int64_t t = now();
  {
    FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
    FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
    if (!rec) {
      return make_error(Errc::not_found, "unknown_artifact", "no artifact " + sha.hex());
    }
    if (t - rec->last_served < kServedResolutionSeconds && t >= rec->last_served) {
      return ok_status();
    }
  }
  return update_record(sha, "mark served", [t](ArtifactRecord& r) {
    r.last_served = t;
    return ok_status();
  });
}

Result<ArtifactInfo> LmdbStore::stat(const Sha256Digest& sha) {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
  if (!rec) {
    return make_error(Errc::not_found, "unknown_artifact",
                      "no artifact " + sha.hex() + " in the cache");
  }
  return rec->to_info(sha);
}

Result<std::vector<ArtifactInfo>> LmdbStore::list() {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  std::vector<ArtifactInfo> out;
  out.reserve(records.size());
  for (auto& [d, r] : records) out.push_back(r.to_info(d));
  return out;
}

Status LmdbStore::add_name(const Sha256Digest& sha, std::string_view name) {
  return update_record(sha, "add name", [name](ArtifactRecord& r) {
    if (std::find(r.names.begin(), r.names.end(), name) == r.names.end())
      r.names.emplace_back(name);
    return ok_status();
  });
}

Status LmdbStore::pin(const Sha256Digest& sha, std::string_view owner) {
  if (owner.empty()) return make_error(Errc::invalid_argument, "empty_owner", "pin owner is empty");
  return update_record(sha, "pin", [owner](ArtifactRecord& r) {
    if (std::find(r.pins.begin(), r.pins.end(), owner) == r.pins.end()) r.pins.emplace_back(owner);
    return ok_status();
  });
}

Status LmdbStore::unpin(const Sha256Digest& sha, std::string_view owner) {
  return update_record(sha, "unpin", [owner](ArtifactRecord& r) {
    r.pins.erase(std::remove(r.pins.begin(), r.pins.end(), owner), r.pins.end());
    return ok_status();
  });
}

Status LmdbStore::unpin_all(std::string_view owner) {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  bool changed = false;
  for (auto& [d, r] : records) {
    auto it = std::remove(r.pins.begin(), r.pins.end(), owner);
    if (it == r.pins.end()) continue;
    // Re-read inside the write transaction so a concurrent update is not lost.
    FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> cur, get_record(txn.get(), d));
    if (!cur) continue;
    cur->pins.erase(std::remove(cur->pins.begin(), cur->pins.end(), owner), cur->pins.end());
    FG_TRY(put_record(txn.get(), d, *cur));
    changed = true;
  }
  if (!changed) return ok_status();
  return txn.commit("unpin all");
}

Status LmdbStore::evict(const Sha256Digest& sha) {
  if (is_active(sha)) {
    return make_error(Errc::busy, "ingest_in_progress",
                      "artifact " + sha.hex() + " is being ingested");
  }
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  FG_ASSIGN_OR_RETURN(std::optional<ArtifactRecord> rec, get_record(txn.get(), sha));
  if (!rec) {
    return make_error(Errc::not_found, "unknown_artifact",
                      "no artifact " + sha.hex() + " in the cache");
  }
  if (!rec->pins.empty()) {
    return make_error(Errc::busy, "pinned",
                      "artifact " + sha.hex() + " is pinned by " + rec->pins.front());
  }
  FG_TRY(delete_chunks(txn.get(), sha, 0));
  MDB_val key = as_val(digest_key(sha));
  int rc = mdb_del(txn.get(), artifacts_, &key, nullptr);
  if (rc != 0) return lmdb_error(rc, "delete artifact record");
  FG_TRY(txn.commit("evict artifact"));
  evicted_.fetch_add(1);
  return ok_status();
}

Result<uint64_t> LmdbStore::evict_until(uint64_t used, uint64_t bytes_needed,
                                        std::optional<Sha256Digest> keep) {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  // Quarantined artifacts first (never servable), then least recently served.
  std::vector<std::pair<Sha256Digest, ArtifactRecord>*> victims;
  for (auto& entry : records) {
    if (!entry.second.pins.empty() || entry.first == keep || is_active(entry.first)) continue;
    victims.push_back(&entry);
  }
  std::sort(victims.begin(), victims.end(), [](const auto* a, const auto* b) {
    bool qa = a->second.state == ArtifactState::quarantined;
    bool qb = b->second.state == ArtifactState::quarantined;
    if (qa != qb) return qa;
    return a->second.eviction_key() < b->second.eviction_key();
  });
  uint64_t freed = 0;
  for (auto* v : victims) {
    bool quarantined = v->second.state == ArtifactState::quarantined;
    if (!quarantined && used - freed + bytes_needed <= options_.quota_bytes) break;
    Status s = evict(v->first);
    if (!s.ok()) {
      if (s.error().code == Errc::busy || s.error().code == Errc::not_found) continue;
      return s.take_error();
    }
    freed += v->second.length;
  }
  return freed;
}

Result<uint64_t> LmdbStore::gc(uint64_t bytes_needed) {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  uint64_t used = 0;
  for (auto& [d, r] : records) used += r.length;
  return evict_until(used, bytes_needed, std::nullopt);
}

Result<std::vector<Sha256Digest>> LmdbStore::verify(std::optional<Sha256Digest> one,
                                                    const Progress& progress) {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  std::vector<std::pair<Sha256Digest, ArtifactRecord>> targets;
  uint64_t total = 0;
  for (auto& entry : records) {
    if (one && entry.first != *one) continue;
    if (entry.second.state == ArtifactState::ingesting) continue;
    total += entry.second.length;
    targets.push_back(std::move(entry));
  }
  if (one && targets.empty()) {
    return make_error(Errc::not_found, "unknown_artifact",
                      "no finished artifact " + one->hex() + " in the cache");
  }
  std::vector<Sha256Digest> failed;
  uint64_t done = 0;
  for (auto& [sha, rec] : targets) {
    if (rec.state == ArtifactState::quarantined) {
      failed.push_back(sha);
      done += rec.length;
      if (progress) progress(done, total);
      continue;
    }
    std::string why;
    {
      FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
      Sha256 hasher;
      uint64_t n = chunk_count(rec.length);
      for (uint64_t i = 0; i < n && why.empty(); ++i) {
        uint64_t want = std::min(kChunkSize, rec.length - i * kChunkSize);
        std::string k = chunk_key(sha, i);
        MDB_val key = as_val(k);
        MDB_val val;
        if (mdb_get(txn.get(), chunks_, &key, &val) != 0 || val.mv_size != kChecksumSize + want) {
          why = "chunk " + std::to_string(i) + " is missing or has the wrong size";
          break;
        }
        const auto* data = static_cast<const uint8_t*>(val.mv_data) + kChecksumSize;
        if (chunk_checksum(data, want) != load_le64(val.mv_data)) {
          why = "chunk " + std::to_string(i) + " failed its XXH3 checksum";
          break;
        }
        hasher.update(std::span<const uint8_t>(data, want));
        done += want;
        if (progress && (i % 64 == 63 || i + 1 == n)) progress(done, total);
      }
      if (why.empty() && hasher.finish() != sha) why = "SHA-256 of the stored bytes differs";
    }
    if (!why.empty()) {
      quarantine(sha, why);
      failed.push_back(sha);
    }
  }
  return failed;
}

Result<StoreStats> LmdbStore::stats() {
  FG_ASSIGN_OR_RETURN(auto records, all_records());
  StoreStats s;
  for (auto& [d, r] : records) {
    ++s.artifacts;
    s.reserved_bytes += r.length;
    switch (r.state) {
      case ArtifactState::ready:
        s.ready_bytes += r.length;
        break;
      case ArtifactState::ingesting:
        s.ingesting_bytes += r.committed;
        break;
      case ArtifactState::quarantined:
        ++s.quarantined;
        break;
    }
    if (!r.pins.empty()) s.pinned_bytes += r.length;
  }
  s.quota_bytes = options_.quota_bytes;
  s.open_transfers = transfers_.load();
  s.checksum_failures = checksum_failures_.load();
  s.evicted = evicted_.load();
  s.stale_readers_cleared = stale_readers_cleared_;
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &st) == 0) {
    s.map_size = info.me_mapsize;
    s.map_used = (info.me_last_pgno + 1) * uint64_t{st.ms_psize};
  }
  return s;
}

Result<std::optional<std::string>> LmdbStore::kv_get(Table table, std::string_view key) {
  if (key.empty()) return make_error(Errc::invalid_argument, "empty_key", "kv key is empty");
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  MDB_val k = as_val(key);
  MDB_val v;
  int rc = mdb_get(txn.get(), table_dbi(table), &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return lmdb_error(rc, "kv get");
  return std::optional<std::string>(std::string(as_view(v)));
}

Status LmdbStore::kv_write(std::span<const KvWrite> writes) {
  const size_t max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env_));
  for (const auto& w : writes) {
    if (w.key.empty() || w.key.size() > max_key) {
      return make_error(Errc::invalid_argument, "bad_key",
                        "kv key must be 1.." + std::to_string(max_key) + " bytes, got " +
                            std::to_string(w.key.size()));
    }
  }
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  for (const auto& w : writes) {
    MDB_val k = as_val(w.key);
    int rc;
    if (w.value) {
      MDB_val v = as_val(*w.value);
      rc = mdb_put(txn.get(), table_dbi(w.table), &k, &v, 0);
    } else {
      rc = mdb_del(txn.get(), table_dbi(w.table), &k, nullptr);
      if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc != 0) return lmdb_error(rc, "kv write");
  }
  return txn.commit("kv write");
}

Result<uint64_t> LmdbStore::kv_count(Table table) {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  MDB_stat st;
  int rc = mdb_stat(txn.get(), table_dbi(table), &st);
  if (rc != 0) return lmdb_error(rc, "kv count");
  return static_cast<uint64_t>(st.ms_entries);
}

Result<std::vector<std::pair<std::string, std::string>>> LmdbStore::kv_scan(Table table,
                                                                            std::string_view prefix,
                                                                            size_t limit) {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn.get(), table_dbi(table), &cur);
  if (rc != 0) return lmdb_error(rc, "open kv cursor");
  std::vector<std::pair<std::string, std::string>> out;
  MDB_val k = as_val(prefix);
  MDB_val v;
  rc = prefix.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                      : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == 0 && out.size() < limit && as_view(k).starts_with(prefix)) {
    out.emplace_back(std::string(as_view(k)), std::string(as_view(v)));
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "kv scan");
  return out;
}

Status LmdbStore::overwrite_chunk_byte(const Sha256Digest& sha, uint64_t index, size_t offset) {
  FG_ASSIGN_OR_RETURN(Txn txn, begin_write());
  std::string k = chunk_key(sha, index);
  MDB_val key = as_val(k);
  MDB_val val;
  int rc = mdb_get(txn.get(), chunks_, &key, &val);
  if (rc != 0) return lmdb_error(rc, "find chunk to corrupt");
  if (offset >= val.mv_size - kChecksumSize) {
    return make_error(Errc::invalid_argument, "offset", "offset beyond the chunk");
  }
  std::string copy(as_view(val));
  copy[kChecksumSize + offset] = static_cast<char>(copy[kChecksumSize + offset] ^ 0x01);
  MDB_val nv = as_val(copy);
  rc = mdb_put(txn.get(), chunks_, &key, &nv, 0);
  if (rc != 0) return lmdb_error(rc, "write corrupted chunk");
  return txn.commit("corrupt chunk");
}

Result<uint64_t> LmdbStore::count_chunks(const Sha256Digest& sha) {
  FG_ASSIGN_OR_RETURN(Txn txn, Txn::begin(env_, false));
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn.get(), chunks_, &cur);
  if (rc != 0) return lmdb_error(rc, "open chunk cursor");
  std::string start = chunk_key(sha, 0);
  MDB_val key = as_val(start);
  MDB_val val;
  uint64_t n = 0;
  for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
       rc == 0 && std::memcmp(key.mv_data, sha.bytes.data(), 32) == 0;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    ++n;
  }
  mdb_cursor_close(cur);
  return n;
}

// ---- LmdbIngest ----

LmdbIngest::~LmdbIngest() {
  // The committer uses this object's buffer and the store: let it finish first. What it
  // commits stays durable and resumable.
  if (in_flight_.valid()) in_flight_.wait();
  store_.release_ingest(sha_);
}

Status LmdbIngest::commit_batch(const ChunkBatch& batch, uint64_t first_index) {
  Status s = store_.commit_chunks(sha_, first_index, batch.bytes, batch.sums, std::nullopt);
  if (s.ok()) durable_.store(first_index * kChunkSize + batch.size(), std::memory_order_release);
  return s;
}

Status LmdbIngest::settle() {
  if (!in_flight_.valid()) return ok_status();
  Status s = in_flight_.get();
  if (s.ok()) committed_ += in_flight_batch_.size();
  in_flight_batch_.clear();
  return s;
}

Status LmdbIngest::send_batch() {
  FG_TRY(settle());
  const uint64_t first_index = committed_ / kChunkSize;
  batch_started_ = store_.monotonic();
  // The emptied previous batch becomes the next buffer: two allocations per ingest.
  std::swap(buffer_, in_flight_batch_);
  in_flight_batch_.move_partial_chunk(buffer_);
  if (overlap_commits_) {
    try {
      in_flight_ = std::async(std::launch::async, [this, first_index] {
        return commit_batch(in_flight_batch_, first_index);
      });
      return ok_status();
    } catch (const std::system_error& e) {
      // No thread to spare: commit here, in series, as without overlap.
      kLog.warn("committing an ingest batch without overlap", {{"error", e.what()}});
    }
  }
  FG_TRY(commit_batch(in_flight_batch_, first_index));
  committed_ += in_flight_batch_.size();
  in_flight_batch_.clear();
  return ok_status();
}

Status LmdbIngest::append(std::span<const uint8_t> data) {
  if (failed_) return *failed_;
  if (done_) {
    return make_error(Errc::invalid_argument, "ingest_done",
                      "append to a finished or aborted ingest of " + sha_.hex());
  }
  if (data.size() > length_ - offset()) {
    Error e = make_error(Errc::verification, "length_exceeded",
                         "artifact " + sha_.hex() + " got more than its declared " +
                             std::to_string(length_) + " bytes");
    abort();
    return fail(std::move(e));
  }
  while (!data.empty()) {
    size_t take = std::min<size_t>(data.size(), store_.commit_bytes() - buffer_.size());
    buffer_.append(data.first(take));
    hasher_.update(data.first(take));
    data = data.subspan(take);
    // A batch that ends the artifact waits for finish(), which commits it with the
    // state change.
    const bool full = buffer_.size() == store_.commit_bytes();
    const bool due = buffer_.size() >= kChunkSize &&
                     store_.monotonic() - batch_started_ >= store_.commit_interval();
    if ((full || due) && offset() < length_) {
      // The uncommitted bytes are in the hash state already: after a failed commit this
      // ingest object is unusable; a new begin_ingest resumes from what is durable.
      Status s = send_batch();
      if (!s.ok()) return fail(s.take_error());
    }
  }
  return ok_status();
}

Result<ArtifactInfo> LmdbIngest::finish() {
  if (failed_) return *failed_;
  if (done_) {
    return make_error(Errc::invalid_argument, "ingest_done",
                      "finish of a finished or aborted ingest of " + sha_.hex());
  }
  if (offset() != length_) {
    return make_error(Errc::verification, "length_short",
                      "artifact " + sha_.hex() + " has " + std::to_string(offset()) + " of " +
                          std::to_string(length_) + " bytes");
  }
  if (Status s = settle(); !s.ok()) {
    failed_ = s.error();
    return s.take_error();
  }
  done_ = true;
  Sha256Digest got = hasher_.finish();
  if (got != sha_) {
    Status s = store_.discard(sha_);
    if (!s.ok())
      kLog.error("discarding a bad ingest failed", {{"sha256", sha_.hex()}, {"error", s.error()}});
    Error e = make_error(Errc::verification, "hash_mismatch",
                         "artifact bytes hash to " + got.hex() + ", expected " + sha_.hex());
    failed_ = e;
    return e;
  }
  Status s = store_.commit_chunks(sha_, committed_ / kChunkSize, buffer_.bytes, buffer_.sums,
                                  store_.now());
  if (!s.ok()) {
    failed_ = s.error();
    return s.take_error();
  }
  committed_ = length_;
  durable_.store(length_, std::memory_order_release);
  buffer_.clear();
  return store_.stat(sha_);
}

void LmdbIngest::abort() {
  if (done_) return;
  done_ = true;
  (void)settle();  // whatever it committed is discarded below
  buffer_.clear();
  Status s = store_.discard(sha_);
  if (!s.ok())
    kLog.error("aborting an ingest failed", {{"sha256", sha_.hex()}, {"error", s.error()}});
  failed_ = make_error(Errc::cancelled, "aborted", "ingest of " + sha_.hex() + " was aborted");
}

// ---- LmdbReader ----

LmdbReader::~LmdbReader() {
  if (transfer_) store_.release_transfer();
}

Status LmdbReader::read(uint64_t offset, uint64_t len,
                        const std::function<bool(std::span<const uint8_t>)>& sink) {
  const Sha256Digest& sha = info_.sha256;
  if (corrupt_) {
    return make_error(Errc::corrupt, "quarantined", "artifact " + sha.hex() + " is corrupt");
  }
  if (offset > info_.length || len > info_.length - offset) {
    return make_error(Errc::invalid_argument, "range",
                      "range " + std::to_string(offset) + "+" + std::to_string(len) +
                          " is outside artifact " + sha.hex() + " of " +
                          std::to_string(info_.length) + " bytes");
  }
  while (len > 0) {
    uint64_t index = offset / kChunkSize;
    uint64_t within = offset % kChunkSize;
    uint64_t want = std::min(kChunkSize, info_.length - index * kChunkSize);
    std::string k = chunk_key(sha, index);
    MDB_val key = as_val(k);
    MDB_val val;
    int rc = mdb_get(txn_.get(), store_.chunks_dbi(), &key, &val);
    std::string why;
    if (rc != 0 || val.mv_size != kChecksumSize + want) {
      why = "chunk " + std::to_string(index) + " is missing or has the wrong size";
    } else if (verified_chunk_ != index) {
      const auto* data = static_cast<const uint8_t*>(val.mv_data) + kChecksumSize;
      if (chunk_checksum(data, want) != load_le64(val.mv_data)) {
        why = "chunk " + std::to_string(index) + " failed its XXH3 checksum on read";
      } else {
        verified_chunk_ = index;
      }
    }
    if (!why.empty()) {
      corrupt_ = true;
      store_.quarantine(sha, why);
      return make_error(Errc::corrupt, "checksum", "artifact " + sha.hex() + ": " + why);
    }
    uint64_t n = std::min(len, want - within);
    const auto* data = static_cast<const uint8_t*>(val.mv_data) + kChecksumSize + within;
    if (!sink(std::span<const uint8_t>(data, n))) return ok_status();
    offset += n;
    len -= n;
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Store>> open_lmdb_store(const StoreOptions& options) {
  auto store = std::make_unique<LmdbStore>();
  FG_TRY(store->open(options));
  return std::unique_ptr<Store>(std::move(store));
}

Status corrupt_chunk_for_test(Store& store, const Sha256Digest& sha256, uint64_t chunk_index,
                              size_t offset_in_chunk) {
  auto* lmdb = dynamic_cast<LmdbStore*>(&store);
  if (lmdb == nullptr) {
    return make_error(Errc::unsupported, "not_lmdb", "not an LMDB store");
  }
  return lmdb->overwrite_chunk_byte(sha256, chunk_index, offset_in_chunk);
}

Result<uint64_t> stored_chunks_for_test(Store& store, const Sha256Digest& sha256) {
  auto* lmdb = dynamic_cast<LmdbStore*>(&store);
  if (lmdb == nullptr) {
    return make_error(Errc::unsupported, "not_lmdb", "not an LMDB store");
  }
  return lmdb->count_chunks(sha256);
}

}  // namespace fleetgate::cache
