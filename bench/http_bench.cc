// Side-by-side HTTP(S) benchmark: fleetgate's device API against nginx (worker_processes 1,
// sendfile on) serving the same bytes from files, both on 127.0.0.1, measured with wrk.
// Prints each figure and the ratio fleetgate / nginx.
//
//   build/default/bench/http_bench [seconds=5] [nginx template] [cases]   (from the repo root)
//
// `cases` is a comma list of blob,next,tls-blob,tls-next,idle (default: all). Besides the
// wrk figures each case prints the server's CPU time per request (fleetgate's loop thread,
// nginx's worker process): less sensitive to other load on the machine than throughput.
//
// Cases: 16 MiB blob at 64 keep-alive connections (throughput), "next" JSON at 256
// connections against a static file of the same size (requests/s), the HTTPS variants,
// and idle memory per open keep-alive connection at 10,000 connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cache/store.h"
#include "common/clock.h"
#include "common/tls_context.h"
#include "southbound/http_server.h"

using namespace fleetgate;
namespace fs = std::filesystem;

namespace {
constexpr char kToken[] = "bench-device-token-0123456789";

std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// wrk's "Requests/sec" and "Transfer/sec" (bytes).
struct WrkResult {
  double rps = 0;
  double bytes_per_s = 0;
  bool errors = false;
};

WrkResult wrk(const std::string& url, int conns, int seconds, const std::string& header = "") {
  // A 16 MiB answer shared by 64 connections can take longer than wrk's default 2 s.
  std::string cmd =
      "wrk -t1 --timeout 30s -c" + std::to_string(conns) + " -d" + std::to_string(seconds) + "s ";
  if (!header.empty()) cmd += "-H '" + header + "' ";
  std::string out = sh(cmd + url + " 2>&1");
  WrkResult r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) r.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex("Transfer/sec:\\s+([0-9.]+)([KMG]?)B"))) {
    double v = std::stod(m[1]);
    std::string u = m[2];
    r.bytes_per_s = v * (u == "K" ? 1024.0 : u == "M" ? 1048576.0 : u == "G" ? 1073741824.0 : 1.0);
  }
  r.errors =
      out.find("Non-2xx") != std::string::npos || out.find("Socket errors") != std::string::npos;
  return r;
}

class Oracle final : public southbound::DeploymentOracle {
 public:
  southbound::NextAnswer answer;
  southbound::NextAnswer next(const southbound::Device&) override { return answer; }
  bool may_read(const southbound::Device*, const Sha256Digest&) override { return true; }
};

long rss_anon_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

void print(const std::string& what, double ours, double theirs, const std::string& unit) {
  std::printf("%-44s fleetgate %12.1f  nginx %12.1f %-6s ratio %.2f\n", what.c_str(), ours, theirs,
              unit.c_str(), theirs > 0 ? ours / theirs : 0.0);
}

// A TCP port on 127.0.0.1 that is free right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    port = ntohs(sa.sin_port);
  }
  ::close(fd);
  return port;
}

