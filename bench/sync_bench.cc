// Sync throughput against its anchor: `fleetgate sync -c FILE --once` fetching one large
// target (default 1 GiB of incompressible bytes) from nginx over HTTPS on 127.0.0.1,
// versus `curl -o FILE` of the same file from the same nginx in the same run, both
// writing to the same disk. The fleetgate figure is the whole command: start-up, TUF
// metadata, TLS, SHA-256 and XXH3 of every byte, LMDB commits (synced) until the artifact
// is visible. The curl figure does not sync its file; a second anchor line adds one
// `sync FILE` (fsync) for comparison. Rounds alternate the two; medians are printed.
//
//   cd /var/tmp && /path/to/build/default/bench/sync_bench [--size BYTES] [--rounds N]
//                                                            [--dir DIR] [--commit-bytes N]
//                                                            [--wrap CMD]  (e.g. "perf record -g --")
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/nginx_origin.h"

using namespace fleetgate;
using namespace fleetgate::testing;
namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string output;
  double seconds = 0;
};

Run sh(const std::string& cmd) {
  Run r;
  const auto start = std::chrono::steady_clock::now();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "sync_bench: %s\n%s\n", what.c_str(), detail.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t size = 1ull << 30;
  int rounds = 3;
  std::string base = fs::current_path().string();
  std::string commit_bytes;  // [cache] commit_bytes; empty: the gateway's default
  std::string wrap;          // a command that runs fleetgate, e.g. "perf record -g --"
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--size") {
      size = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else if (a == "--dir") {
      base = argv[i + 1];
    } else if (a == "--commit-bytes") {
      commit_bytes = argv[i + 1];
    } else if (a == "--wrap") {
      wrap = argv[i + 1];
    } else {
      die("unknown option " + a,
          "usage: sync_bench [--size BYTES] [--rounds N] [--dir DIR] [--commit-bytes N] [--wrap CMD]");
    }
  }
  const std::string dir = base + "/fg-sync-bench-" + std::to_string(::getpid());
  fs::create_directories(dir);
  const std::string fg = FG_BINARY;
  const std::string repo = dir + "/repo";

  std::printf("sync_bench: %llu bytes, %d rounds, in %s, %u CPUs\n",
              static_cast<unsigned long long>(size), rounds, dir.c_str(),
              std::thread::hardware_concurrency());
  auto sha = write_test_file(dir + "/big.bin", size, 42);
  if (!sha.ok()) die("cannot write the test file", sha.error().message);
  std::ofstream(dir + "/plan.json")
      << R"({"site": "bench", "version": 1, "prefetch": ["fw/big.bin"]})";
  for (const std::string& cmd :
       {fg + " repo init " + repo,
        fg + " repo add " + repo + " " + dir + "/big.bin --name fw/big.bin",
        fg + " repo plan " + repo + " " + dir + "/plan.json"}) {
    Run r = sh(cmd);
    if (r.status != 0) die(cmd, r.output);
  }
  fs::remove(dir + "/big.bin");
  auto pki = make_test_pki(dir + "/pki");
  if (!pki.ok()) die("cannot make the test PKI", pki.error().message);
  auto nginx = NginxOrigin::start(dir + "/nginx", repo + "/repository",
                                  NginxTls{pki->server_cert, pki->server_key, ""});
  if (!nginx.ok()) die("cannot start nginx", nginx.error().message);
  const std::string url = (*nginx)->url();
  const std::string target_url = url + "targets/fw/" + *sha + ".big.bin";
  std::ofstream(dir + "/fleetgate.toml")
      << "site = \"bench\"\nstate_dir = \"" << dir << "/state\"\n\n[northbound]\norigin = \"" << url
      << "\"\ntrust_root = \"" << repo << "/repository/1.root.json\"\nca_file = \"" << pki->ca_cert
      << "\"\n\n[cache]\nquota = \"" << (size * 2 + (64 << 20)) << "\"\n"
      << (commit_bytes.empty() ? "" : "commit_bytes = \"" + commit_bytes + "\"\n");

  const std::string curl = "curl -sS --fail --cacert " + pki->ca_cert + " -o " + dir + "/curl.out ";
  std::vector<double> curl_s, curl_sync_s, fg_s;
  for (int round = 0; round < rounds; ++round) {
    Run c = sh(curl + target_url);
    if (c.status != 0) die("curl failed", c.output);
    curl_s.push_back(c.seconds);
    fs::remove(dir + "/curl.out");

    Run cs = sh(curl + target_url + " && sync " + dir + "/curl.out");
    if (cs.status != 0) die("curl + sync failed", cs.output);
    curl_sync_s.push_back(cs.seconds);
    fs::remove(dir + "/curl.out");

    fs::remove_all(dir + "/state");
    Run f = sh((wrap.empty() ? "" : wrap + " ") + fg + " sync -c " + dir + "/fleetgate.toml --once");
    if (f.status != 0 || f.output.find("1 fetched") == std::string::npos) {
      die("fleetgate sync failed", f.output);
    }
    fg_s.push_back(f.seconds);
    std::printf("round %d: curl -o %.2f s, curl -o + sync %.2f s, fleetgate sync --once %.2f s\n",
                round + 1, c.seconds, cs.seconds, f.seconds);
    std::fflush(stdout);
  }
  const double mib = static_cast<double>(size) / (1 << 20);
  const double c = median(curl_s), cs = median(curl_sync_s), f = median(fg_s);
  std::printf("median: curl -o %.0f MiB/s, curl -o + sync %.0f MiB/s, fleetgate %.0f MiB/s\n",
              mib / c, mib / cs, mib / f);
  std::printf("ratio fleetgate / curl -o: %.2f (goal >= 0.8); fleetgate / (curl -o + sync): %.2f\n",
              c / f, cs / f);
  (*nginx)->stop();
  fs::remove_all(dir);
  return 0;
}
