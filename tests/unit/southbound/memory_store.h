// A small in-memory cache::Store for southbound tests until the LMDB store is on main.
// Blob reads hand out spans in kChunkSize pieces, as the LMDB store does.
#pragma once

#include <map>
#include <stdexcept>

#include "cache/store.h"

namespace fleetgate::testing {

class MemoryStore final : public cache::Store {
 public:
  explicit MemoryStore(const Clock& clock) : clock_(clock) {}

  // Adds a ready artifact; returns its digest.
  Sha256Digest add(std::string bytes) {
    Sha256Digest d = Sha256::of(bytes);
    Blob& b = blobs_[d];
    b.info.sha256 = d;
    b.info.length = bytes.size();
    b.info.committed = bytes.size();
    b.info.state = cache::ArtifactState::ready;
    b.info.visible_since = unix_seconds(clock_.now());
    b.bytes = std::move(bytes);
    return d;
  }
  unsigned open_transfers = 0;
  unsigned max_transfers = 256;

  Result<std::unique_ptr<cache::Ingest>> begin_ingest(const Sha256Digest&, uint64_t,
                                                      std::string_view) override {
    return unsupported();
  }
  Result<std::unique_ptr<cache::ArtifactReader>> open_read(const Sha256Digest& d) override {
    auto it = blobs_.find(d);
    if (it == blobs_.end()) return make_error(Errc::not_found, "", "no such artifact");
    return std::unique_ptr<cache::ArtifactReader>(new Reader(it->second, nullptr));
  }
  Result<std::unique_ptr<cache::ArtifactReader>> open_transfer(const Sha256Digest& d) override {
    auto it = blobs_.find(d);
    if (it == blobs_.end()) return make_error(Errc::not_found, "", "no such artifact");
    if (open_transfers >= max_transfers) return make_error(Errc::busy, "", "transfers");
    ++open_transfers;
    return std::unique_ptr<cache::ArtifactReader>(new Reader(it->second, &open_transfers));
  }
  Status mark_served(const Sha256Digest&) override { return ok_status(); }
  Result<cache::ArtifactInfo> stat(const Sha256Digest& d) override {
    auto it = blobs_.find(d);
    if (it == blobs_.end()) return make_error(Errc::not_found, "", "no such artifact");
    return it->second.info;
  }
  Result<std::vector<cache::ArtifactInfo>> list() override { return unsupported(); }
  Status add_name(const Sha256Digest&, std::string_view) override { return unsupported(); }
  Status pin(const Sha256Digest&, std::string_view) override { return unsupported(); }
  Status unpin(const Sha256Digest&, std::string_view) override { return unsupported(); }
  Status unpin_all(std::string_view) override { return unsupported(); }
  Status evict(const Sha256Digest&) override { return unsupported(); }
  Result<uint64_t> gc(uint64_t) override { return unsupported(); }
  Result<std::vector<Sha256Digest>> verify(std::optional<Sha256Digest>,
                                           const Progress&) override {
    return unsupported();
  }
  Result<cache::StoreStats> stats() override {
    cache::StoreStats s;
    s.open_transfers = open_transfers;
    return s;
  }
  Result<std::optional<std::string>> kv_get(cache::Table t, std::string_view key) override {
    auto it = kv_.find({t, std::string(key)});
    if (it == kv_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status kv_write(std::span<const cache::KvWrite> writes) override {
    if (fail_writes) return make_error(Errc::space, "MDB_MAP_FULL", "map full");
    for (const auto& w : writes) {
      if (w.value) {
        kv_[{w.table, w.key}] = *w.value;
      } else {
        kv_.erase({w.table, w.key});
      }
    }
    return ok_status();
  }
  Result<std::vector<std::pair<std::string, std::string>>> kv_scan(cache::Table t,
                                                                   std::string_view prefix,
                                                                   size_t limit) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : kv_) {
      if (k.first == t && k.second.substr(0, prefix.size()) == prefix && out.size() < limit) {
        out.emplace_back(k.second, v);
      }
    }
    return out;
  }
  bool fail_writes = false;

 private:
  struct Blob {
    cache::ArtifactInfo info;
    std::string bytes;
  };
  class Reader final : public cache::ArtifactReader {
   public:
    Reader(const Blob& b, unsigned* counter) : b_(b), counter_(counter) {}
    ~Reader() override {
      if (counter_) --*counter_;
    }
    const cache::ArtifactInfo& info() const override { return b_.info; }
    Status read(uint64_t offset, uint64_t len,
                const std::function<bool(std::span<const uint8_t>)>& sink) override {
      if (offset + len > b_.bytes.size()) return make_error(Errc::invalid_argument, "", "range");
      const auto* base = reinterpret_cast<const uint8_t*>(b_.bytes.data());
      while (len > 0) {
        uint64_t in_chunk = cache::kChunkSize - offset % cache::kChunkSize;
        uint64_t n = std::min(len, in_chunk);
        if (!sink(std::span<const uint8_t>(base + offset, n))) break;
        offset += n;
        len -= n;
      }
      return ok_status();
    }

   private:
    const Blob& b_;
    unsigned* counter_;
  };
  static Error unsupported() { return make_error(Errc::unsupported, "", "not in MemoryStore"); }

  const Clock& clock_;
  std::map<Sha256Digest, Blob> blobs_;
  std::map<std::pair<cache::Table, std::string>, std::string> kv_;
};

}  // namespace fleetgate::testing
