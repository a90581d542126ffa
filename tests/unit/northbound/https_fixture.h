// Shared set-up for the HTTPS origin tests: an nginx origin on loopback serving a
// temporary directory, optionally behind the fault proxy, and a cache store to ingest into.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cache/store.h"
#include "common/clock.h"
#include "common/digest.h"
#include "northbound/https_origin.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/nginx_origin.h"

namespace fleetgate::testing {

struct OriginSite {
  TempDir tmp;
  std::string www = tmp.path() + "/www";
  std::unique_ptr<NginxOrigin> nginx;

  explicit OriginSite(const NginxTls& tls = {}) {
    std::filesystem::create_directories(www);
    auto started = NginxOrigin::start(tmp.path() + "/nginx", www, tls);
    REQUIRE(started.ok());
    nginx = std::move(started).value();
  }

  void put(const std::string& name, const std::string& body) {
    std::filesystem::create_directories(std::filesystem::path(www + "/" + name).parent_path());
    std::ofstream(www + "/" + name, std::ios::binary) << body;
  }
};

// Fast-failing options so fault tests finish in well under a second per fault.
inline northbound::OriginOptions quick_options() {
  northbound::OriginOptions o;
  o.http.connect_timeout = std::chrono::milliseconds(2000);
  o.http.header_timeout = std::chrono::milliseconds(2000);
  o.http.idle_timeout = std::chrono::milliseconds(2000);
  o.retry_base = std::chrono::milliseconds(10);
  o.retry_cap = std::chrono::milliseconds(50);
  o.seed = 1;
  return o;
}

inline std::unique_ptr<northbound::HttpsOrigin> open(const std::string& url,
                                                     const northbound::OriginOptions& o) {
  auto origin = northbound::open_https_origin(url, o);
  REQUIRE(origin.ok());
  return std::move(origin).value();
}

inline std::string fetch_string(northbound::Origin& origin, const std::string& path,
                                uint64_t offset = 0, uint64_t max = 1 << 20,
                                Status* status = nullptr) {
  std::string out;
  Status s = origin.fetch(path, offset, max, [&](std::span<const uint8_t> p) {
    out.append(reinterpret_cast<const char*>(p.data()), p.size());
    return ok_status();
  });
  if (status) *status = s;
  return out;
}

struct CacheSite {
  ManualClock clock;
  TempDir dir;
  std::unique_ptr<cache::Store> store;
  CacheSite() {
    cache::StoreOptions o;
    o.dir = dir.path() + "/cache";
    o.quota_bytes = 512ull << 20;
    o.clock = &clock;
    auto s = cache::open_lmdb_store(o);
    REQUIRE(s.ok());
    store = std::move(s).value();
  }
  // Ingests `path` from `origin` the way the TUF updater does (resuming a partial ingest).
  Status ingest(northbound::Origin& origin, const std::string& path, const std::string& sha_hex,
                uint64_t length) {
    auto digest = Sha256Digest::from_hex(sha_hex);
    REQUIRE(digest.ok());
    auto begun = store->begin_ingest(*digest, length, path);
    if (!begun.ok()) return begun.take_error();
    auto ingest = std::move(begun).value();
    FG_TRY(origin.fetch(
        path, ingest->offset(), length,
        [&](std::span<const uint8_t> p) { return ingest->append(p); },
        [&]() -> Status { return restart(ingest, *digest, length, path); }));
    auto done = ingest->finish();
    if (!done.ok()) return done.take_error();
    return ok_status();
  }
  // What the TUF updater does on Origin::Restart: drop the partial ingest, begin at 0.
  Status restart(std::unique_ptr<cache::Ingest>& ingest, const Sha256Digest& digest,
                 uint64_t length, const std::string& name) {
    ingest->abort();
    ingest.reset();
    auto again = store->begin_ingest(digest, length, name);
    if (!again.ok()) return again.take_error();
    ingest = std::move(again).value();
    return ok_status();
  }
};

}  // namespace fleetgate::testing
