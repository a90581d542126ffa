// The store of a configured gateway takes its place and limits from the config file.
#include <catch2/catch.hpp>

#include "cache/store.h"
#include "common/clock.h"
#include "config/config.h"

namespace fleetgate::cache {
namespace {

TEST_CASE("store options come from the state_dir and the cache section", "[cache]") {
  auto c = config::parse_config(R"(state_dir = "/var/lib/fg-test"
[cache]
quota = "2GiB"
commit_bytes = "4MiB"
commit_interval = "5s"
)",
                                "fg.toml");
  REQUIRE(c.ok());
  ManualClock clock;
  StoreOptions o = store_options_for(*c, clock);
  CHECK(o.dir == "/var/lib/fg-test/cache");
  CHECK(o.quota_bytes == (2ull << 30));
  CHECK(o.commit_bytes == (4ull << 20));
  CHECK(o.commit_interval == std::chrono::seconds(5));
  CHECK(o.overlap_commits);
  CHECK(o.clock == &clock);
}

}  // namespace
}  // namespace fleetgate::cache
