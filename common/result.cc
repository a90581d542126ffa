#include "common/result.h"

namespace fleetgate {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::config: return "config";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::io: return "io";
    case Errc::corrupt: return "corrupt";
    case Errc::space: return "space";
    case Errc::busy: return "busy";
    case Errc::verification: return "verification";
    case Errc::network: return "network";
    case Errc::timeout: return "timeout";
    case Errc::unsupported: return "unsupported";
    case Errc::cancelled: return "cancelled";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(errc_name(code));
  out += ": ";
  out += message;
  if (!detail.empty()) {
    out += " [";
    out += detail;
    out += "]";
  }
  return out;
}

}  // namespace fleetgate
