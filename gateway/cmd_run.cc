// `fleetgate run`: the daemon, on a configuration file or on the built-in demo settings.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/uv.h"
#include "config/config.h"
#include "gateway/commands.h"
#include "gateway/daemon.h"
#include "gateway/demo.h"

namespace fleetgate::gateway {
namespace {

const Logger kLog("run");

constexpr const char* kUsage =
    "usage: fleetgate run -c FILE [--listen ADDR] [--coap-listen ADDR] [--dtls-listen ADDR]\n"
    "       fleetgate run --demo [--listen ADDR] [--coap-listen ADDR] [--dtls-listen ADDR]\n"
    "\n"
    "Runs the gateway in the foreground until SIGTERM or SIGINT.\n"
    "\n"
    "  -c, --config FILE  the configuration file (see config/fleetgate.example.toml)\n"
    "  --demo             built-in settings: state in a new temporary directory, with a\n"
    "                     signed demo repository, one device and its firmware synced;\n"
    "                     HTTP on 127.0.0.1:8080, CoAP on 127.0.0.1:5683 and CoAP over\n"
    "                     DTLS-PSK on 127.0.0.1:5684; removes its state on exit\n"
    "  --listen ADDR      replace [http] listen with ADDR (\"127.0.0.1:0\" picks a port)\n"
    "  --coap-listen ADDR replace [coap] listen (plain CoAP over UDP) with ADDR\n"
    "  --dtls-listen ADDR replace [coap] dtls_listen (CoAP over DTLS-PSK) with ADDR\n"
    "\n"
    "With [northbound] origin set, the gateway syncs at start, then every poll_interval\n"
    "(backing off while the origin is unreachable; downloads wait for sync_window unless\n"
    "a plan is critical). POST /v1/sync/nudge on the [http] listeners, authorized by\n"
    "nudge_token_file or nudge_client_cn, runs a sync at once. The WAN state is the\n"
    "metric fleetgate_wan_state (0 online, 1 degraded, 2 offline) on /metrics.\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop accepting, cancel a running sync (what it committed is\n"
    "kept and resumed at the next start) and give in-flight work shutdown_grace before\n"
    "exiting 0; SIGHUP re-reads FILE (a bad file is logged and the old settings stay).\n"
    "Exit status: 0 stopped cleanly, 1 could not start (e.g. address in use), 2 usage or\n"
    "configuration error (nothing was started).\n";

struct RunArgs {
  std::string config_path;
  bool demo = false;
  std::string listen;
  std::string coap_listen;
  std::string dtls_listen;
};

// Removes the demo's temporary state directory when the run ends.
class DemoStateDir {
 public:
  DemoStateDir() {
    char tmpl[] = "/tmp/fleetgate-demo-XXXXXX";
    if (mkdtemp(tmpl)) path_ = tmpl;
  }
  ~DemoStateDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What to try, with the real addresses, token, PSK and hash of this run.
void print_demo(const Demo& demo, const std::vector<std::string>& addresses,
                const std::vector<std::string>& coaps_addresses) {
  std::printf("fleetgate demo: state in %s (removed on exit)\n", demo.config.state_dir.c_str());
  std::printf(
      "fleetgate demo: signed repository in %s/demo-repo, synced into the cache:\n"
      "                %s (%llu bytes, sha256 %s)\n",
      demo.config.state_dir.c_str(), demo.target.c_str(),
      static_cast<unsigned long long>(demo.length), demo.sha256_hex.c_str());
  const std::string auth = "-H 'Authorization: Bearer " + demo.token + "'";
  for (const auto& a : addresses) {
    std::printf("\ntry:\n");
    std::printf("  curl http://%s/healthz\n", a.c_str());
    std::printf("  curl %s http://%s/v1/devices/%s/next\n", auth.c_str(), a.c_str(),
                demo.device_id.c_str());
    std::printf("  curl %s -o demo.bin http://%s/v1/blobs/sha256/%s && sha256sum demo.bin\n",
                auth.c_str(), a.c_str(), demo.sha256_hex.c_str());
    std::printf("  curl http://%s/metrics\n", a.c_str());
  }
  const std::string psk = "-u " + demo.device_id + " -k " + demo.psk;
  for (const auto& a : coaps_addresses) {
    std::printf("\nCoAP over DTLS-PSK (identity %s):\n", demo.device_id.c_str());
    std::printf("  coap-client-gnutls %s coaps://%s/n/%s\n", psk.c_str(), a.c_str(),
                demo.device_id.c_str());
    std::printf(
        "  coap-client-gnutls %s -b 1024 -o demo-coap.bin coaps://%s/b/%s && "
        "sha256sum demo-coap.bin\n",
        psk.c_str(), a.c_str(), demo.sha256_hex.c_str());
  }
  std::printf("fleetgate demo: stop with Ctrl-C\n");
  std::fflush(stdout);
}

}  // namespace

int cmd_run(Args args) {
  RunArgs ra;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      ra.config_path = args[++i];
    } else if (a == "--demo") {
      ra.demo = true;
    } else if (a == "--listen" && i + 1 < args.size()) {
      ra.listen = args[++i];
    } else if (a == "--coap-listen" && i + 1 < args.size()) {
      ra.coap_listen = args[++i];
    } else if (a == "--dtls-listen" && i + 1 < args.size()) {
      ra.dtls_listen = args[++i];
    } else {
      std::fprintf(stderr, "fleetgate run: unexpected argument '%s'\n\n%s", args[i], kUsage);
      return kExitUsage;
    }
  }
  if (ra.demo == !ra.config_path.empty()) {
    std::fprintf(stderr, "fleetgate run: give exactly one of -c FILE or --demo\n\n%s", kUsage);
    return kExitUsage;
  }