// CPU seconds (user + system) used so far by a thread of this process.
double thread_cpu_seconds(pthread_t thread) {
  clockid_t id;
  timespec ts{};
  if (pthread_getcpuclockid(thread, &id) != 0 || clock_gettime(id, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds (user + system) used so far by another process (nginx's single worker).
double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  std::string cases =
      argc > 3 ? std::string(",") + argv[3] + "," : ",blob,next,tls-blob,tls-next,idle,";
  auto run = [&cases](const char* name) {
    return cases.find(std::string(",") + name + ",") != std::string::npos;
  };
  ::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write must not kill the server
  fs::path dir = fs::temp_directory_path() / ("fg-http-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "www" / "v1" / "blobs" / "sha256");
  fs::create_directories(dir / "www" / "v1" / "devices" / "bench-1");
  fs::create_directories(dir / "lmdb");
  std::string d = dir.string();
  sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d +
     "/key.pem -out " + d + "/cert.pem -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1");

  RealClock clock;
  cache::StoreOptions so;
  so.dir = d + "/lmdb";
  so.quota_bytes = 256ull << 20;
  so.max_transfers = 1024;
  so.clock = &clock;
  auto store = cache::open_lmdb_store(so).value();
  std::string blob(16 << 20, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 2654435761u >> 24);
  Sha256Digest digest = Sha256::of(blob);
  {
    auto ing = store->begin_ingest(digest, blob.size(), "bench/blob.bin").value();
    (void)ing->append(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()));
    (void)ing->finish();
  }
  std::ofstream(d + "/www/v1/blobs/sha256/" + digest.hex(), std::ios::binary) << blob;

  auto registry =
      southbound::DeviceRegistry::parse(
          std::string("[[device]]\nid = \"bench-1\"\ntoken = \"") + kToken + "\"\n", "bench")
          .value();
  Oracle oracle;
  oracle.answer.kind = southbound::NextAnswer::Kind::update;
  oracle.answer.deployment = "sensor-2.1";
  oracle.answer.target = "fw/sensor-v2.1.bin";
  oracle.answer.length = blob.size();
  oracle.answer.sha256 = digest;
  southbound::Services services{store.get(), &clock, &oracle, &registry, nullptr};

  // Measure the JSON "next" answer's size so nginx serves a file of the same size.
  auto tls = TlsContext::server({d + "/cert.pem", d + "/key.pem", "", false, {}}).value();
  uv_loop_t loop;
  uv_loop_init(&loop);
  southbound::HttpServerOptions plain_opts, tls_opts;
  plain_opts.max_connections = 20000;
  plain_opts.max_connections_per_client = 20000;
  tls_opts = plain_opts;
  tls_opts.tls = tls.raw();
  auto plain = southbound::HttpServer::start(&loop, plain_opts, services).value();
  auto secure = southbound::HttpServer::start(&loop, tls_opts, services).value();
  std::thread loop_thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });

  std::string ours = "http://127.0.0.1:" + std::to_string(plain->port());
  std::string ours_tls = "https://127.0.0.1:" + std::to_string(secure->port());
  std::string next_body = sh("curl -s -H 'Authorization: Bearer " + std::string(kToken) + "' " +
                             ours + "/v1/devices/bench-1/next");
  std::ofstream(d + "/www/v1/devices/bench-1/next", std::ios::binary) << next_body;

  // nginx on two ports the kernel says are free now (not "next to ours": the kernel may
  // have given one of those to our TLS listener).
  int nginx_port = free_port(), nginx_tls_port = free_port();
  while (nginx_tls_port == nginx_port) nginx_tls_port = free_port();
  // The template sits next to this source file; run from the repository root or pass it.
  std::string tmpl_path = argc > 2 ? argv[2] : "bench/http_bench_nginx.conf.in";
  if (!fs::exists(tmpl_path))
    tmpl_path = fs::path(__FILE__).parent_path() / "http_bench_nginx.conf.in";
  std::ifstream tmpl(tmpl_path);
  if (!tmpl) {
    std::fprintf(stderr, "http_bench: cannot read %s\n", tmpl_path.c_str());
    return 2;
  }
  std::stringstream ss;
  ss << tmpl.rdbuf();
  std::string conf = ss.str();
  auto fill = [&conf](const std::string& key, const std::string& v) {
    for (size_t p; (p = conf.find(key)) != std::string::npos;) conf.replace(p, key.size(), v);
  };
  fill("@PREFIX@", d);
  fill("@PORT@", std::to_string(nginx_port));
  fill("@TLS_PORT@", std::to_string(nginx_tls_port));
  fill("@ROOT@", d + "/www");
  fill("@CERT@", d + "/cert.pem");
  fill("@KEY@", d + "/key.pem");
  std::ofstream(d + "/nginx.conf") << conf;
  pid_t nginx = ::fork();
  if (nginx == 0) {
    ::execlp("nginx", "nginx", "-p", d.c_str(), "-c", (d + "/nginx.conf").c_str(), nullptr);
    ::_exit(127);
  }
  std::string theirs = "http://127.0.0.1:" + std::to_string(nginx_port);
  std::string theirs_tls = "https://127.0.0.1:" + std::to_string(nginx_tls_port);
  for (int i = 0; i < 100 && sh("curl -s -o /dev/null -w '%{http_code}' " + theirs +
                                "/v1/devices/bench-1/next") != "200";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // waiting for nginx to bind
  }

  std::printf("http_bench: %d s per run, wrk -t1, 127.0.0.1, %u CPUs\n", seconds,
              std::thread::hardware_concurrency());
  std::string blob_path = "/v1/blobs/sha256/" + digest.hex();
  std::string auth = std::string("Authorization: Bearer ") + kToken;
  pthread_t loop_handle = loop_thread.native_handle();
  // One case: wrk against each server in turn, with the CPU time each server spent.
  auto compare = [&](const std::string& what, const std::string& path, int conns,
                     const std::string& header, bool tls_case, bool throughput) {
    double c0 = thread_cpu_seconds(loop_handle);
    WrkResult a = wrk((tls_case ? ours_tls : ours) + path, conns, seconds, header);
    double c1 = thread_cpu_seconds(loop_handle);
    double n0 = process_cpu_seconds(nginx);
    WrkResult b = wrk((tls_case ? theirs_tls : theirs) + path, conns, seconds);
    double n1 = process_cpu_seconds(nginx);
    if (throughput) {
      print(what + " (MiB/s)", a.bytes_per_s / 1048576, b.bytes_per_s / 1048576, "MiB/s");
      double ma = a.bytes_per_s * seconds / 1048576, mb = b.bytes_per_s * seconds / 1048576;
      print("  server CPU ms per MiB", ma > 0 ? (c1 - c0) * 1e3 / ma : 0,
            mb > 0 ? (n1 - n0) * 1e3 / mb : 0, "ms");
    } else {
      print(what, a.rps, b.rps, "req/s");
      double ra = a.rps * seconds, rb = b.rps * seconds;
      print("  server CPU us per request", ra > 0 ? (c1 - c0) * 1e6 / ra : 0,
            rb > 0 ? (n1 - n0) * 1e6 / rb : 0, "us");
    }
    if (a.errors || b.errors) std::printf("  (wrk reported errors or non-2xx answers)\n");
  };
  std::string next_path = "/v1/devices/bench-1/next";
  std::string next_what = "next JSON (" + std::to_string(next_body.size()) + " B), 256 conns";
  if (run("blob")) compare("16 MiB blob, 64 conns, HTTP", blob_path, 64, "", false, true);
  if (run("next")) compare(next_what + ", HTTP", next_path, 256, auth, false, false);
  if (run("tls-blob")) compare("16 MiB blob, 64 conns, HTTPS", blob_path, 64, "", true, true);
  if (run("tls-next")) compare(next_what + ", HTTPS", next_path, 256, auth, true, false);

  // Idle keep-alive memory: 10,000 connections, each has had one answer, then waits.
  if (run("idle")) {
    // Client and server ends both live in this process: two descriptors per connection.
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    const int kIdle = static_cast<int>(std::min<rlim_t>(10000, (lim.rlim_cur - 256) / 2));
    long before = rss_anon_kib();
    std::vector<int> fds;
    std::string req = "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n";
    for (int i = 0; i < kIdle; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(plain->port()));
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) break;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      (void)::send(fd, req.data(), req.size(), 0);
      char buf[512];
      (void)::recv(fd, buf, sizeof buf, 0);
      fds.push_back(fd);
    }
    long after = rss_anon_kib();
    std::printf("%-44s fleetgate %9.2f KiB per connection (%zu open; goal <= 8)\n",
                "idle keep-alive memory", static_cast<double>(after - before) / fds.size(),
                fds.size());
    for (int fd : fds) ::close(fd);
  }

  ::kill(nginx, SIGTERM);
  ::waitpid(nginx, nullptr, 0);
  uv_async_t stop;
  uv_async_init(&loop, &stop, [](uv_async_t* h) { uv_stop(h->loop); });
  uv_async_send(&stop);
  loop_thread.join();
  fs::remove_all(dir);
  return 0;
}
