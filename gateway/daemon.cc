#include "gateway/daemon.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <system_error>

#include "cache/status_outbox.h"
#include "cache/store.h"
#include "common/log.h"
#include "common/socket_address.h"
#include "common/tls_context.h"
#include "common/units.h"
#include "gateway/origin_setup.h"
#include "gateway/plan_oracle.h"
#include "gateway/request_router.h"
#include "gateway/sync_service.h"
#include "northbound/status_uploader.h"
#include "southbound/coap_server.h"
#include "southbound/device_registry.h"
#include "southbound/http_server.h"
#include "southbound/status_committer.h"

namespace fleetgate::gateway {
namespace {

const Logger kLog("daemon");

using namespace std::chrono_literals;

// How often the drain checks whether in-flight work has finished.
constexpr std::chrono::milliseconds kDrainPoll = 20ms;

// Keys whose new values need a restart, as "http.listen, state_dir".
std::string restart_keys(const config::Config& old_c, const config::Config& new_c) {
  std::vector<std::string> keys;
  if (old_c.state_dir != new_c.state_dir) keys.push_back("state_dir");
  if (old_c.site != new_c.site) keys.push_back("site");
  if (!(old_c.northbound == new_c.northbound)) keys.push_back("northbound");
  if (!(old_c.cache == new_c.cache)) keys.push_back("cache");
  if (!(old_c.http == new_c.http)) keys.push_back("http");
  if (!(old_c.coap == new_c.coap)) keys.push_back("coap");
  if (!(old_c.devices == new_c.devices)) keys.push_back("devices");
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// One southbound HttpServer per [http] listen or tls_listen address. An HTTPS server
// shares the TLS context, which must outlive it: the service holds both.
class HttpService final : public Service {
 public:
  HttpService(std::unique_ptr<RequestRouter> router, std::unique_ptr<southbound::HttpServer> server,
              std::shared_ptr<TlsContext> tls)
      : router_(std::move(router)), server_(std::move(server)), tls_(std::move(tls)) {}
  std::string_view name() const override { return tls_ ? "https" : "http"; }
  void stop_accepting() override { server_->stop_accepting(); }
  size_t in_flight() const override { return server_->in_flight(); }
  void shut_down(std::function<void()> done) override { server_->close(std::move(done)); }

 private:
  std::unique_ptr<RequestRouter> router_;  // outlives the server that calls it
  std::unique_ptr<southbound::HttpServer> server_;
  std::shared_ptr<TlsContext> tls_;
};

// The CoAP server: every [coap] listen and dtls_listen address on one libcoap context.
class CoapService final : public Service {
 public:
  explicit CoapService(std::unique_ptr<southbound::CoapServer> server)
      : server_(std::move(server)) {}
  std::string_view name() const override { return "coap"; }
  void stop_accepting() override { server_->stop_accepting(); }
  size_t in_flight() const override { return server_->in_flight(); }
  void shut_down(std::function<void()> done) override { server_->close(std::move(done)); }

 private:
  std::unique_ptr<southbound::CoapServer> server_;
};

// Device status reports from HTTP and CoAP go into the outbox on a worker, grouped
// (southbound/status_committer.h). Stopping commits what is queued, so no report the
// devices were told is recorded is lost, and every queued one gets its answer.
class StatusCommitService final : public Service {
 public:
  explicit StatusCommitService(std::unique_ptr<southbound::StatusCommitter> committer)
      : committer_(std::move(committer)) {}
  std::string_view name() const override { return "status_commit"; }
  void stop_accepting() override {}  // the device APIs stop taking reports themselves
  size_t in_flight() const override { return committer_->pending(); }
  void shut_down(std::function<void()> done) override { committer_->close(std::move(done)); }
  southbound::StatusCommitter& committer() { return *committer_; }

 private:
  std::unique_ptr<southbound::StatusCommitter> committer_;
};

// The status uploader (northbound/status_uploader.h): with [northbound] status_url set,
// the outbox goes upstream in batches. A PUT in flight may finish within the shutdown
// grace; what is not stored stays in the outbox for the next start.
class StatusUploadService final : public Service {
 public:
  static Result<std::unique_ptr<StatusUploadService>> create(uv::Loop& loop,
                                                             const config::Config& config,
                                                             cache::Store& store,
                                                             MetricsRegistry& metrics) {
    const config::NorthboundConfig& nb = config.northbound;
    northbound::StatusUploaderOptions options;
    options.site = config.site;
    options.interval = nb.status_interval;
    options.batch_records = static_cast<size_t>(nb.status_batch);
    options.tls = status_tls_for(nb);
    options.metrics = &metrics;
    FG_ASSIGN_OR_RETURN(auto uploader, northbound::StatusUploader::create(
                                           loop, store, nb.status_url, std::move(options)));
    return std::make_unique<StatusUploadService>(std::move(uploader));
  }
  explicit StatusUploadService(std::unique_ptr<northbound::StatusUploader> uploader)
      : uploader_(std::move(uploader)) {}
  void start() { uploader_->start(); }
  std::string_view name() const override { return "status_upload"; }
  void stop_accepting() override { uploader_->stop_accepting(); }
  size_t in_flight() const override { return uploader_->uploading() ? 1 : 0; }
  void shut_down(std::function<void()> done) override {
    uploader_->stop();
    uploader_->when_idle(std::move(done));  // a batch's removal from the outbox finishes
  }

 private:
  std::unique_ptr<northbound::StatusUploader> uploader_;
};

}  // namespace

void apply_log_config(const config::LogConfig& log) {
  set_log_level(log.level);
  set_log_format(log.format);
}

Daemon::Daemon(uv::Loop& loop, const Clock& clock, config::Config config, std::string config_path)
    : loop_(loop),
      clock_(clock),
      config_(std::move(config)),
      config_path_(std::move(config_path)) {}

Daemon::~Daemon() = default;

void Daemon::add_service(std::unique_ptr<Service> service) {
  services_.push_back(std::move(service));
}

Status Daemon::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  if (ec) {
    return make_error(
        Errc::io, "state_dir",
        "cannot create the state directory '" + config_.state_dir + "': " + ec.message());
  }
  // A peer that closes mid-response must cost a write error, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  FG_TRY(open_state());
  FG_TRY(start_sync());
  {
    auto commits = std::make_unique<StatusCommitService>(
        std::make_unique<southbound::StatusCommitter>(loop_.raw(), *store_, outbox_limits()));
    status_committer_ = &commits->committer();
    add_service(std::move(commits));
  }
  FG_TRY(start_http());
  FG_TRY(start_coap());
  StatusUploadService* upload = nullptr;
  if (!config_.northbound.status_url.empty()) {
    FG_ASSIGN_OR_RETURN(auto service,
                        StatusUploadService::create(loop_, config_, *store_, metrics_));
    upload = service.get();
    add_service(std::move(service));
  } else {
    kLog.info("no [northbound] status_url: device status reports stay in the outbox");
  }
  if (sync_) sync_->start();
  if (upload) upload->start();

