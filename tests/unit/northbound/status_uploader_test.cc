// The status uploader against the real nginx with WebDAV over HTTPS (test PKI, loopback):
// outbox records arrive as JSON batches under {root}/{site}/{epoch}/, and leave the outbox
// only once stored; refusals, outages and 403s keep them until the server takes them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "cache/status_outbox.h"
#include "common/log.h"
#include "common/uv.h"
#include "northbound/status_uploader.h"
#include "tests/support/files.h"
#include "tests/support/gated_store.h"
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;
using fleetgate::northbound::StatusUploader;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSite = "plant-7";

std::string key_of(int i) {
  char k[48];
  std::snprintf(k, sizeof k, "%020d-%010d", 1'700'000'000 + i, i);
  return k;
}

std::string report_of(int i) {
  return R"({"deployment":"sensor-2.1","device":"dev-)" + std::to_string(i) +
         R"(","received_ms":)" + std::to_string(1'700'000'000 + i) + R"(,"state":"installed"})";
}

// nginx with a WebDAV location (/status/) and one that refuses PUT with 403 (/denied/),
// a store, and a loop the test thread runs.
struct UploadSite {
  TempDir tmp;
  TestPki pki;
  std::string www = tmp.path() + "/www";
  std::unique_ptr<NginxOrigin> nginx;
  ManualClock clock;
  std::unique_ptr<cache::Store> store;
  uv::Loop loop;

  explicit UploadSite(const std::string& max_body = "16m") {
    auto made = make_test_pki(tmp.path() + "/pki");
    REQUIRE(made.ok());
    pki = *made;
    fs::create_directories(www);
    auto started = NginxOrigin::start(tmp.path() + "/nginx", www,
                                      NginxTls{pki.server_cert, pki.server_key, ""},
                                      NginxWebDav{"/status/", "/denied/", max_body});
    REQUIRE(started.ok());
    nginx = std::move(started).value();
    cache::StoreOptions o;
    o.dir = tmp.path() + "/cache";
    o.quota_bytes = 64ull << 20;
    o.overlap_commits = false;
    o.clock = &clock;
    auto s = cache::open_lmdb_store(o);
    REQUIRE(s.ok());
    store = std::move(s).value();
  }
  ~UploadSite() {
    loop.run_until([] { return false; }, 0ms);  // deferred deletes of the client
    Status closed = loop.close();
    CHECK(closed.ok());
  }

