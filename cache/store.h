// The cache: a content-addressed artifact store plus small typed records.
//
// Glossary:
//   artifact  - bytes identified by their SHA-256 (from signed metadata), with a length.
//   chunk     - a fixed-size piece of an artifact (kChunkSize), stored with an XXH3
//               checksum and committed durably as it arrives.
//   ingest    - an artifact being written; it resumes after a crash from its last
//               committed chunk, and becomes visible only when finish() has checked the
//               full SHA-256 and exact length.
//   visible   - state Ready: servable to devices. Nothing else is ever served.
//   quarantined - a Ready artifact whose chunk failed its checksum on read or verify;
//               never served again until it is re-ingested and re-verified.
//   pin       - an owner (e.g. a plan id) keeping an artifact from eviction.
//   transfer  - a read handle that holds a read transaction open across loop turns so
//               bytes can go from the map to a socket without a copy; capped in number.
//
// The only cache interface the rest of the code sees (only lmdb_store.cc has <lmdb.h>).
// Threads: one writer + many readers per Store. Ingests/readers must die before the Store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/digest.h"
#include "common/result.h"
#include "config/config.h"

namespace fleetgate::cache {

inline constexpr uint64_t kChunkSize = 256 * 1024;

enum class ArtifactState { ingesting, ready, quarantined };
std::string_view state_name(ArtifactState s);

struct ArtifactInfo {
  Sha256Digest sha256;
  uint64_t length = 0;
  uint64_t committed = 0;  // bytes durably stored (== length when ready)
  ArtifactState state = ArtifactState::ingesting;
  std::vector<std::string> names;  // target names it is known by, e.g. "fw/a.bin"
  std::vector<std::string> pins;   // pin owners
  int64_t visible_since = 0;       // unix seconds; 0 while not ready
  int64_t last_served = 0;         // unix seconds; 0 if never
};

struct StoreStats {
  uint64_t artifacts = 0;
  uint64_t ready_bytes = 0;
  uint64_t ingesting_bytes = 0;
  uint64_t quota_bytes = 0;
  uint64_t quarantined = 0;
  uint64_t open_transfers = 0;
  uint64_t reserved_bytes = 0;     // declared lengths of everything recorded (quota use)
  uint64_t pinned_bytes = 0;       // declared lengths of pinned artifacts
  uint64_t checksum_failures = 0;  // chunks that failed XXH3 since open
  uint64_t evicted = 0;            // artifacts evicted since open
  uint64_t map_size = 0;           // LMDB map size and the part of it in use
  uint64_t map_used = 0;
  uint64_t stale_readers_cleared = 0;  // reader slots of dead processes freed at open
};

struct StoreOptions {
  std::string dir;                     // LMDB environment directory (created if absent)
  uint64_t quota_bytes = 20ull << 30;  // artifact bytes; eviction keeps below this
  uint64_t map_size = 0;               // 0: derived from quota (+ headroom)
  unsigned max_transfers = 256;        // cap on read handles held across loop turns
  // An ingest commits its chunks in batches of this many bytes (a multiple of kChunkSize),
  // each batch one LMDB commit with one data sync (MDB_NOMETASYNC). A killed process loses
  // at most the batch being filled (and the one committing, see overlap_commits); a power
  // loss may also undo the last committed batch (its meta page is synced by the next
  // commit), never corrupting the store. Larger batches mean fewer syncs
  // (bench/README.md) and bigger buffers (two of this size per ingest).
  uint64_t commit_bytes = 128 * kChunkSize;
  // A batch that has been filling for this long commits the whole chunks it holds at the
  // next append, so a slow download also becomes durable every few seconds: what a crash
  // loses is bounded in time as well as in bytes. Read from `clock`'s monotonic time.
  std::chrono::milliseconds commit_interval{2'000};
  // While one batch commits (and syncs) on a thread of its own, the next one fills, so
  // the syncs overlap the download and the hashing: one more buffer of commit_bytes per
  // ingest, and a killed process may also lose the batch that was committing. A second
  // thread syncs the data file while a batch commits, so the disk starts before LMDB's
  // sync (cache/lmdb_store.cc, WritebackKicker). Off: each batch commits inside the
  // append() that fills it and the store starts no thread (tests that observe durable()
  // step by step, or fork, turn it off).
  bool overlap_commits = true;
  const Clock* clock = nullptr;  // required
};

// An artifact being written. Not thread-safe; one writer per artifact.
class Ingest {
 public:
  virtual ~Ingest() = default;  // an unfinished ingest stays resumable
  virtual const Sha256Digest& sha256() const = 0;
  virtual uint64_t length() const = 0;
  // The offset the next append() must start at (durable bytes + bytes buffered for the
  // current chunk). Right after begin_ingest() it equals durable(): that is where a
  // resumed download asks the origin to continue.
  virtual uint64_t offset() const = 0;
  // Bytes in committed chunks: what survives a process crash now (a power loss may
  // undo the last batch, see StoreOptions::commit_bytes). Safe to read from another
  // thread; it grows when a batch committing in the background is done.
  virtual uint64_t durable() const = 0;
  // Appends bytes at offset(). Full chunks are committed as they fill, in batches of
  // StoreOptions::commit_bytes. Fails with
  // Errc::verification ("length_exceeded") at the first byte beyond length(); the
  // ingest is then discarded.
  virtual Status append(std::span<const uint8_t> data) = 0;
  // Commits the tail, checks length and SHA-256, then makes the artifact visible in one
  // transaction. On a hash mismatch ("hash_mismatch") everything written is discarded.
  virtual Result<ArtifactInfo> finish() = 0;
  // Discards everything written for this ingest.
  virtual void abort() = 0;
};

// A read of one visible artifact. Holds an LMDB read transaction for its lifetime:
// spans it hands out point into the map and are valid only while it lives.
// NOTE: open one per request and drop it before returning to the loop, unless it is
// a transfer (Store::open_transfer), which may live across loop turns.
class ArtifactReader {
 public:
  virtual ~ArtifactReader() = default;
  virtual const ArtifactInfo& info() const = 0;
  // Calls `sink` with consecutive zero-copy spans covering [offset, offset+len), each
  // chunk's XXH3 checked first. A checksum mismatch quarantines the artifact and returns
  // Errc::corrupt. `sink` returns false to stop early.
  virtual Status read(uint64_t offset, uint64_t len,
                      const std::function<bool(std::span<const uint8_t>)>& sink) = 0;
};

// Small records for other modules, in named databases, so nothing else touches LMDB.
enum class Table { trusted_metadata, plans, devices, device_state, outbox, counters, settings };

struct KvWrite {
  Table table;
  std::string key;
  std::optional<std::string> value;  // nullopt deletes
};

class Store {
 public:
  virtual ~Store() = default;