  auto add_signal = [this](int signum, std::function<void()> fn) -> Status {
    auto w = std::make_unique<uv::SignalWatcher>(loop_);
    FG_TRY(w->start(signum, std::move(fn)));
    signals_.push_back(std::move(w));
    return ok_status();
  };
  FG_TRY(add_signal(SIGTERM, [this] { request_stop("SIGTERM"); }));
  FG_TRY(add_signal(SIGINT, [this] { request_stop("SIGINT"); }));
  FG_TRY(add_signal(SIGHUP, [this] { (void)reload(); }));

  auto joined = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& a : v) out += (out.empty() ? "" : " ") + a;
    return out;
  };
  kLog.info("gateway started",
            {{"http", joined(http_addresses_)},
             {"https", joined(https_addresses_)},
             {"coap", joined(coap_addresses_)},
             {"coaps", joined(coaps_addresses_)},
             {"state_dir", config_.state_dir},
             {"config", config_path_.empty() ? std::string("(built-in)") : config_path_},
             {"shutdown_grace", format_duration(config_.shutdown_grace)}});
  return ok_status();
}

Status Daemon::open_state() {
  auto store = cache::open_lmdb_store(cache::store_options_for(config_, clock_));
  if (!store.ok()) {
    Error e = store.take_error();
    e.message = "cannot open the cache in '" + config_.state_dir + "/cache': " + e.message;
    return e;
  }
  store_ = std::move(store).value();
  oracle_ = std::make_unique<PlanOracle>(*store_, config_.site);
  if (Status s = oracle_->refresh(); !s.ok()) {
    kLog.error("cannot read the sync plan in force; devices get no updates until the next sync",
               {{"error", s.error()}});
  }
  std::error_code ec;
  if (!config_.devices.file.empty() && std::filesystem::exists(config_.devices.file, ec)) {
    auto registry = southbound::DeviceRegistry::load(config_.devices.file);
    if (!registry.ok()) return registry.take_error();
    devices_ = std::make_unique<southbound::DeviceRegistry>(std::move(registry).value());
  } else {
    kLog.warn("no device registry file: only public resources are served",
              {{"file", config_.devices.file}});
  }
  return ok_status();
}

