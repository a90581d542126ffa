#include "southbound/device_api.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "common/http_date.h"
#include "common/http_range.h"
#include "common/http_validator.h"
#include "southbound/http_server.h"
#include "southbound/next_json.h"
#include "southbound/status_committer.h"
#include "southbound/status_report.h"

namespace fleetgate::southbound {

namespace {
constexpr std::string_view kBlobPrefix = "/v1/blobs/sha256/";
constexpr std::string_view kDevicesPrefix = "/v1/devices/";
constexpr std::string_view kTufPrefix = "/tuf/";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

HttpReply not_found() { return HttpReply::text(404, "not found"); }

HttpReply unauthorized(std::string_view why) {
  HttpReply r = HttpReply::text(401, why);
  r.header("WWW-Authenticate", "Bearer realm=\"fleetgate\"");
  return r;
}

// The answer to a status report that was validated: 204 once in the outbox, 503 +
// Retry-After when it could not be stored (the device sends it again later).
HttpReply status_reply(const StatusOutcome& outcome) {
  if (outcome.kind == StatusOutcome::Kind::recorded) {
    HttpReply r;
    r.status = 204;
    return r;
  }
  HttpReply r =
      HttpReply::text(outcome.kind == StatusOutcome::Kind::rejected ? 400 : 503, outcome.message);
  if (outcome.kind == StatusOutcome::Kind::not_recorded) r.header("Retry-After", "5");
  return r;
}

HttpReply method_not_allowed(std::string_view allow) {
  HttpReply r = HttpReply::text(405, "method not allowed");
  r.header("Allow", allow);
  return r;
}

// The blob hash in a TUF consistent-snapshot target path: "dir/<sha256>.<name>".
std::string_view target_hash(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = file.find('.');
  return file.substr(0, dot);
}
}  // namespace

const Device* DeviceApi::authenticate(const http::Message& request, const RequestContext& context,
                                      HttpReply* refusal, bool* refused) {
  *refused = false;
  const std::string* auth = request.header("authorization");
  if (auth == nullptr) {
    if (!context.client_cert_cn.empty() && s_.devices != nullptr) {
      return s_.devices->find(context.client_cert_cn);  // verified by the TLS layer
    }
    return nullptr;
  }
  std::string_view v = *auth;
  constexpr std::string_view kBearer = "Bearer ";
  const Device* d = nullptr;
  if (v.size() > kBearer.size() && http::iequals(v.substr(0, kBearer.size()), kBearer) &&
      s_.devices != nullptr) {
    d = s_.devices->authenticate(v.substr(kBearer.size()));
  }
  if (d == nullptr) {
    ++auth_failures_;
    *refused = true;
    *refusal = unauthorized("invalid bearer token");
  }
  return d;
}

HttpReply DeviceApi::handle(const http::Message& request, const RequestContext& context) {
  std::string_view path = request.path();
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";

  if (path == "/healthz") {
    return get ? HttpReply::text(200, "ok") : method_not_allowed("GET, HEAD");
  }
  if (path == "/metrics") return get ? metrics() : method_not_allowed("GET, HEAD");

  HttpReply refusal;
  bool refused = false;
  if (starts_with(path, kBlobPrefix)) {
    if (!get) return method_not_allowed("GET, HEAD");
    return blob(request, context, path.substr(kBlobPrefix.size()));
  }
  if (starts_with(path, kTufPrefix)) {
    if (!get) return method_not_allowed("GET, HEAD");
    return tuf(request, context, path.substr(kTufPrefix.size()));
  }
  if (starts_with(path, kDevicesPrefix)) {
    std::string_view rest = path.substr(kDevicesPrefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return not_found();
    std::string_view id = rest.substr(0, slash);
    std::string_view op = rest.substr(slash + 1);
    if (op != "next" && op != "status") return not_found();
    const Device* device = authenticate(request, context, &refusal, &refused);
    if (refused) return refusal;
    if (device == nullptr) return unauthorized("a device token is required");
    // Another device's id, known or not, gets the same answer.
    if (device->id != id) return HttpReply::text(403, "a device may act only as itself");
    if (op == "next") return get ? next(*device) : method_not_allowed("GET, HEAD");
    return method == "POST" ? status(*device, request, context) : method_not_allowed("POST");
  }
  return not_found();
}

HttpReply DeviceApi::blob(const http::Message& request, const RequestContext& context,
                          std::string_view hex) {
  HttpReply refusal;
  bool refused = false;
  const Device* device = authenticate(request, context, &refusal, &refused);
  if (refused) return refusal;
  auto digest = Sha256Digest::from_hex(hex);
  if (!digest.ok()) return not_found();
  // Access is decided before the cache is consulted, so a refused device learns nothing
  // about what the cache holds.
  if (s_.oracle == nullptr || !s_.oracle->may_read(device, *digest)) {
    if (device == nullptr) return unauthorized("a device token is required");
    return not_found();
  }
  auto info = s_.store->stat(*digest);
  if (!info.ok() || info->state != cache::ArtifactState::ready) return not_found();

  const uint64_t length = info->length;
  const std::string etag = http::strong_etag(digest->hex());
  HttpReply r;
  r.header("ETag", etag);
  if (info->visible_since > 0) {
    r.header("Last-Modified", http::format_http_date(info->visible_since));
  }
  r.header("Accept-Ranges", "bytes");
  r.header("Cache-Control", "public, max-age=31536000, immutable");

  if (const std::string* inm = request.header("if-none-match")) {
    if (http::if_none_match_matches(*inm, etag)) {
      r.status = 304;
      return r;
    }
  }
  r.header("Content-Type", "application/octet-stream");
  uint64_t offset = 0, count = length;
  r.status = 200;
  const std::string* range = request.header("range");
  const std::string* if_range = request.header("if-range");
  if (range != nullptr &&
      (if_range == nullptr || http::if_range_holds(*if_range, etag, info->visible_since))) {
    http::RangeSelection sel = http::select_range(*range, length);
    if (sel.kind == http::RangeSelection::Kind::unsatisfiable) {
      HttpReply u = HttpReply::text(416, "range not satisfiable");
      u.header("Content-Range", http::unsatisfied_content_range(length));
      u.header("ETag", etag);
      return u;
    }
    if (sel.kind == http::RangeSelection::Kind::single) {
      r.status = 206;
      offset = sel.range.first;
      count = sel.range.size();
      r.header("Content-Range", http::content_range(sel.range, length));
    }
  }
  if (request.method == "HEAD") {
    r.head_length = count;
    return r;
  }
  auto reader = s_.store->open_transfer(*digest);
  if (!reader.ok()) {
    if (reader.error().code == Errc::busy) {
      HttpReply busy = HttpReply::text(503, "too many transfers in progress; retry shortly");
      busy.header("Retry-After", "1");
      return busy;
    }
    return not_found();
  }
  (void)s_.store->mark_served(*digest);  // eviction order only; a failure is not fatal
  r.blob = std::move(reader).value();
  r.blob_offset = offset;
  r.blob_length = count;
  return r;
}

HttpReply DeviceApi::next(const Device& device) {
  if (s_.oracle == nullptr) {
    HttpReply r;
    r.status = 204;
    return r;
  }
  NextAnswer a = s_.oracle->next(device);
  switch (a.kind) {
    case NextAnswer::Kind::nothing: {
      HttpReply r;
      r.status = 204;
      return r;
    }
    case NextAnswer::Kind::come_back_later: {
      HttpReply r = HttpReply::text(503, "come back later");
      r.header("Retry-After", std::to_string(a.retry_after.count()));
      return r;
    }
    case NextAnswer::Kind::update:
      break;
  }
  HttpReply r = HttpReply::json(200, next_json(a));
  r.header("Cache-Control", "no-store");
  return r;
}

HttpReply DeviceApi::status(const Device& device, const http::Message& request,
                            const RequestContext& context) {
  if (const std::string* ct = request.header("content-type")) {
    std::string_view type = *ct;
    type = type.substr(0, type.find(';'));
    if (!http::iequals(type, "application/json")) {
      return HttpReply::text(415, "status reports must be application/json");
    }
  }
  StatusCommitter* committer = s_.status_committer;
  if (committer == nullptr || !context.defer_reply) {
    StatusOutcome outcome =
        record_status_report(*s_.store, *s_.clock, device, request.body, s_.outbox);
    if (outcome.kind == StatusOutcome::Kind::rejected) ++reports_->rejected;
    if (outcome.kind == StatusOutcome::Kind::recorded) ++reports_->recorded;
    return status_reply(outcome);
  }
  // Validated and keyed here, in arrival order; appended on the committer's worker. The
  // device's 204 waits for the commit (DESIGN.md section 6), the loop does not.
  Result<cache::OutboxRecord> record = make_status_record(*s_.clock, device, request.body);
  if (!record.ok()) {
    ++reports_->rejected;
    return HttpReply::text(400, record.error().message);
  }
  DeferredReply later = context.defer_reply();
  bool queued = committer->submit(std::move(record).value(),
                                  [later, reports = reports_](const Status& appended) mutable {
                                    StatusOutcome outcome = status_outcome(appended);
                                    if (outcome.kind == StatusOutcome::Kind::recorded)
                                      ++reports->recorded;
                                    later.send(status_reply(outcome));
                                  });
  if (!queued) {
    HttpReply busy = HttpReply::text(503, "too many status reports waiting to be stored; retry");
    busy.header("Retry-After", "5");
    later.send(std::move(busy));
  }
  return HttpReply{};  // ignored: the answer goes through `later`
}

HttpReply DeviceApi::tuf(const http::Message& request, const RequestContext& context,
                         std::string_view rest) {
  if (starts_with(rest, "targets/")) {
    std::string_view hash = target_hash(rest.substr(8));
    return blob(request, context, hash);
  }
  if (rest.empty() || rest.find('/') != std::string_view::npos || rest.size() < 6 ||
      rest.substr(rest.size() - 5) != ".json") {
    return not_found();
  }
  // Signed metadata is public: devices verify it end to end. The trusted state keeps the
  // newest of each top-level role under its name ("root", ...); a versioned file name
  // ("3.root.json") is served only when that is the version held.
  std::string_view name = rest.substr(0, rest.size() - 5);
  std::optional<uint64_t> version;
  if (size_t dot = name.find('.'); dot != std::string_view::npos) {
    uint64_t v = 0;
    for (char c : name.substr(0, dot)) {
      if (c < '0' || c > '9' || v > 1'000'000'000) return not_found();
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    version = v;
    name = name.substr(dot + 1);
  }
  if (name != "root" && name != "timestamp" && name != "snapshot" && name != "targets") {
    return not_found();
  }
  auto value = s_.store->kv_get(cache::Table::trusted_metadata, name);
  if (!value.ok() || !value->has_value()) return not_found();
  if (version) {
    nlohmann::json doc = nlohmann::json::parse(**value, nullptr, false);
    const nlohmann::json* signed_part =
        doc.is_object() && doc.contains("signed") ? &doc["signed"] : nullptr;
    if (signed_part == nullptr || !signed_part->contains("version") ||
        !(*signed_part)["version"].is_number_unsigned() ||
        (*signed_part)["version"].get<uint64_t>() != *version) {
      return not_found();
    }
  }
  HttpReply r = HttpReply::json(200, std::move(**value));
  r.header("Cache-Control", "no-cache");
  if (request.method == "HEAD") {
    r.head_length = r.body.size();
    r.body.clear();
  }
  return r;
}

HttpReply DeviceApi::metrics() {
  std::string out;
  auto counter = [&out](std::string_view name, std::string_view help, std::string_view type,
                        uint64_t v) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  if (stats_) {
    HttpServerStats st = stats_();
    counter("fleetgate_http_connections_accepted_total", "TCP connections accepted.", "counter",
            st.accepted);
    counter("fleetgate_http_connections_refused_total", "Connections closed at a cap.", "counter",
            st.refused_global_cap + st.refused_client_cap);
    counter("fleetgate_http_connections_open", "Open HTTP connections.", "gauge",
            st.open_connections);
    counter("fleetgate_http_requests_total", "HTTP requests answered.", "counter", st.requests);
    counter("fleetgate_http_bad_requests_total", "Malformed HTTP requests rejected.", "counter",
            st.bad_requests);
    counter("fleetgate_http_timeouts_total", "Connections closed by a timeout.", "counter",
            st.timeouts);
    counter("fleetgate_http_blob_bytes_sent_total", "Blob body bytes sent.", "counter",
            st.body_bytes_sent);
  }
  counter("fleetgate_status_reports_recorded_total", "Device status reports recorded.", "counter",
          reports_->recorded);
  counter("fleetgate_status_reports_rejected_total", "Device status reports rejected.", "counter",
          reports_->rejected);
  if (s_.status_committer != nullptr) {
    // Shared by HTTP and CoAP: fewer commits than reports is the grouping at work.
    const StatusCommitterStats& c = s_.status_committer->stats();
    counter("fleetgate_status_commits_total", "Outbox commits of device status reports.", "counter",
            c.commits);
    counter("fleetgate_status_commit_failures_total", "Outbox commits that failed.", "counter",
            c.failed_commits);
    counter("fleetgate_status_reports_refused_total",
            "Status reports refused at once: the commit queue was full.", "counter",
            c.refused_queue_full);
  }
  counter("fleetgate_http_auth_failures_total", "Requests with an invalid token.", "counter",
          auth_failures_);
  if (s_.store != nullptr) {
    if (auto st = s_.store->stats(); st.ok()) {
      counter("fleetgate_cache_ready_bytes", "Bytes of servable artifacts.", "gauge",
              st->ready_bytes);
      counter("fleetgate_cache_open_transfers", "Read transactions held by transfers.", "gauge",
              st->open_transfers);
    }
  }
  if (s_.metrics != nullptr) out += s_.metrics->render();
  HttpReply r = HttpReply::text(200, "");
  r.headers.clear();
  r.header("Content-Type", "text/plain; version=0.0.4");
  r.body = std::move(out);
  return r;
}

}  // namespace fleetgate::southbound
