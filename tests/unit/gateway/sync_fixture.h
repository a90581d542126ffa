// Shared by the sync_* tests: a publisher repository, an LMDB store and a file:// origin
// in one temporary directory, driven by one manual clock.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "cache/store.h"
#include "child_process.h"
#include "common/clock.h"
#include "gateway/repo_publisher.h"
#include "northbound/origin.h"
#include "northbound/sync_cycle.h"
#include "tests/support/files.h"

namespace fleetgate::testing {

struct SyncFixture {
  TempDir tmp;
  ManualClock clock;
  std::unique_ptr<gateway::Repository> repo;
  std::unique_ptr<cache::Store> store;
  std::unique_ptr<northbound::Origin> origin;
  std::string site = "plant-7";

  explicit SyncFixture(gateway::RepoInitOptions options = {}, gateway::RepoExpiry expiry = {}) {
    auto r = gateway::Repository::init(tmp.path() + "/repo", options, clock, expiry);
    REQUIRE(r.ok());
    repo = std::make_unique<gateway::Repository>(std::move(r).value());
    cache::StoreOptions so;
    so.dir = tmp.path() + "/state";
    so.quota_bytes = 64ull << 20;
    so.clock = &clock;
    auto s = cache::open_lmdb_store(so);
    REQUIRE(s.ok());
    store = std::move(s).value();
    auto o = northbound::open_file_origin(repo->url());
    REQUIRE(o.ok());
    origin = std::move(o).value();
  }

  Result<northbound::SyncOutcome> sync() {
    northbound::SyncRequest req;
    req.site = site;
    req.initial_root = slurp(repo->root_path());
    return northbound::run_sync_once(*store, *origin, clock, req);
  }

  std::string repo_file(const std::string& rel) const {
    return slurp(repo->metadata_dir() + "/" + rel);
  }

  // Everything a client trusts or serves: must not change when a sync is refused.
  struct Visible {
    std::map<std::string, std::optional<std::string>> trusted;
    std::optional<std::string> plan;
    std::vector<std::string> ready;  // "<sha256> <names...>" of visible artifacts
    bool operator==(const Visible&) const = default;
  };
  Visible visible() {
    Visible v;
    for (const char* role : {"root", "timestamp", "snapshot", "targets"}) {
      v.trusted[role] = store->kv_get(cache::Table::trusted_metadata, role).value();
    }
    v.plan = store->kv_get(cache::Table::plans, site).value();
    const std::vector<cache::ArtifactInfo> all = store->list().value();
    for (const auto& a : all) {
      if (a.state != cache::ArtifactState::ready) continue;
      std::string line = a.sha256.hex();
      for (const auto& n : a.names) line += " " + n;
      for (const auto& p : a.pins) line += " pin:" + p;
      v.ready.push_back(line);
    }
    return v;
  }

  void publish_plan(uint64_t version, const std::string& prefetch_json) {
    std::string plan = "{\"site\": \"" + site + "\", \"version\": " + std::to_string(version) +
                       ", \"prefetch\": " + prefetch_json + "}";
    REQUIRE(repo->add_plan(plan).ok());
  }
};

}  // namespace fleetgate::testing
