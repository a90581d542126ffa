#include "northbound/wan_state.h"

#include <catch2/catch.hpp>

#include "common/log.h"
#include "common/metrics.h"

using namespace fleetgate;
using namespace fleetgate::northbound;

TEST_CASE("WAN state goes degraded, then offline, then back online", "[wan_state]") {
  LogCapture logs;
  MetricsRegistry metrics;
  WanState wan(&metrics, 3);
  const Error down = make_error(Errc::network, "connect", "cannot connect to origin");
  CHECK(wan.link() == WanLink::online);
  wan.record_failure(down);
  CHECK(wan.link() == WanLink::degraded);
  wan.record_failure(down);
  CHECK(wan.link() == WanLink::degraded);
  wan.record_failure(down);
  CHECK(wan.link() == WanLink::offline);
  CHECK(metrics.render().find("fleetgate_wan_state 2") != std::string::npos);
  CHECK(logs.contains({"level=warn", "WAN link state changed", "to=offline"}));
  wan.record_success(false);
  CHECK(wan.link() == WanLink::online);
  CHECK(wan.consecutive_failures() == 0);
  CHECK(metrics.render().find("fleetgate_wan_state 0") != std::string::npos);
  CHECK(logs.contains({"level=info", "WAN link state changed", "from=offline", "to=online"}));
  CHECK(wan.changes() == 3);
}

TEST_CASE("WAN state logs only changes", "[wan_state]") {
  LogCapture logs;
  WanState wan(nullptr, 2);
  for (int i = 0; i < 5; ++i) wan.record_success(false);
  CHECK(logs.lines().empty());
  wan.record_success(true);  // succeeded after resumes
  CHECK(wan.link() == WanLink::degraded);
  wan.record_success(true);
  CHECK(logs.lines().size() == 1);
}
