// Blob transfers in progress over CoAP. A device fetches a blob block by block (RFC 7959
// Block2), one request per block. Per (session, blob) this keeps a cache transfer handle
// (Store::open_transfer, counted against the store's cap shared with HTTP) and the
// current chunk's verified span, so every chunk's XXH3 is checked once per transfer, not
// once per 1 KiB block, and blocks are copied straight from the LMDB map into the PDU.
//
// A transfer ends, releasing its handle and read transaction, when its last block is
// sent, when its DTLS/UDP session is deleted, or after `idle_limit` without a request
// (expire(), driven by the server's sweep timer), so a device that stops half-way holds
// nothing for long. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>

#include "cache/store.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/result.h"

namespace fleetgate::southbound {

class CoapTransfers {
 public:
  // NOTE: `store` and `clock` must outlive this, and this must die before the store.
  CoapTransfers(cache::Store& store, const Clock& clock, std::chrono::milliseconds idle_limit)
      : store_(store), clock_(clock), idle_limit_(idle_limit) {}

  // The artifact's info for `session`'s transfer of `sha256`, opening the transfer if
  // needed: Errc::busy when every transfer slot is taken, Errc::not_found when the
  // artifact is not servable.
  Result<const cache::ArtifactInfo*> open(const void* session, const Sha256Digest& sha256);
  // Bytes [offset, offset+len) of an open transfer, zero-copy: valid until the next call
  // on this object. The range must lie within one chunk (blocks of at most 1 KiB do).
  // Errc::corrupt if the chunk failed its checksum (the transfer is then ended).
  Result<std::span<const uint8_t>> block(const void* session, const Sha256Digest& sha256,
                                         uint64_t offset, uint64_t len);
  // Ends one transfer, or all of a session's.
  void finish(const void* session, const Sha256Digest& sha256);
  void drop_session(const void* session);
  // Ends transfers idle for longer than idle_limit; returns how many.
  size_t expire();
  void clear() { transfers_.clear(); }
  size_t size() const { return transfers_.size(); }

 private:
  struct Transfer {
    std::unique_ptr<cache::ArtifactReader> reader;
    uint64_t chunk = UINT64_MAX;    // index of the verified chunk in `span`
    std::span<const uint8_t> span;  // that chunk, in the map
    std::chrono::steady_clock::time_point last_used;
  };
  using Key = std::pair<uintptr_t, Sha256Digest>;  // (session address, blob)

  cache::Store& store_;
  const Clock& clock_;
  std::chrono::milliseconds idle_limit_;
  std::map<Key, Transfer> transfers_;
};

}  // namespace fleetgate::southbound
