// Side-by-side CoAP benchmark: fleetgate's CoAP device API (GET /b/{hex}, DTLS-PSK, Block2)
// against libcoap's own coap-server-gnutls serving the same bytes (a resource PUT into
// it with -d), both on 127.0.0.1, each fetched with coap-client-gnutls -b 1024 over
// DTLS-PSK, alternating rounds. Prints per server the median wall time of one fetch and
// the server's CPU time per fetch (fleetgate's loop thread, coap-server's process), which
// is less sensitive to other load on the machine, and the ratios fleetgate / coap-server.
//
//   build/default/bench/coap_bench [rounds=5] [bytes=1048576]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/store.h"
#include "common/clock.h"
#include "common/digest.h"
#include "southbound/coap_server.h"

using namespace fleetgate;
namespace fs = std::filesystem;

namespace {

constexpr char kDevice[] = "bench-sensor";
constexpr char kPsk[] = "bench-psk-0123456789abcdef";

// Every device may read every blob: the bench measures serving, not policy.
class OpenOracle final : public southbound::DeploymentOracle {
 public:
  southbound::NextAnswer next(const southbound::Device&) override { return {}; }
  bool may_read(const southbound::Device*, const Sha256Digest&) override { return true; }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// In a forked child: stdio to /dev/null, and die with the bench.
void detach_child() {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) dup2(null, fd);
  if (null > 2) close(null);
}

// Runs argv to completion with stdio on /dev/null; returns the exit status.
int run(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    detach_child();
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A UDP port p such that p and p + 1 are free now (coap-server takes both).
int free_port_pair() {
  for (int tries = 0; tries < 50; ++tries) {
    int a = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(a, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(a, reinterpret_cast<sockaddr*>(&sa), &len);
    int port = ntohs(sa.sin_port);
    int b = socket(AF_INET, SOCK_DGRAM, 0);
    sa.sin_port = htons(static_cast<uint16_t>(port + 1));
    bool ok = port < 65535 && bind(b, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(a);
    close(b);
    if (ok) return port;
  }
  return -1;
}

double process_cpu_s(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t close_paren = stat.rfind(')');
  std::istringstream in(stat.substr(close_paren + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    in >> field;
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double thread_cpu_s(pthread_t thread) {
  clockid_t cid;
  pthread_getcpuclockid(thread, &cid);
  timespec ts{};
  clock_gettime(cid, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const size_t bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : (1u << 20);

  char tmpl[] = "/tmp/fg-coap-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  std::string blob(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) blob[i] = static_cast<char>((i * 2654435761u) >> 13);
  const Sha256Digest digest = Sha256::of(blob);
  const std::string file = dir + "/blob.bin";
  std::ofstream(file, std::ios::binary) << blob;

  RealClock clock;
  cache::StoreOptions so;
  so.dir = dir + "/cache";
  so.quota_bytes = 1ull << 30;
  so.clock = &clock;
  auto store = cache::open_lmdb_store(so);
  if (!store.ok()) return 1;
  {
    auto ingest = (*store)->begin_ingest(digest, bytes, "bench/blob.bin");
    if (!ingest.ok() ||
        !(*ingest)->append({reinterpret_cast<const uint8_t*>(blob.data()), blob.size()}).ok() ||
        !(*ingest)->finish().ok()) {
      std::fprintf(stderr, "coap_bench: cannot ingest the blob\n");
      return 1;
    }
  }
  auto registry = southbound::DeviceRegistry::parse(
      std::string("[[device]]\nid = \"") + kDevice + "\"\npsk = \"" + kPsk + "\"\n", "bench");
  OpenOracle oracle;

  uv_loop_t loop;
  uv_loop_init(&loop);
  southbound::CoapServerOptions options;
  options.dtls_listen = {"127.0.0.1:0"};
  southbound::Services services{store->get(), &clock, &oracle, &*registry};
  auto server = southbound::CoapServer::start(&loop, options, services);
  if (!server.ok()) {
    std::fprintf(stderr, "coap_bench: %s\n", server.error().to_string().c_str());
    return 1;
  }
  uv_async_t stop;
  stop.data = server->get();
  uv_async_init(&loop, &stop, [](uv_async_t* a) {
    static_cast<southbound::CoapServer*>(a->data)->close(
        [a] { uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr); });
  });
  std::thread loop_thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });
  const std::string ours = "coaps://" + (*server)->dtls_addresses().at(0) + "/b/" + digest.hex();

  // The anchor: coap-server-gnutls with the same PSK and the same bytes PUT into it.
  const int port = free_port_pair();
  pid_t anchor = fork();
  if (anchor == 0) {
    detach_child();
    execl("/usr/bin/coap-server-gnutls", "coap-server-gnutls", "-A", "127.0.0.1", "-p",
          std::to_string(port).c_str(), "-k", kPsk, "-d", "4", "-v", "0", nullptr);
    _exit(127);
  }
  const std::string theirs = "coaps://127.0.0.1:" + std::to_string(port + 1) + "/blob";
  const std::vector<std::string> client = {
      "/usr/bin/coap-client-gnutls", "-B", "30", "-u", kDevice, "-k", kPsk};
  auto fetch = [&](const std::string& uri, const std::string& out) {
    std::vector<std::string> a = client;
    a.insert(a.end(), {"-b", "1024", "-o", out, uri});
    fs::remove(out);
    run(a);
    return slurp(out) == blob;
  };
  bool put = false;
  for (int i = 0; i < 50 && !put; ++i) {  // until coap-server answers (bounded)
    std::vector<std::string> a = client;
    a.insert(a.end(), {"-m", "put", "-b", "1024", "-f", file, theirs});
    run(a);
    put = fetch(theirs, dir + "/check.bin");
    if (!put) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!put || !fetch(ours, dir + "/check.bin")) {
    std::fprintf(stderr, "coap_bench: a server did not return the blob intact\n");
    kill(anchor, SIGKILL);
    return 1;
  }

  std::vector<double> ours_s, theirs_s, ours_cpu, theirs_cpu;
  const pthread_t loop_handle = loop_thread.native_handle();
  for (int r = 0; r < rounds; ++r) {
    for (int side = 0; side < 2; ++side) {
      const bool fleetgate = (r + side) % 2 == 0;  // alternate who goes first
      double cpu0 = fleetgate ? thread_cpu_s(loop_handle) : process_cpu_s(anchor);
      auto t0 = std::chrono::steady_clock::now();
      bool ok = fetch(fleetgate ? ours : theirs, dir + "/out.bin");
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double cpu = (fleetgate ? thread_cpu_s(loop_handle) : process_cpu_s(anchor)) - cpu0;
      if (!ok) {
        std::fprintf(stderr, "coap_bench: a fetch came back wrong\n");
        kill(anchor, SIGKILL);
        return 1;
      }
      (fleetgate ? ours_s : theirs_s).push_back(wall);
      (fleetgate ? ours_cpu : theirs_cpu).push_back(cpu);
    }
  }
  kill(anchor, SIGTERM);
  waitpid(anchor, nullptr, 0);
  uv_async_send(&stop);
  loop_thread.join();
  uv_loop_close(&loop);
  server->reset();
  store->reset();
  fs::remove_all(dir);

  const double mib = static_cast<double>(bytes) / (1 << 20);
  const double ow = median(ours_s), tw = median(theirs_s);
  const double oc = median(ours_cpu), tc = median(theirs_cpu);
  std::printf("coap blob %.2f MiB, DTLS-PSK, coap-client-gnutls -b 1024, median of %d rounds\n",
              mib, rounds);
  std::printf("  fleetgate    : %.3f s per fetch (%.2f MiB/s), server CPU %.3f s\n", ow, mib / ow,
              oc);
  std::printf("  coap-server  : %.3f s per fetch (%.2f MiB/s), server CPU %.3f s\n", tw, mib / tw,
              tc);
  std::printf("  throughput ratio fleetgate / coap-server: %.2fx\n", tw / ow);
  std::printf("  server CPU ratio coap-server / fleetgate: %.2fx (higher is better for us)\n",
              oc > 0 ? tc / oc : 0.0);
  return 0;
}
