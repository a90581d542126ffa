#include "tests/support/nginx_origin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "common/digest.h"

namespace fleetgate::testing {
namespace fs = std::filesystem;

namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<NginxOrigin>> NginxOrigin::start(const std::string& dir,
                                                        const std::string& root,
                                                        const NginxTls& tls,
                                                        const NginxWebDav& dav) {
  std::unique_ptr<NginxOrigin> n(new NginxOrigin());
  n->dir_ = dir;
  n->root_ = root;
  n->tls_ = tls;
  n->dav_ = dav;
  fs::create_directories(dir + "/logs");
  // Ports picked by binding port 0 can be taken again before nginx binds: retry.
  Status last = ok_status();
  for (int i = 0; i < 5; ++i) {
    n->port_ = free_port();
    last = n->launch();
    if (last.ok()) return n;
  }
  return last.take_error();
}

std::string NginxOrigin::url() const {
  return std::string(tls_.cert.empty() ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port_) + "/";
}

Status NginxOrigin::launch() {
  const std::string conf = dir_ + "/nginx.conf";
  {
    std::ofstream c(conf);
    c << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
      << "error_log " << dir_ << "/logs/error.log warn;\npid " << dir_ << "/nginx.pid;\n"
      << "events { worker_connections 128; }\n"
      << "http {\n  access_log off;\n  default_type application/octet-stream;\n"
      << "  sendfile on;\n  keepalive_timeout 30;\n"
      << "  client_body_temp_path " << dir_ << "/body;\n  proxy_temp_path " << dir_ << "/proxy;\n"
      << "  fastcgi_temp_path " << dir_ << "/fastcgi;\n  uwsgi_temp_path " << dir_ << "/uwsgi;\n"
      << "  scgi_temp_path " << dir_ << "/scgi;\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << (tls_.cert.empty() ? "" : " ssl") << ";\n"
      << "    root " << root_ << ";\n";
    if (!tls_.cert.empty()) {
      c << "    ssl_certificate " << tls_.cert << ";\n    ssl_certificate_key " << tls_.key
        << ";\n";
      if (!tls_.client_ca.empty()) {
        c << "    ssl_client_certificate " << tls_.client_ca << ";\n    ssl_verify_client on;\n";
      }
    }
    if (!dav_.put_prefix.empty()) {
      // The body lands in client_body_temp_path, then is renamed into place.
      c << "    location " << dav_.put_prefix << " {\n      dav_methods PUT;\n"
        << "      create_full_put_path on;\n      client_max_body_size " << dav_.max_body
        << ";\n    }\n";
    }
    if (!dav_.denied_prefix.empty()) {
      c << "    location " << dav_.denied_prefix << " {\n      dav_methods PUT;\n"
        << "      limit_except GET HEAD { deny all; }\n    }\n";
    }
    c << "  }\n}\n";
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    // nginx dies with the test process (even one aborted by a sanitizer), and it holds
    // none of the test's output pipes, so ctest never waits on an orphan.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    ::execlp("nginx", "nginx", "-p", dir_.c_str(), "-c", conf.c_str(), "-e",
             (dir_ + "/logs/error.log").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid < 0) return make_error(Errc::internal, "fork", "cannot fork nginx");
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return make_error(Errc::internal, "nginx",
                        "nginx exited at start-up; see " + dir_ + "/logs/error.log");
    }
    if (accepts(port_)) return ok_status();
    std::this_thread::yield();
  }
  stop();
  return make_error(Errc::timeout, "nginx", "nginx did not start listening");
}

void NginxOrigin::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status NginxOrigin::restart() {
  stop();
  Status last = ok_status();
  // The port is ours until someone else takes it; retry a moment for TIME_WAIT quirks.
  for (int i = 0; i < 50; ++i) {
    last = launch();
    if (last.ok()) return last;
  }
  return last;
}

NginxOrigin::~NginxOrigin() { stop(); }

Result<std::string> write_test_file(const std::string& path, uint64_t size, uint64_t seed) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(seed);
  Sha256 hash;
  std::vector<uint64_t> block(8192);
  uint64_t left = size;
  while (left > 0) {
    for (auto& w : block) w = rng();
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size() * 8));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    hash.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(block.data()), n));
    left -= n;
  }
  if (!out) return make_error(Errc::io, "write", "cannot write " + path);
  return hash.finish().hex();
}

}  // namespace fleetgate::testing