Status Daemon::start_sync() {
  if (config_.northbound.origin.empty()) {
    kLog.info("no [northbound] origin: not syncing; serving what the cache holds");
    return ok_status();
  }
  auto sync = SyncService::create(loop_, clock_, config_, *store_, metrics_);
  if (!sync.ok()) return sync.take_error();
  sync_ = sync->get();
  sync_->set_on_synced([this] {
    if (Status s = oracle_->refresh(); !s.ok()) {
      kLog.error("cannot read the sync plan in force after a sync", {{"error", s.error()}});
    }
  });
  add_service(std::move(sync).value());
  return ok_status();
}

Status Daemon::start_http() {
  const auto& h = config_.http;
  std::shared_ptr<TlsContext> tls;
  if (!h.tls_listen.empty()) {
    ServerTlsOptions tls_options;
    tls_options.cert_file = h.tls_cert;
    tls_options.key_file = h.tls_key;
    tls_options.client_ca_file = h.tls_client_ca;
    tls_options.alpn = {"http/1.1"};
    auto ctx = TlsContext::server(tls_options);
    if (!ctx.ok()) {
      Error e = ctx.take_error();
      e.message = "cannot serve HTTPS with [http] tls_cert / tls_key: " + e.message;
      return e;
    }
    tls = std::make_shared<TlsContext>(std::move(ctx).value());
  }
  auto serve = [&](const std::string& listen, std::shared_ptr<TlsContext> ctx) -> Status {
    southbound::HttpServerOptions options;
    options.listen = listen;
    options.limits.max_head_bytes = h.max_header_bytes;
    options.limits.max_body_bytes = h.max_body_bytes;
    options.head_timeout = h.header_timeout;
    options.idle_timeout = h.idle_timeout;
    options.max_connections = h.max_connections;
    options.tls = ctx ? ctx->raw() : nullptr;
    southbound::Services services;
    services.store = store_.get();
    services.clock = &clock_;
    services.oracle = oracle_.get();
    services.devices = devices_.get();
    services.metrics = &metrics_;
    services.outbox = outbox_limits();
    services.status_committer = status_committer_;
    auto router =
        std::make_unique<RequestRouter>(services, sync_ ? sync_->nudge_endpoint() : nullptr,
                                        sync_ ? sync_->nudge_client_cn() : std::string());
    auto server = southbound::HttpServer::start(loop_.raw(), options, *router, clock_);
    if (!server.ok()) {
      Error e = server.take_error();
      e.message = std::string("cannot serve ") + (ctx ? "HTTPS" : "HTTP") + " on " + listen + ": " +
                  e.message;
      return e;
    }
    auto addr = SocketAddress::parse(listen);
    std::string host = addr.ok() ? addr->to_string() : listen;
    host = host.substr(0, host.rfind(':')) + ":" + std::to_string((*server)->port());
    (ctx ? https_addresses_ : http_addresses_).push_back(host);
    southbound::HttpServer* raw = server->get();
    router->device_api().set_server_stats([raw] { return raw->stats(); });
    add_service(std::make_unique<HttpService>(std::move(router), std::move(server).value(),
                                              std::move(ctx)));
    return ok_status();
  };
  for (const auto& listen : h.listen) FG_TRY(serve(listen, nullptr));
  for (const auto& listen : h.tls_listen) FG_TRY(serve(listen, tls));
  return ok_status();
}

cache::OutboxLimits Daemon::outbox_limits() const {
  const uint64_t max = config_.northbound.status_outbox_max;
  return {max, std::max<uint64_t>(1, max / 100)};
}

