#include "gateway/demo.h"

#include <openssl/is_boringssl.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "cache/store.h"
#include "common/digest.h"
#include "gateway/repo_publisher.h"
#include "northbound/origin.h"
#include "northbound/sync_cycle.h"

namespace fleetgate::gateway {
namespace {

constexpr char kSite[] = "demo";
constexpr char kDevice[] = "demo-sensor";
constexpr char kTarget[] = "firmware/demo-sensor-1.0.bin";
constexpr uint64_t kFirmwareBytes = 256 * 1024;

// Recognisable bytes: a header line, then a repeating counter pattern.
std::string demo_firmware() {
  std::string fw = "fleetgate demo firmware 1.0 for demo-board\n";
  fw.reserve(kFirmwareBytes);
  for (uint32_t i = 0; fw.size() < kFirmwareBytes; ++i) {
    fw.push_back(static_cast<char>((i * 131u + (i >> 8)) & 0xff));
  }
  return fw;
}

// `prefix` + 32 random hex digits: printable, so it can go on a command line.
std::string random_secret(std::string_view prefix) {
  uint8_t raw[16];
  RAND_bytes(raw, sizeof raw);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(prefix);
  for (uint8_t b : raw) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  return token;
}

Status write_private_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return make_error(Errc::io, "write", "cannot write " + path);
  if (::chmod(path.c_str(), 0600) != 0)
    return make_error(Errc::io, "chmod", "cannot chmod " + path);
  return ok_status();
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "read", "cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<Demo> prepare_demo(const std::string& state_dir, const Clock& clock) {
  Demo demo;
  demo.device_id = kDevice;
  demo.token = random_secret("demo-");
  demo.psk = random_secret("psk-");
  demo.target = kTarget;

  // The publisher side, as the cloud would run it.
  FG_ASSIGN_OR_RETURN(Repository repo, Repository::init(state_dir + "/demo-repo", {}, clock));
  const std::string firmware = demo_firmware();
  FG_TRY(repo.add_target(kTarget, firmware));
  FG_TRY(repo.add_plan(std::string(R"({"site": ")") + kSite + R"(", "version": 1, )" +
                       R"("deployments": [{"id": "demo-rollout", "target": ")" + kTarget +
                       R"(", "select": {"group": "demo"}}]})"));
  demo.sha256_hex = Sha256::of(firmware).hex();
  demo.length = firmware.size();

  config::Config& c = demo.config;
  c.site = kSite;
  c.state_dir = state_dir;
  c.shutdown_grace = std::chrono::seconds(2);
  c.http.listen = {"127.0.0.1:8080"};
  c.coap.listen = {"127.0.0.1:5683"};
  c.coap.dtls_listen = {"127.0.0.1:5684"};
  c.cache.quota = 1ull << 30;
  c.northbound.origin = repo.url();
  c.northbound.trust_root = repo.root_path();
  c.devices.file = state_dir + "/devices.toml";
  FG_TRY(write_private_file(c.devices.file,
                            std::string("[[device]]\nid = \"") + kDevice +
                                "\"\ngroup = \"demo\"\nhardware = \"demo-board\"\ntoken = \"" +
                                demo.token + "\"\npsk = \"" + demo.psk + "\"\n"));

  // The gateway side: one verified sync, so the firmware is cached before devices ask.
  FG_ASSIGN_OR_RETURN(std::unique_ptr<cache::Store> store,
                      cache::open_lmdb_store(cache::store_options_for(c, clock)));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<northbound::Origin> origin,
                      northbound::open_file_origin(c.northbound.origin));
  northbound::SyncRequest request;
  request.site = kSite;
  FG_ASSIGN_OR_RETURN(request.initial_root, read_file(c.northbound.trust_root));
  FG_TRY(northbound::run_sync_once(*store, *origin, clock, request));
  return demo;
}

}  // namespace fleetgate::gateway
