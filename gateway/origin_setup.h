// What `fleetgate sync --once` and the daemon's sync loop both build from the
// configuration, built one way: the origin options (CA, mTLS, pins, WAN rate), the
// trust root, the sync window and the nudge token.
#pragma once

#include <string>

#include "common/cron_window.h"
#include "common/result.h"
#include "common/tls_client.h"
#include "config/config.h"
#include "northbound/https_origin.h"

namespace fleetgate::gateway {

// [northbound] ca_file, client_cert/client_key, pins, wan_rate -> OriginOptions.
northbound::OriginOptions origin_options_for(const config::NorthboundConfig& nb);

// The TLS settings of status uploads: the origin's, with [northbound] status_ca_file and
// status_pins in place of ca_file and pins where they are set.
tls::ClientConfig status_tls_for(const config::NorthboundConfig& nb);

// The bytes of [northbound] trust_root; Errc::config naming the file if unreadable.
Result<std::string> read_trust_root(const config::NorthboundConfig& nb);

// [northbound] sync_window / sync_window_duration / time_zone; always open when empty.
Result<WindowSchedule> sync_window_for(const config::NorthboundConfig& nb);

// A secret kept in a file (the nudge bearer token): the first line, trimmed. Errc::config
// naming the file when it is unreadable, empty, or readable by group or others.
Result<std::string> read_secret_file(const std::string& path, std::string_view key);

}  // namespace fleetgate::gateway