  northbound::StatusUploaderOptions options() const {
    northbound::StatusUploaderOptions o;
    o.site = kSite;
    o.interval = 50ms;
    o.retry_base = 10ms;
    o.retry_cap = 80ms;
    o.seed = 7;
    o.http.connect_timeout = 2000ms;
    o.http.header_timeout = 2000ms;
    o.http.idle_timeout = 2000ms;
    o.tls.ca_file = pki.ca_cert;
    return o;
  }
  std::unique_ptr<StatusUploader> uploader(const std::string& url,
                                           northbound::StatusUploaderOptions o) {
    auto u = StatusUploader::create(loop, *store, url, std::move(o));
    REQUIRE(u.ok());
    return std::move(u).value();
  }
  void append(int from, int to, const cache::OutboxLimits& limits = {}) {
    for (int i = from; i < to; ++i) {
      REQUIRE(cache::append_to_outbox(*store, key_of(i), report_of(i), limits).ok());
    }
  }
  uint64_t outbox_size() { return store->kv_count(cache::Table::outbox).value(); }
  // Everything uploaded, and the last removal (on the thread pool) reported back.
  bool drained(const StatusUploader& up) { return outbox_size() == 0 && !up.uploading(); }
  std::vector<cache::OutboxRecord> outbox() {
    return cache::read_outbox_batch(*store, 100'000, SIZE_MAX).value();
  }
  // The batch files stored under /status/{site}/{epoch}/, sorted by name.
  std::vector<std::string> stored(const std::string& epoch) const {
    std::vector<std::string> names;
    const std::string dir = www + "/status/" + kSite + "/" + epoch;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // Checks that the batch files hold report_of(0), report_of(1), ... in order; returns
  // how many there were.
  int reports_in_order(const std::vector<std::string>& files) const {
    int next = 0;
    for (const auto& f : files) {
      const auto doc = nlohmann::json::parse(slurp(f));
      for (const auto& r : doc["records"]) {
        CHECK(r == nlohmann::json::parse(report_of(next)));
        ++next;
      }
    }
    return next;
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5000ms) {
    return loop.run_until(done, timeout);
  }
};

}  // namespace

TEST_CASE("outbox reports arrive upstream as one JSON batch and leave the outbox") {
  UploadSite site;
  site.append(0, 5);
  const auto appended = site.outbox();
  auto up = site.uploader(site.nginx->url() + "status/", site.options());
  up->start();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  CHECK_FALSE(up->uploading());

  auto files = site.stored(up->epoch());
  REQUIRE(files.size() == 1);
  const std::string seq = StatusUploader::seq_of(appended.front());
  CHECK(fs::path(files[0]).filename() == seq + ".json");
  auto doc = nlohmann::json::parse(slurp(files[0]));
  CHECK(doc["site"] == kSite);
  CHECK(doc["epoch"] == up->epoch());
  CHECK(doc["seq"] == seq);
  REQUIRE(doc["records"].size() == appended.size());
  for (size_t i = 0; i < appended.size(); ++i) {
    CHECK(doc["records"][i] == nlohmann::json::parse(appended[i].value));
  }
  CHECK(up->batches_stored() == 1);
  CHECK(up->records_stored() == 5);
  CHECK(up->failures() == 0);
  up.reset();
}

TEST_CASE("a full batch is followed by the next at once and names sort by arrival") {
  UploadSite site;
  site.append(0, 7);
  auto o = site.options();
  o.batch_records = 3;
  o.interval = std::chrono::hours(1);  // only "at once" can send the 2nd and 3rd batches
  auto up = site.uploader(site.nginx->url() + "status/", o);
  up->start();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  auto files = site.stored(up->epoch());
  REQUIRE(files.size() == 3);
  CHECK(site.reports_in_order(files) == 7);
  up.reset();
}

TEST_CASE("records stay while the server refuses connections and arrive once it is back") {
  UploadSite site;
  auto upstream = SocketAddress::parse(site.nginx->address());
  REQUIRE(upstream.ok());
  auto proxy = FaultProxy::start(*upstream);
  REQUIRE(proxy.ok());
  FaultPlan refuse;
  refuse.refuse = true;
  (*proxy)->set_plan(refuse);

  LogCapture log;
  site.append(0, 4);
  auto up = site.uploader("https://127.0.0.1:" + std::to_string((*proxy)->port()) + "/status/",
                          site.options());
  up->start();
  REQUIRE(site.run_until([&] { return up->failures() >= 3; }));
  CHECK(site.outbox_size() == 4);
  CHECK(site.stored(up->epoch()).empty());
  CHECK(log.contains({"status upload failed", "/status/plant-7/"}));

  // Back: the next retry gets through with no other help.
  (*proxy)->set_plan(FaultPlan{});
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  auto files = site.stored(up->epoch());
  REQUIRE(files.size() == 1);
  CHECK(nlohmann::json::parse(slurp(files[0]))["records"].size() == 4);
  CHECK(log.contains({"status upload works again"}));
  up.reset();
}

TEST_CASE("records stay while nginx is down and arrive once it is restarted") {
  UploadSite site;
  site.nginx->stop();
  site.append(0, 3);
  auto up = site.uploader(site.nginx->url() + "status/", site.options());
  up->start();
  REQUIRE(site.run_until([&] { return up->failures() >= 2; }));
  CHECK(site.outbox_size() == 3);
  REQUIRE(site.nginx->restart().ok());
  // Appended during the outage: they go too.
  site.append(3, 5);
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  size_t records = 0;
  for (const auto& f : site.stored(up->epoch())) {
    records += nlohmann::json::parse(slurp(f))["records"].size();
  }
  CHECK(records == 5);
  up.reset();
}

TEST_CASE("a gap record reaches the server as it is") {
  UploadSite site;
  // A tiny bound: the 6th report drops the oldest two behind one gap record.
  const cache::OutboxLimits limits{5, 2};
  site.append(0, 6, limits);
  const auto appended = site.outbox();
  REQUIRE(appended.size() == 5);
  const std::string gap = appended.front().value;
  REQUIRE(gap.find("\"gap\"") != std::string::npos);

  auto up = site.uploader(site.nginx->url() + "status/", site.options());
  up->start();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  auto files = site.stored(up->epoch());
  REQUIRE(files.size() == 1);
  const std::string body = slurp(files[0]);
  // Byte for byte, as the outbox held it.
  CHECK(body.find(gap) != std::string::npos);
  auto doc = nlohmann::json::parse(body);
  CHECK(doc["records"][0]["gap"]["dropped"] == 2);
  CHECK(doc["records"][0]["gap"]["first"] == key_of(0));
  CHECK(doc["records"][0]["gap"]["last"] == key_of(1));
  CHECK(doc["records"].size() == 5);
  up.reset();
}

TEST_CASE("a 403 keeps the records in the outbox and is logged with its status") {
  UploadSite site;
  LogCapture log;
  site.append(0, 3);
  auto up = site.uploader(site.nginx->url() + "denied/", site.options());
  up->start();
  REQUIRE(site.run_until([&] { return up->failures() >= 2; }));
  CHECK(site.outbox_size() == 3);
  CHECK(up->batches_stored() == 0);
  CHECK_FALSE(fs::exists(site.www + "/denied/" + kSite));
  CHECK(log.contains({"status upload failed", "403"}));
  up.reset();
}

TEST_CASE("a retry and a restart use the same batch name and the epoch is kept per store") {
  UploadSite site;
  site.append(0, 3);
  const auto first = site.outbox().front();
  std::string epoch;
  {
    auto refused = site.uploader(site.nginx->url() + "denied/", site.options());
    epoch = refused->epoch();
    refused->start();
    REQUIRE(site.run_until([&] { return refused->failures() >= 1; }));
  }
  // Stored once (a lost 2xx): the next attempt overwrites the same name.
  auto up = site.uploader(site.nginx->url() + "status/", site.options());
  CHECK(up->epoch() == epoch);
  const std::string name =
      site.www + "/status/" + kSite + "/" + epoch + "/" + StatusUploader::seq_of(first) + ".json";
  fs::create_directories(fs::path(name).parent_path());
  std::ofstream(name) << "stale";
  up->start();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  auto files = site.stored(epoch);
  REQUIRE(files.size() == 1);
  CHECK(files[0] == name);
  CHECK(nlohmann::json::parse(slurp(name))["records"].size() == 3);
  up.reset();

  // Another state directory gets another epoch.
  TempDir other;
  cache::StoreOptions o;
  o.dir = other.path();
  o.overlap_commits = false;
  o.clock = &site.clock;
  auto store2 = cache::open_lmdb_store(o);
  REQUIRE(store2.ok());
  auto epoch2 = northbound::status_epoch(**store2);
  REQUIRE(epoch2.ok());
  CHECK(*epoch2 != epoch);
  CHECK(epoch2->size() == 16);
}

TEST_CASE("a batch name depends on the first record's key and value and is URL-safe") {
  const cache::OutboxRecord a{key_of(1), report_of(1)};
  CHECK(StatusUploader::seq_of(a) == StatusUploader::seq_of(a));
  CHECK(StatusUploader::seq_of(a).starts_with(key_of(1) + "-"));
  // The same key rewritten into a gap record: another name.
  const cache::OutboxRecord gap{key_of(1), R"({"gap":{"dropped":3}})"};
  CHECK(StatusUploader::seq_of(gap) != StatusUploader::seq_of(a));
  const cache::OutboxRecord odd{"a b/c", "{}"};
  CHECK(StatusUploader::seq_of(odd).starts_with("a%20b%2Fc-"));
}

TEST_CASE("a batch document embeds the records as they are") {
  std::vector<cache::OutboxRecord> records = {{"k1", R"({"a":1})"}, {"k2", "not json"}};
  const std::string doc = StatusUploader::batch_document("s", "e", "q", records);
  auto parsed = nlohmann::json::parse(doc);
  CHECK(parsed["site"] == "s");
  CHECK(parsed["epoch"] == "e");
  CHECK(parsed["seq"] == "q");
  CHECK(doc.find(R"([{"a":1},)") != std::string::npos);
  CHECK(parsed["records"][1]["unparsable_record"] == "not json");
}

TEST_CASE("a status uploader without a site or with a bad URL is a config error") {
  UploadSite site;
  auto o = site.options();
  o.site = "";
  auto no_site = StatusUploader::create(site.loop, *site.store, site.nginx->url(), o);
  REQUIRE_FALSE(no_site.ok());
  CHECK(no_site.error().code == Errc::config);
  CHECK(no_site.error().message.find("site") != std::string::npos);
  auto bad = StatusUploader::create(site.loop, *site.store, "ftp://x/", site.options());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("status_url") != std::string::npos);
}

