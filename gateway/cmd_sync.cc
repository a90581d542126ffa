// `fleetgate sync -c FILE --once`: one sync cycle against the configured origin.
// Exit status: 0 synced or already up to date; 1 verification refused (the message
// names the check) or another failure; 2 usage or configuration error; 75 origin
// unreachable.
#include <cstdio>
#include <memory>
#include <string>

#include "cache/store.h"
#include "common/clock.h"
#include "config/config.h"
#include "gateway/commands.h"
#include "gateway/origin_setup.h"
#include "northbound/https_origin.h"
#include "northbound/origin.h"
#include "northbound/sync_cycle.h"

namespace fleetgate::gateway {
namespace {

constexpr const char* kUsage = "usage: fleetgate sync -c FILE --once\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "fleetgate sync: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int cmd_sync(Args args) {
  std::string config_path;
  bool once = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string a = args[i];
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (a == "--once") {
      once = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else {
      std::fprintf(stderr, "fleetgate sync: unexpected argument '%s'\n%s", a.c_str(), kUsage);
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (!once) return usage_error("only --once is implemented; the daemon syncs in 'fleetgate run'");

  auto cfg = config::load_config(config_path);
  if (!cfg.ok()) return usage_error(cfg.error().message);
  if (cfg->site.empty()) return usage_error(config_path + ": \"site\" is required to sync");
  const std::string& origin_url = cfg->northbound.origin;
  if (origin_url.empty()) return usage_error(config_path + ": [northbound] origin is empty");
  auto origin = northbound::open_origin(origin_url, origin_options_for(cfg->northbound));
  if (!origin.ok()) return usage_error(origin.error().message);

  northbound::SyncRequest request;
  request.site = cfg->site;
  auto root = read_trust_root(cfg->northbound);
  if (!root.ok()) return usage_error(config_path + ": " + root.error().message);
  request.initial_root = std::move(root).value();
  // One-shot runs are operator-driven: the sync window does not hold them back.

  const RealClock clock;
  auto store = cache::open_lmdb_store(cache::store_options_for(*cfg, clock));
  if (!store.ok()) {
    std::fprintf(stderr, "fleetgate sync: cannot open the cache in %s: %s\n",
                 cfg->state_dir.c_str(), store.error().message.c_str());
    return kExitFailed;
  }

  auto outcome = northbound::run_sync_once(**store, **origin, clock, request);
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    if (e.code == Errc::network) {
      std::fprintf(stderr, "fleetgate sync: origin unreachable: %s\n", e.message.c_str());
      return kExitUnreachable;
    }
    const bool refused = e.code == Errc::verification || e.code == Errc::unsupported;
    std::fprintf(stderr, "fleetgate sync: %s%s\n", refused ? "refused: " : "", e.message.c_str());
    return kExitFailed;
  }
  if (outcome->plan_version) {
    std::printf("synced: plan %s version %llu%s, %zu fetched, %zu pinned\n", cfg->site.c_str(),
                static_cast<unsigned long long>(*outcome->plan_version),
                outcome->plan_changed ? " (new)" : "", outcome->fetched, outcome->pinned);
  } else {
    std::printf("synced: no plan for site %s\n", cfg->site.c_str());
  }
  return kExitOk;
}

}  // namespace fleetgate::gateway
