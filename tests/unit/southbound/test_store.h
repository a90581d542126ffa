// The real LMDB store in a temporary directory, with a helper that ingests test blobs.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "cache/store.h"

namespace fleetgate::testing {

class TestStore {
 public:
  explicit TestStore(const Clock& clock) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fg-south-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    cache::StoreOptions o;
    o.dir = dir_;
    o.quota_bytes = 256ull << 20;
    o.max_transfers = 256;
    o.clock = &clock;
    auto s = cache::open_lmdb_store(o);
    if (!s.ok()) throw std::runtime_error(s.error().to_string());
    store_ = std::move(s).value();
  }
  ~TestStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Ingests `bytes` as a visible artifact; returns its digest.
  Sha256Digest add(std::string_view bytes) {
    Sha256Digest d = Sha256::of(bytes);
    auto ingest = store_->begin_ingest(d, bytes.size(), "test/blob.bin");
    if (!ingest.ok()) throw std::runtime_error(ingest.error().to_string());
    auto data = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size());
    if (!(*ingest)->append(data).ok() || !(*ingest)->finish().ok()) {
      throw std::runtime_error("ingest failed");
    }
    return d;
  }
  uint64_t open_transfers() { return store_->stats()->open_transfers; }
  cache::Store* get() { return store_.get(); }
  cache::Store* operator->() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<cache::Store> store_;
};

}  // namespace fleetgate::testing
