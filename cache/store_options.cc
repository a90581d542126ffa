#include "cache/store.h"

namespace fleetgate::cache {

StoreOptions store_options_for(const config::Config& config, const Clock& clock) {
  StoreOptions o;
  o.dir = config.state_dir + "/cache";
  o.quota_bytes = config.cache.quota;
  o.commit_bytes = config.cache.commit_bytes;
  o.commit_interval = config.cache.commit_interval;
  o.clock = &clock;
  return o;
}

}  // namespace fleetgate::cache
