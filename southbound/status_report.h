// A device's status report (DESIGN.md section 4 and 6), the part HTTP and CoAP share:
// validate the JSON body, then append it to the outbox before the device is acknowledged.
//
//   body: {"deployment": "sensor-2.1", "state": "installed", "version": "2.1", "reason": ""}
//   outbox record: the body's fields + "device" + "received_ms", keyed by arrival order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cache/status_outbox.h"
#include "cache/store.h"
#include "common/clock.h"
#include "common/result.h"
#include "southbound/device_registry.h"

namespace fleetgate::southbound {

struct StatusOutcome {
  enum class Kind {
    recorded,      // in the outbox: acknowledge (HTTP 204, CoAP 2.04)
    rejected,      // bad body: HTTP 400 / CoAP 4.00 with `message`
    not_recorded,  // the store failed: come back later (HTTP 503, CoAP 5.03)
  };
  Kind kind = Kind::recorded;
  std::string message;  // why, for the device (rejected, not_recorded)
};

// Validates `body` as a status report of `device` received at `now_ms` (Unix time) and
// returns the outbox record as JSON text. A bad body is Errc::invalid_argument whose
// message ("status report rejected: ...") is what the device is told. Pure: no store, no
// clock, so a fuzz target can call it.
Result<std::string> parse_status_report(const Device& device, std::string_view body,
                                        int64_t now_ms);

// Validates `body` as a status report of `device` received now, and gives it its outbox
// key. Keys sort by arrival: call this on the loop, in the order reports arrive. Records
// never share a key, whichever server (HTTP or CoAP) made them.
Result<cache::OutboxRecord> make_status_record(const Clock& clock, const Device& device,
                                               std::string_view body);

// What the device is told once the outbox append of its report ended with `appended`.
StatusOutcome status_outcome(const Status& appended);

// Validates `body` as a status report of `device` and records it in the outbox, within
// `limits` (cache/status_outbox.h), on the calling thread (one durable commit). The
// servers use a StatusCommitter instead when they have one (southbound/status_committer.h).
StatusOutcome record_status_report(cache::Store& store, const Clock& clock, const Device& device,
                                   std::string_view body, const cache::OutboxLimits& limits);

}  // namespace fleetgate::southbound
