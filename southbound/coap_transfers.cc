#include "southbound/coap_transfers.h"

#include <algorithm>

namespace fleetgate::southbound {

// A CoAP block (at most 1 KiB, a power of two) never straddles two chunks.
static_assert(cache::kChunkSize % 1024 == 0);

Result<const cache::ArtifactInfo*> CoapTransfers::open(const void* session,
                                                       const Sha256Digest& sha256) {
  Key key{reinterpret_cast<uintptr_t>(session), sha256};
  auto it = transfers_.find(key);
  if (it == transfers_.end()) {
    FG_ASSIGN_OR_RETURN(std::unique_ptr<cache::ArtifactReader> reader,
                        store_.open_transfer(sha256));
    (void)store_.mark_served(sha256);  // eviction order only; a failure is not fatal
    Transfer t;
    t.reader = std::move(reader);
    it = transfers_.emplace(key, std::move(t)).first;
  }
  it->second.last_used = clock_.monotonic();
  return &it->second.reader->info();
}

Result<std::span<const uint8_t>> CoapTransfers::block(const void* session,
                                                      const Sha256Digest& sha256, uint64_t offset,
                                                      uint64_t len) {
  auto it = transfers_.find(Key{reinterpret_cast<uintptr_t>(session), sha256});
  if (it == transfers_.end()) {
    return make_error(Errc::not_found, "transfer", "no transfer of this blob in progress");
  }
  Transfer& t = it->second;
  const uint64_t chunk = offset / cache::kChunkSize;
  const uint64_t chunk_start = chunk * cache::kChunkSize;
  if (t.chunk != chunk) {
    const uint64_t length = t.reader->info().length;
    const uint64_t chunk_len = std::min(cache::kChunkSize, length - chunk_start);
    std::span<const uint8_t> span;
    Status read = t.reader->read(chunk_start, chunk_len, [&](std::span<const uint8_t> s) {
      span = s;  // one chunk: one span, XXH3-checked before we see it
      return true;
    });
    if (!read.ok() || span.size() != chunk_len) {
      transfers_.erase(it);
      if (!read.ok()) return read.error();
      return make_error(Errc::corrupt, "chunk", "a chunk came back short");
    }
    t.chunk = chunk;
    t.span = span;
  }
  const uint64_t at = offset - chunk_start;
  if (at + len > t.span.size()) {
    return make_error(Errc::invalid_argument, "block", "a block must lie within one chunk");
  }
  return t.span.subspan(at, len);
}

void CoapTransfers::finish(const void* session, const Sha256Digest& sha256) {
  transfers_.erase(Key{reinterpret_cast<uintptr_t>(session), sha256});
}

void CoapTransfers::drop_session(const void* session) {
  const auto id = reinterpret_cast<uintptr_t>(session);
  auto it = transfers_.lower_bound(Key{id, Sha256Digest{}});
  while (it != transfers_.end() && it->first.first == id) it = transfers_.erase(it);
}

size_t CoapTransfers::expire() {
  const auto now = clock_.monotonic();
  size_t ended = 0;
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (now - it->second.last_used > idle_limit_) {
      it = transfers_.erase(it);
      ++ended;
    } else {
      ++it;
    }
  }
  return ended;
}

}  // namespace fleetgate::southbound
