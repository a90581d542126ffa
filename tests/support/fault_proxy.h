// A fault-injecting TCP proxy on loopback for WAN tests (the kernel here has no netem).
// It forwards client <-> upstream on its own thread and, as told, cuts a connection
// after N bytes towards the client, stalls (accepts and sends nothing), throttles,
// flips one byte, or refuses connections. Counts the bytes it passed to the client.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "common/result.h"
#include "common/socket_address.h"

namespace fleetgate::testing {

struct FaultPlan {
  uint64_t cut_after = 0;    // per connection, bytes towards the client; 0: never
  bool stall = false;        // accept, then forward nothing in either direction
  uint64_t stall_after = 0;  // with stall: forward this many bytes first
  uint64_t bytes_per_s = 0;  // throttle towards the client; 0: unlimited
  int64_t flip_at = -1;      // flip the byte at this offset of the next connection
  bool refuse = false;       // accept and close at once (no bytes)
  int only_next = 0;         // > 0: the plan applies to this many connections, then clears
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1, port 0, forwarding to `upstream`.
  static Result<std::unique_ptr<FaultProxy>> start(const SocketAddress& upstream);
  ~FaultProxy();

  uint16_t port() const { return port_; }
  void set_plan(const FaultPlan& plan);
  uint64_t bytes_to_client() const { return to_client_.load(); }
  uint64_t connections() const { return connections_.load(); }
  uint64_t flips() const { return flips_.load(); }
  void reset_counters();
  // For a test that forks: hold() returns once the proxy's thread is parked where it
  // holds no lock (a lock held at fork time, the allocator's too, stays held in the
  // child forever); release() lets it go on.
  void hold();
  void release();

 private:
  FaultProxy() = default;
  void run();

  SocketAddress upstream_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable parking_;
  bool hold_ = false;    // asked to park
  bool parked_ = false;  // parked, under mu_
  FaultPlan plan_;
  std::atomic<uint64_t> to_client_{0};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> flips_{0};
};

}  // namespace fleetgate::testing
