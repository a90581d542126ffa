#include "common/socket_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace fleetgate {
namespace {

Error bad_address(std::string_view text, std::string_view why) {
  return make_error(Errc::invalid_argument, "address",
                    "invalid socket address '" + std::string(text) + "': " + std::string(why) +
                        " (expected IPv4 'a.b.c.d:port' or IPv6 '[addr]:port')");
}

}  // namespace

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad_address(text, "missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return bad_address(text, "missing ':port'");
    }
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad_address(text, "missing ':port'");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return bad_address(text, "IPv6 addresses need brackets");
    }
    port = text.substr(colon + 1);
  }
  unsigned port_value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || port_value > 65535) {
    return bad_address(text, "port must be a number from 0 to 65535");
  }
  SocketAddress out;
  std::string host_z(host);
  if (text.front() == '[') {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage_);
    if (inet_pton(AF_INET6, host_z.c_str(), &sin6->sin6_addr) != 1) {
      return bad_address(text, "not a numeric IPv6 address");
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port_value));
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage_);
    if (inet_pton(AF_INET, host_z.c_str(), &sin->sin_addr) != 1) {
      return bad_address(text, "not a numeric IPv4 address");
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port_value));
  }
  return out;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa) {
  SocketAddress out;
  if (sa->sa_family == AF_INET) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in6));
  }
  return out;
}

socklen_t SocketAddress::raw_size() const {
  return is_v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

uint16_t SocketAddress::port() const {
  if (is_v6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  if (storage_.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  return 0;
}

std::string SocketAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof buf);
  } else if (storage_.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

std::string SocketAddress::to_string() const {
  if (is_v6()) return "[" + host() + "]:" + std::to_string(port());
  return host() + ":" + std::to_string(port());
}

}  // namespace fleetgate