  RealClock clock;
  std::unique_ptr<DemoStateDir> demo_dir;
  std::optional<Demo> demo;
  config::Config cfg;
  if (ra.demo) {
    demo_dir = std::make_unique<DemoStateDir>();
    if (demo_dir->path().empty()) {
      std::fprintf(stderr, "fleetgate run: cannot create a temporary state directory\n");
      return kExitFailed;
    }
    auto prepared = prepare_demo(demo_dir->path(), clock);
    if (!prepared.ok()) {
      std::fprintf(stderr, "fleetgate run: cannot prepare the demo: %s\n",
                   prepared.error().message.c_str());
      return kExitFailed;
    }
    demo = std::move(prepared).value();
    cfg = demo->config;
  } else {
    auto loaded = config::load_config(ra.config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "fleetgate run: %s\n", loaded.error().message.c_str());
      return kExitUsage;
    }
    cfg = std::move(loaded).value();
  }
  if (!ra.listen.empty()) {
    if (auto a = SocketAddress::parse(ra.listen); !a.ok()) {
      std::fprintf(stderr, "fleetgate run: --listen: %s\n", a.error().message.c_str());
      return kExitUsage;
    }
    cfg.http.listen = {ra.listen};
  }
  for (auto [flag, value, target] :
       {std::tuple{"--coap-listen", &ra.coap_listen, &cfg.coap.listen},
        std::tuple{"--dtls-listen", &ra.dtls_listen, &cfg.coap.dtls_listen}}) {
    if (value->empty()) continue;
    if (auto a = SocketAddress::parse(*value); !a.ok()) {
      std::fprintf(stderr, "fleetgate run: %s: %s\n", flag, a.error().message.c_str());
      return kExitUsage;
    }
    *target = {*value};
  }

  // A peer that resets a connection must cost a write error, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  set_log_clock(&clock);
  apply_log_config(cfg.log);

  int status = kExitOk;
  uv::Loop loop;
  {
    Daemon daemon(loop, clock, cfg, ra.config_path);
    Status started = daemon.start();
    if (!started.ok()) {
      kLog.error("cannot start the gateway", {{"error", started.error().message}});
      status = kExitFailed;
      daemon.request_stop("start failed");
    } else if (demo) {
      print_demo(*demo, daemon.http_addresses(), daemon.coaps_addresses());
    }
    loop.run();
  }
  Status closed = loop.close();
  if (!closed.ok()) {
    kLog.error("event loop did not close cleanly", {{"error", closed.error().message}});
    status = kExitFailed;
  }
  set_log_clock(nullptr);
  return status;
}

}  // namespace fleetgate::gateway