  // Starts or resumes the ingest of (sha256, length). Resuming keeps committed chunks.
  // Errc::already_exists if that artifact is already visible; Errc::space ("cache_full")
  // if pinned artifacts alone leave no room for `length` bytes.
  virtual Result<std::unique_ptr<Ingest>> begin_ingest(const Sha256Digest& sha256, uint64_t length,
                                                       std::string_view name) = 0;
  // Errc::not_found for unknown, ingesting or quarantined artifacts.
  virtual Result<std::unique_ptr<ArtifactReader>> open_read(const Sha256Digest& sha256) = 0;
  // Like open_read, but may be held across loop turns; Errc::busy past max_transfers.
  virtual Result<std::unique_ptr<ArtifactReader>> open_transfer(const Sha256Digest& sha256) = 0;
  // Records that the artifact was served (for least-recently-served eviction).
  virtual Status mark_served(const Sha256Digest& sha256) = 0;

  virtual Result<ArtifactInfo> stat(const Sha256Digest& sha256) = 0;
  virtual Result<std::vector<ArtifactInfo>> list() = 0;
  virtual Status add_name(const Sha256Digest& sha256, std::string_view name) = 0;

  virtual Status pin(const Sha256Digest& sha256, std::string_view owner) = 0;
  virtual Status unpin(const Sha256Digest& sha256, std::string_view owner) = 0;
  virtual Status unpin_all(std::string_view owner) = 0;

  // Removes one artifact (Errc::busy if pinned), or evicts unpinned artifacts least
  // recently served first until `bytes_needed` more fit under the quota.
  virtual Status evict(const Sha256Digest& sha256) = 0;
  virtual Result<uint64_t> gc(uint64_t bytes_needed = 0) = 0;  // returns bytes freed

  // Re-reads every chunk of one artifact (or all), checking XXH3 and the full SHA-256;
  // quarantines what fails. Returns the digests that failed.
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  virtual Result<std::vector<Sha256Digest>> verify(std::optional<Sha256Digest> one,
                                                   const Progress& progress = {}) = 0;
  virtual Result<StoreStats> stats() = 0;

  virtual Result<std::optional<std::string>> kv_get(Table table, std::string_view key) = 0;
  // All writes in one transaction: all take effect, or none.
  virtual Status kv_write(std::span<const KvWrite> writes) = 0;
  // How many records `table` holds.
  virtual Result<uint64_t> kv_count(Table table) = 0;
  // Keys with `prefix`, in key order, at most `limit`.
  virtual Result<std::vector<std::pair<std::string, std::string>>> kv_scan(
      Table table, std::string_view prefix, size_t limit = SIZE_MAX) = 0;
};

// The store of a configured gateway: <state_dir>/cache with the [cache] quota. The daemon
// and `fleetgate cache` both open it through this, so they agree on where it lives.
StoreOptions store_options_for(const config::Config& config, const Clock& clock);

// Opens (creating if needed) the LMDB store; clears stale readers at start-up.
Result<std::unique_ptr<Store>> open_lmdb_store(const StoreOptions& options);

}  // namespace fleetgate::cache
