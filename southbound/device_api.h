// The device API over HTTP (DESIGN.md section 4): routes, authentication and the answers.
//
//   GET|HEAD /v1/blobs/sha256/{hex}   blob, zero-copy, Range / If-Range / If-None-Match
//   GET      /v1/devices/{id}/next    what to run (200 JSON / 204 / 503 + Retry-After)
//   POST     /v1/devices/{id}/status  status report, recorded in the outbox before 204
//   GET      /tuf/{role}.json         trusted TUF metadata; /tuf/targets/... by hash
//   GET      /healthz, /metrics
//
// Devices authenticate with "Authorization: Bearer <token>" (or an mTLS certificate whose
// subject CN is the device id). A device reads only blobs the oracle allows and reports
// only its own status. Refusals never reveal whether a blob is cached: a device that may
// not read a hash gets the same 404 as for a hash nobody has.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cache/status_outbox.h"
#include "cache/store.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "southbound/deployment_oracle.h"
#include "southbound/device_registry.h"
#include "southbound/http_reply.h"

namespace fleetgate::southbound {

struct HttpServerStats;
class StatusCommitter;

// What the device API needs from the rest of the gateway. All must outlive it.
struct Services {
  cache::Store* store = nullptr;
  const Clock* clock = nullptr;
  DeploymentOracle* oracle = nullptr;
  const DeviceRegistry* devices = nullptr;
  const MetricsRegistry* metrics = nullptr;  // optional: rendered after our own counters
  cache::OutboxLimits outbox = {};           // bound on the status reports kept for upload
  // Optional: status reports are appended on its worker, grouped, and answered when
  // durable. Null: each report is appended on the loop thread (tools and old tests).
  StatusCommitter* status_committer = nullptr;
};

class DeviceApi final : public RequestHandler {
 public:
  explicit DeviceApi(Services services) : s_(services) {}
  HttpReply handle(const http::Message& request, const RequestContext& context) override;
  // Where /metrics reads the server's counters from.
  void set_server_stats(std::function<HttpServerStats()> stats) { stats_ = std::move(stats); }

  uint64_t reports_recorded() const { return reports_->recorded; }

 private:
  // The authenticated device, nullptr for none, or a 401 already in `refusal`.
  const Device* authenticate(const http::Message& request, const RequestContext& context,
                             HttpReply* refusal, bool* refused);
  HttpReply blob(const http::Message& request, const RequestContext& context, std::string_view hex);
  HttpReply next(const Device& device);
  HttpReply status(const Device& device, const http::Message& request,
                   const RequestContext& context);
  HttpReply tuf(const http::Message& request, const RequestContext& context, std::string_view rest);
  HttpReply metrics();

  Services s_;
  // Status report counts. Shared with answers still waiting for a commit, which may
  // come after the API is gone.
  struct ReportCounts {
    uint64_t recorded = 0;
    uint64_t rejected = 0;
  };
  std::function<HttpServerStats()> stats_;
  std::shared_ptr<ReportCounts> reports_ = std::make_shared<ReportCounts>();
  uint64_t auth_failures_ = 0;
};

}  // namespace fleetgate::southbound