TEST_CASE("a 413 halves the batches until the server takes them") {
  UploadSite site("1k");
  LogCapture log;
  site.append(0, 40);  // 90 bytes each: 40 and 20 records exceed 1 KiB, 10 do not
  auto up = site.uploader(site.nginx->url() + "status/", site.options());
  up->start();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  CHECK(up->failures() == 2);
  CHECK(log.contains({"smaller batches", "batch_records=10"}));
  auto files = site.stored(up->epoch());
  CHECK(files.size() == 4);
  for (const auto& f : files) CHECK(fs::file_size(f) <= 1024);
  CHECK(site.reports_in_order(files) == 40);
  up.reset();
}

TEST_CASE("a stored batch leaves the outbox on the thread pool while the loop goes on") {
  UploadSite site;
  site.append(0, 3);
  GatedStore gated(*site.store);
  // Should the removal block the loop thread (a bug), this releases it after a while, so
  // the test fails instead of hanging. Joined after the uploader is gone.
  std::promise<void> finished;
  std::thread watchdog([&gated, over = finished.get_future()] {
    if (over.wait_for(20s) == std::future_status::timeout) gated.release();
  });
  struct Join {
    std::promise<void>& finished;
    std::thread& watchdog;
    ~Join() {
      finished.set_value();
      watchdog.join();
    }
  } join{finished, watchdog};

  auto created =
      StatusUploader::create(site.loop, gated, site.nginx->url() + "status/", site.options());
  REQUIRE(created.ok());
  std::unique_ptr<StatusUploader> up = std::move(created).value();
  const int commits_before = gated.commits();  // the epoch's, made by create()
  gated.hold();                                // the removal's commit waits until released below
  // A ticking timer: it wakes the loop to look at the store, and counts the loop's turns.
  int ticks = 0;
  uv::Timer ticker(site.loop);
  ticker.start(
      1ms, [&] { ++ticks; }, 5ms);
  up->start();
  REQUIRE(site.run_until([&] { return gated.waiting() == 1; }));
  CHECK(site.stored(up->epoch()).size() == 1);  // stored upstream, not yet removed
  CHECK(up->uploading());
  const int held_at = ticks;
  CHECK(site.run_until([&] { return ticks >= held_at + 3; }, 1000ms));  // the loop goes on
  CHECK(site.outbox_size() == 3);

  gated.release();
  REQUIRE(site.run_until([&] { return site.drained(*up); }));
  CHECK(up->records_stored() == 3);
  CHECK(gated.commits() == commits_before + 1);  // one removal for the whole batch
}
