// A fault for the status tests (the commits of reports, the uploader's removals): a
// Store that forwards to a real one, except that its kv_write can be held (it blocks
// until the test releases it) or made to fail, and that it counts the kv_write commits.
// Everything else goes straight through.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "cache/store.h"

namespace fleetgate::testing {

class GatedStore final : public cache::Store {
 public:
  explicit GatedStore(cache::Store& real) : real_(real) {}

  // From now on kv_write waits until release().
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // kv_write fails (an I/O error) without writing, until set back to false.
  void fail_writes(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }
  // kv_write calls that committed (or failed) so far.
  int commits() {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }
  // How many kv_write calls are blocked in hold() now.
  int waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }
  // Waits (with a deadline) until `n` writers are blocked.
  bool wait_for_waiting(int n, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return waiting_ >= n; });
  }

  Status kv_write(std::span<const cache::KvWrite> writes) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !held_; });
      --waiting_;
      ++commits_;
      if (fail_) return make_error(Errc::io, "injected", "injected write failure");
    }
    return real_.kv_write(writes);
  }

  Result<std::unique_ptr<cache::Ingest>> begin_ingest(const Sha256Digest& sha256, uint64_t length,
                                                      std::string_view name) override {
    return real_.begin_ingest(sha256, length, name);
  }
  Result<std::unique_ptr<cache::ArtifactReader>> open_read(const Sha256Digest& sha256) override {
    return real_.open_read(sha256);
  }
  Result<std::unique_ptr<cache::ArtifactReader>> open_transfer(
      const Sha256Digest& sha256) override {
    return real_.open_transfer(sha256);
  }
  Status mark_served(const Sha256Digest& sha256) override { return real_.mark_served(sha256); }
  Result<cache::ArtifactInfo> stat(const Sha256Digest& sha256) override {
    return real_.stat(sha256);
  }
  Result<std::vector<cache::ArtifactInfo>> list() override { return real_.list(); }
  Status add_name(const Sha256Digest& sha256, std::string_view name) override {
    return real_.add_name(sha256, name);
  }
  Status pin(const Sha256Digest& sha256, std::string_view owner) override {
    return real_.pin(sha256, owner);
  }
  Status unpin(const Sha256Digest& sha256, std::string_view owner) override {
    return real_.unpin(sha256, owner);
  }
  Status unpin_all(std::string_view owner) override { return real_.unpin_all(owner); }
  Status evict(const Sha256Digest& sha256) override { return real_.evict(sha256); }
  Result<uint64_t> gc(uint64_t bytes_needed) override { return real_.gc(bytes_needed); }
  Result<std::vector<Sha256Digest>> verify(std::optional<Sha256Digest> one,
                                           const Progress& progress) override {
    return real_.verify(one, progress);
  }
  Result<cache::StoreStats> stats() override { return real_.stats(); }
  Result<std::optional<std::string>> kv_get(cache::Table table, std::string_view key) override {
    return real_.kv_get(table, key);
  }
  Result<uint64_t> kv_count(cache::Table table) override { return real_.kv_count(table); }
  Result<std::vector<std::pair<std::string, std::string>>> kv_scan(cache::Table table,
                                                                   std::string_view prefix,
                                                                   size_t limit) override {
    return real_.kv_scan(table, prefix, limit);
  }

 private:
  cache::Store& real_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool fail_ = false;
  int commits_ = 0;
  int waiting_ = 0;
};

}  // namespace fleetgate::testing
