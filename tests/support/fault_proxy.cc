#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <list>
#include <vector>

namespace fleetgate::testing {
namespace {

struct Pair {
  int client = -1;
  int upstream = -1;
  uint64_t sent = 0;  // towards the client
  FaultPlan plan;     // the plan when it was accepted
  std::chrono::steady_clock::time_point started;
  std::vector<char> pending;  // upstream bytes held back by the throttle
  bool dead = false;
};

void close_pair(Pair& p) {
  if (p.client >= 0) ::close(p.client);
  if (p.upstream >= 0) ::close(p.upstream);
  p.client = p.upstream = -1;
  p.dead = true;
}

}  // namespace

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(const SocketAddress& upstream) {
  std::unique_ptr<FaultProxy> p(new FaultProxy());
  p->upstream_ = upstream;
  p->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(p->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(p->listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(p->listen_fd_, 64) != 0) {
    return make_error(Errc::io, "bind",
                      std::string("fault proxy cannot listen: ") + strerror(errno));
  }
  socklen_t len = sizeof a;
  ::getsockname(p->listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  p->port_ = ntohs(a.sin_port);
  if (::pipe2(p->wake_, O_CLOEXEC) != 0) return make_error(Errc::io, "pipe", "pipe failed");
  p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  return p;
}

FaultProxy::~FaultProxy() {
  if (thread_.joinable()) {
    char c = 'q';
    (void)!::write(wake_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void FaultProxy::set_plan(const FaultPlan& plan) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_ = plan;
}

void FaultProxy::hold() {
  std::unique_lock<std::mutex> lock(mu_);
  hold_ = true;
  parking_.wait(lock, [this] { return parked_; });
}

void FaultProxy::release() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = false;
  parking_.notify_all();
}

void FaultProxy::reset_counters() {
  to_client_ = 0;
  connections_ = 0;
}

void FaultProxy::run() {
  std::list<Pair> pairs;
  std::vector<char> buf(64 * 1024);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (hold_) {
        parked_ = true;
        parking_.notify_all();
        parking_.wait(lock, [this] { return !hold_; });
        parked_ = false;
      }
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    std::vector<Pair*> owners;  // per entry from index 2: pair, even=client odd=upstream
    bool throttled = false;
    for (Pair& p : pairs) {
      const bool stalled = p.plan.stall && p.sent >= p.plan.stall_after;
      short up_events = (stalled || !p.pending.empty()) ? 0 : POLLIN;
      if (!p.pending.empty()) throttled = true;
      fds.push_back({p.client, static_cast<short>(stalled ? 0 : POLLIN), 0});
      fds.push_back({p.upstream, up_events, 0});
      owners.push_back(&p);
    }
    ::poll(fds.data(), fds.size(), throttled ? 5 : 200);
    if (fds[0].revents) {
      for (Pair& p : pairs) close_pair(p);
      return;
    }
    if (fds[1].revents & POLLIN) {
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        ++connections_;
        FaultPlan plan;
        {
          std::lock_guard<std::mutex> lock(mu_);
          plan = plan_;
          plan_.flip_at = -1;  // one flip only
          if (plan_.only_next > 0 && --plan_.only_next == 0) plan_ = FaultPlan{};
        }
        if (plan.refuse) {
          ::close(c);
        } else {
          int u = ::socket(upstream_.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          if (::connect(u, upstream_.raw(), upstream_.raw_size()) != 0) {
            ::close(u);
            ::close(c);
          } else {
            Pair p;
            p.client = c;
            p.upstream = u;
            p.plan = plan;
            p.started = std::chrono::steady_clock::now();
            pairs.push_back(std::move(p));
          }
        }
      }
    }
    for (size_t i = 0; i < owners.size(); ++i) {
      Pair& p = *owners[i];
      if (p.dead) continue;
      const pollfd& cfd = fds[2 + 2 * i];
      const pollfd& ufd = fds[3 + 2 * i];
      if (cfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(p.client, buf.data(), buf.size());
        if (n <= 0 || ::send(p.upstream, buf.data(), static_cast<size_t>(n), MSG_NOSIGNAL) != n) {
          close_pair(p);
          continue;
        }
      }
      if (p.pending.empty() && (ufd.revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::read(p.upstream, buf.data(), buf.size());
        if (n <= 0) {
          close_pair(p);
          continue;
        }
        p.pending.assign(buf.data(), buf.data() + n);
      }
      if (p.pending.empty()) continue;
      // How much may go to the client now: the cut, the stall point and the throttle.
      uint64_t allow = p.pending.size();
      if (p.plan.cut_after)
        allow = std::min(allow, p.plan.cut_after - std::min(p.plan.cut_after, p.sent));
      if (p.plan.stall)
        allow = std::min(allow, p.plan.stall_after - std::min(p.plan.stall_after, p.sent));
      if (p.plan.bytes_per_s) {
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - p.started).count();
        uint64_t budget = static_cast<uint64_t>(secs * static_cast<double>(p.plan.bytes_per_s));
        allow = std::min(allow, budget > p.sent ? budget - p.sent : 0);
      }
      if (allow > 0) {
        if (p.plan.flip_at >= 0) {
          uint64_t at = static_cast<uint64_t>(p.plan.flip_at);
          if (at >= p.sent && at < p.sent + allow) {
            p.pending[at - p.sent] ^= 0x01;
            ++flips_;
          }
        }
        ssize_t w = ::send(p.client, p.pending.data(), allow, MSG_NOSIGNAL);
        if (w <= 0) {
          close_pair(p);
          continue;
        }
        p.sent += static_cast<uint64_t>(w);
        to_client_ += static_cast<uint64_t>(w);
        p.pending.erase(p.pending.begin(), p.pending.begin() + w);
      }
      if (p.plan.cut_after && p.sent >= p.plan.cut_after) close_pair(p);
    }
    pairs.remove_if([](const Pair& p) { return p.dead; });
  }
}

}  // namespace fleetgate::testing