Status Daemon::start_coap() {
  const auto& c = config_.coap;
  if (c.listen.empty() && c.dtls_listen.empty()) return ok_status();
  southbound::CoapServerOptions options;
  options.listen = c.listen;
  options.dtls_listen = c.dtls_listen;
  options.max_sessions = c.max_sessions;
  options.max_handshakes = c.max_handshakes;
  options.idle_timeout = c.idle_timeout;
  options.limits.max_payload = c.max_payload;
  options.limits.transfer_idle = c.transfer_idle;
  options.metrics = &metrics_;
  southbound::Services services;
  services.store = store_.get();
  services.clock = &clock_;
  services.oracle = oracle_.get();
  services.devices = devices_.get();
  services.outbox = outbox_limits();
  services.status_committer = status_committer_;
  auto server = southbound::CoapServer::start(loop_.raw(), options, services);
  if (!server.ok()) {
    Error e = server.take_error();
    e.message = "cannot serve CoAP: " + e.message;
    return e;
  }
  coap_addresses_ = (*server)->addresses();
  coaps_addresses_ = (*server)->dtls_addresses();
  add_service(std::make_unique<CoapService>(std::move(server).value()));
  return ok_status();
}

void Daemon::request_stop(std::string_view reason) {
  if (finished_) return;
  if (stopping_) {
    kLog.warn("second stop request: ending in-flight work now", {{"signal", reason}});
    finish(/*forced=*/true);
    return;
  }
  stopping_ = true;
  size_t in_flight = 0;
  for (auto& s : services_) {
    s->stop_accepting();
    in_flight += s->in_flight();
  }
  kLog.info("stopping: no longer accepting", {{"signal", reason},
                                              {"in_flight", in_flight},
                                              {"grace", format_duration(config_.shutdown_grace)}});
  grace_timer_ = std::make_unique<uv::Timer>(loop_);
  grace_timer_->start(config_.shutdown_grace, [this] { finish(/*forced=*/true); });
  drain_poll_ = std::make_unique<uv::Timer>(loop_);
  drain_poll_->start(
      0ms, [this] { check_drained(); }, kDrainPoll);
}

void Daemon::check_drained() {
  for (auto& s : services_) {
    if (s->in_flight() > 0) return;
  }
  finish(/*forced=*/false);
}

void Daemon::finish(bool forced) {
  if (finished_) return;
  finished_ = true;
  size_t left = 0;
  for (auto& s : services_) left += s->in_flight();
  if (forced && left > 0) {
    kLog.warn("shutdown grace over: aborting in-flight work", {{"in_flight", left}});
  }
  // Destroying the timers and watchers from inside their own callbacks is safe: the
  // wrappers free their handles in the close callbacks.
  grace_timer_.reset();
  drain_poll_.reset();
  signals_.clear();
  if (services_.empty()) {
    kLog.info("stopped");
    return;
  }
  services_open_ = services_.size();
  for (auto& s : services_) {
    s->shut_down([this] {
      if (--services_open_ == 0) kLog.info("stopped");
    });
  }
}

Status Daemon::reload() {
  if (config_path_.empty()) {
    kLog.warn("SIGHUP ignored: running on the built-in configuration, no file to reload");
    return make_error(Errc::unsupported, "no_config_file", "no configuration file to reload");
  }
  auto loaded = config::load_config(config_path_);
  if (!loaded.ok()) {
    metrics_
        .counter("fleetgate_config_reloads_total", "Configuration reloads by outcome.",
                 {{"result", "error"}})
        .inc();
    kLog.error("configuration reload failed; the configuration in force stays",
               {{"error", loaded.error().message}});
    return loaded.take_error();
  }
  std::string restart = restart_keys(config_, *loaded);
  // Only what can change while running is taken over; the rest stays as started.
  apply_log_config(loaded->log);
  config_.log = loaded->log;
  config_.shutdown_grace = loaded->shutdown_grace;
  metrics_
      .counter("fleetgate_config_reloads_total", "Configuration reloads by outcome.",
               {{"result", "ok"}})
      .inc();
  if (restart.empty()) {
    kLog.info("configuration reloaded", {{"file", config_path_}});
  } else {
    kLog.warn("configuration reloaded; some changes take effect only after a restart",
              {{"file", config_path_}, {"restart_needed", restart}});
  }
  return ok_status();
}

}  // namespace fleetgate::gateway
