#include "northbound/status_uploader.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>

#include "common/digest.h"
#include "common/json_escape.h"
#include "common/log.h"

namespace fleetgate::northbound {
namespace {

const Logger kLog("northbound");

// Where the epoch is kept (Table::settings).
constexpr std::string_view kEpochKey = "status_upload_epoch";
// Response body bytes kept for the log line of a refusal.
constexpr size_t kLoggedBody = 256;

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

bool url_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

std::string percent_encoded(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (url_safe(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

}  // namespace

Result<std::string> status_epoch(cache::Store& store) {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> kept,
                      store.kv_get(cache::Table::settings, kEpochKey));
  if (kept && !kept->empty()) return *kept;
  std::random_device rd;
  uint8_t bytes[8];
  for (auto& b : bytes) b = static_cast<uint8_t>(rd());
  std::string epoch = to_hex(bytes);
  const cache::KvWrite write{cache::Table::settings, std::string(kEpochKey), epoch};
  FG_TRY(store.kv_write(std::span<const cache::KvWrite>(&write, 1)));
  return epoch;
}

std::string StatusUploader::seq_of(const cache::OutboxRecord& first) {
  const std::string digest = Sha256::of(std::string_view(first.value)).hex();
  return percent_encoded(first.key) + "-" + digest.substr(0, 8);
}

std::string StatusUploader::batch_document(std::string_view site, std::string_view epoch,
                                           std::string_view seq,
                                           const std::vector<cache::OutboxRecord>& records) {
  size_t size = 64 + site.size() + epoch.size() + seq.size();
  for (const auto& r : records) size += r.value.size() + 1;
  std::string doc;
  doc.reserve(size);
  doc += "{\"site\":";
  append_json_string(doc, site, JsonEscapeStyle::library);
  doc += ",\"epoch\":";
  append_json_string(doc, epoch, JsonEscapeStyle::library);
  doc += ",\"seq\":";
  append_json_string(doc, seq, JsonEscapeStyle::library);
  doc += ",\"records\":[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) doc += ',';
    const std::string& v = records[i].value;
    if (nlohmann::json::accept(v)) {
      doc += v;
    } else {
      // Never expected (records are written as JSON); sent as a string rather than
      // breaking the document or silently leaving it out.
      doc += "{\"unparsable_record\":";
      append_json_string(doc, v, JsonEscapeStyle::library);
      doc += '}';
    }
  }
  doc += "]}";
  return doc;
}

Result<std::unique_ptr<StatusUploader>> StatusUploader::create(uv::Loop& loop, cache::Store& store,
                                                               std::string_view status_url,
                                                               StatusUploaderOptions options) {
  auto url = OriginUrl::parse(status_url);
  if (!url.ok()) {
    Error e = url.take_error();
    e.detail = "status_url";
    e.message = "[northbound] status_url: " + e.message;
    return e;
  }
  if (options.site.empty()) {
    return make_error(Errc::config, "status_site",
                      "[northbound] status_url needs site to be set: batches go to "
                      "{status_url}{site}/{epoch}/{seq}.json");
  }
  if (url->scheme == "https" && !options.http.tls) {
    FG_ASSIGN_OR_RETURN(options.http.tls, tls::ClientContext::create(options.tls));
  }
  options.batch_records = std::max<size_t>(1, options.batch_records);
  FG_ASSIGN_OR_RETURN(std::string epoch, status_epoch(store));
  return std::unique_ptr<StatusUploader>(new StatusUploader(loop, store, std::move(url).value(),
                                                            std::move(options), std::move(epoch)));
}

StatusUploader::StatusUploader(uv::Loop& loop, cache::Store& store, OriginUrl url,
                               StatusUploaderOptions options, std::string epoch)
    : loop_(loop),
      store_(store),
      url_(std::move(url)),
      options_(std::move(options)),
      epoch_(std::move(epoch)),
      batch_limit_(options_.batch_records),
      backoff_(options_.retry_base, options_.retry_cap,
               options_.seed != 0 ? options_.seed : random_seed()),
      timer_(loop) {}

StatusUploader::~StatusUploader() {
  stop();
  *alive_ = false;  // the removal's completion on the loop, if still to come, does nothing
  if (removal_) {
    std::unique_lock lock(removal_->mu);
    removal_->cv.wait(lock, [&] { return removal_->over; });
  }
}

void StatusUploader::when_idle(std::function<void()> done) {
  if (!removal_) return done();
  idle_waiters_.push_back(std::move(done));
}

void StatusUploader::start() {
  stopped_ = false;
  if (!client_) client_ = std::make_unique<HttpClient>(loop_, url_, options_.http);
  kLog.info("status upload started",
            {{"status_url", url_.to_string()}, {"site", options_.site}, {"epoch", epoch_}});
  arm(std::chrono::milliseconds(0));
}

void StatusUploader::stop_accepting() {
  stopped_ = true;
  timer_.stop();
}

void StatusUploader::stop() {
  stop_accepting();
  if (!client_) return;
  if (client_->busy()) client_->cancel();  // exchange_done keeps the batch
  // The kept-alive connection goes too, so a stopped uploader holds no handle open that
  // would keep the loop running. Freed on the next turn: we may be inside its callback.
  loop_.defer_delete(std::move(client_));
}

void StatusUploader::arm(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.start(delay, [this] { send_next(); });
}

void StatusUploader::send_next() {
  if (stopped_ || uploading() || !client_) return;
  auto batch = cache::read_outbox_batch(store_, batch_limit_, options_.batch_bytes);
  if (!batch.ok()) return retry("cannot read the status outbox: " + batch.error().message, 0);
  if (batch->empty()) return arm(options_.interval);
  in_flight_ = std::move(batch).value();
  const std::string seq = seq_of(in_flight_.front());
  target_ = url_.base_path + options_.site + "/" + epoch_ + "/" + seq + ".json";
  std::string body = batch_document(options_.site, epoch_, seq, in_flight_);
  response_status_ = 0;
  response_bytes_ = 0;
  response_start_.clear();
  client_->request(
      "PUT", target_, {{"Content-Type", "application/json"}}, std::move(body),
      [this](const http::Message& head) {
        response_status_ = head.status;
        return ok_status();
      },
      [this](std::string_view bytes) -> Status {
        response_bytes_ += bytes.size();
        if (response_start_.size() < kLoggedBody) {
          response_start_.append(bytes.substr(0, kLoggedBody - response_start_.size()));
        }
        if (response_bytes_ > kMaxResponseBody) {
          return make_error(
              Errc::network, "response_too_large",
              "status upload response body exceeds " + std::to_string(kMaxResponseBody) + " bytes");
        }
        return ok_status();
      },
      [this](Status status) { exchange_done(std::move(status)); });
}

void StatusUploader::exchange_done(Status status) {
  const bool stored = response_status_ >= 200 && response_status_ < 300;
  if (!stored) {
    const size_t records = in_flight_.size();
    in_flight_.clear();
    if (stopped_) return;  // cancelled: the batch stays and goes at the next start
    if (response_status_ == 413 && records > 1) {
      // The server takes smaller bodies than we send: halve the batches from now on,
      // down to one record, rather than refusing the same batch forever.
      batch_limit_ = records / 2;
      kLog.warn("status upload body too large for the server; smaller batches from now on",
                {{"records", records}, {"batch_records", batch_limit_}});
    }
    if (!status.ok()) return retry(status.error().message, response_status_);
    std::string why = "HTTP " + std::to_string(response_status_);
    if (!response_start_.empty()) why += ": " + response_start_;
    return retry(why, response_status_);
  }
  // A 2xx head means the server stored the batch, even if the rest of the response was
  // cut or too long. Its removal is a durable commit: off the loop.
  removal_ = std::make_shared<Removal>();
  removal_->sent = std::move(in_flight_);
  in_flight_.clear();
  loop_.queue_work(
      [r = removal_, store = &store_] {
        r->removed = cache::remove_from_outbox(*store, r->sent);
        std::lock_guard lock(r->mu);
        r->over = true;
        r->cv.notify_all();
      },
      [this, alive = alive_, r = removal_](Status queued) {
        if (!*alive) return;
        if (!queued.ok()) r->removed = queued.take_error();
        removal_done(*r);
      });
}

void StatusUploader::removal_done(Removal& removal) {
  removal_.reset();  // `removal` stays alive: the completion callback holds it
  std::vector<std::function<void()>> waiters = std::move(idle_waiters_);
  idle_waiters_.clear();
  for (auto& w : waiters) loop_.defer(std::move(w));
  const std::vector<cache::OutboxRecord>& sent = removal.sent;
  if (!removal.removed.ok()) {
    // Stored upstream but still in the outbox: it goes again under the same name.
    return retry(
        "batch stored, but not removed from the outbox: " + removal.removed.error().message,
        response_status_);
  }
  ++batches_stored_;
  records_stored_ += sent.size();
  if (options_.metrics) {
    options_.metrics
        ->counter("fleetgate_status_batches_total", "Status batches PUT upstream, by outcome.",
                  {{"result", "stored"}})
        .inc();
    options_.metrics
        ->counter("fleetgate_status_records_uploaded_total",
                  "Outbox records (reports and gap records) stored upstream.")
        .inc(sent.size());
  }
  if (backoff_.attempts() > 0) {
    kLog.info("status upload works again", {{"failed_attempts", backoff_.attempts()}});
  }
  backoff_.reset();
  kLog.debug("status batch stored", {{"target", target_},
                                     {"records", sent.size()},
                                     {"removed", *removal.removed},
                                     {"status", response_status_}});
  // More waiting (the batch was full, or records arrived meanwhile): the next one at once.
  auto left = store_.kv_count(cache::Table::outbox);
  arm(left.ok() && *left > 0 ? std::chrono::milliseconds(0) : options_.interval);
}

void StatusUploader::retry(const std::string& why, int status) {
  ++failures_;
  if (options_.metrics) {
    options_.metrics
        ->counter("fleetgate_status_batches_total", "Status batches PUT upstream, by outcome.",
                  {{"result", "failed"}})
        .inc();
  }
  const std::chrono::milliseconds delay = backoff_.next();
  kLog.warn("status upload failed; the batch stays in the outbox and goes again",
            {{"target", target_},
             {"status", status},
             {"error", why},
             {"attempt", backoff_.attempts()},
             {"retry_in_ms", delay.count()}});
  arm(delay);
}

}  // namespace fleetgate::northbound
