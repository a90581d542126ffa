// An IPv4 or IPv6 socket address, parsed from "127.0.0.1:8080" or "[::1]:8080".
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fleetgate {

class SocketAddress {
 public:
  SocketAddress() = default;
  // "host:port" with a numeric IPv4 host, or "[v6]:port". Names are not resolved: a
  // gateway binds to literal addresses, and resolution would block the loop.
  static Result<SocketAddress> parse(std::string_view text);
  static SocketAddress from_sockaddr(const sockaddr* sa);

  const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t raw_size() const;
  bool is_v6() const { return storage_.ss_family == AF_INET6; }
  uint16_t port() const;
  std::string host() const;       // "127.0.0.1" or "::1"
  std::string to_string() const;  // "127.0.0.1:8080" or "[::1]:8080"

 private:
  sockaddr_storage storage_{};
};

}  // namespace fleetgate
