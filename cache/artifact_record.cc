#include "cache/artifact_record.h"

#include <cstring>

namespace fleetgate::cache {
namespace {

constexpr uint8_t kVersion = 1;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_strings(std::string& out, const std::vector<std::string>& v) {
  put_u32(out, static_cast<uint32_t>(v.size()));
  for (const auto& s : v) {
    put_u32(out, static_cast<uint32_t>(s.size()));
    out.append(s);
  }
}

// Reads fields front to back; any overrun makes the whole decode fail.
class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (in_.size() < 1) return false;
    v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool u64(uint64_t& v) {
    if (in_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool u32(uint32_t& v) {
    if (in_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(4);
    return true;
  }
  bool strings(std::vector<std::string>& v) {
    uint32_t n = 0;
    if (!u32(n) || n > in_.size()) return false;
    v.clear();
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t len = 0;
      if (!u32(len) || len > in_.size()) return false;
      v.emplace_back(in_.substr(0, len));
      in_.remove_prefix(len);
    }
    return true;
  }
  bool empty() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string ArtifactRecord::encode() const {
  std::string out;
  out.reserve(64);
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(state));
  put_u64(out, length);
  put_u64(out, committed);
  put_u64(out, static_cast<uint64_t>(created));
  put_u64(out, static_cast<uint64_t>(visible_since));
  put_u64(out, static_cast<uint64_t>(last_served));
  put_strings(out, names);
  put_strings(out, pins);
  return out;
}

std::optional<ArtifactRecord> ArtifactRecord::decode(std::string_view bytes) {
  Cursor c(bytes);
  ArtifactRecord r;
  uint8_t version = 0, state = 0;
  uint64_t created = 0, visible = 0, served = 0;
  if (!c.u8(version) || version != kVersion || !c.u8(state) ||
      state > static_cast<uint8_t>(ArtifactState::quarantined) || !c.u64(r.length) ||
      !c.u64(r.committed) || !c.u64(created) || !c.u64(visible) || !c.u64(served) ||
      !c.strings(r.names) || !c.strings(r.pins) || !c.empty()) {
    return std::nullopt;
  }
  r.state = static_cast<ArtifactState>(state);
  r.created = static_cast<int64_t>(created);
  r.visible_since = static_cast<int64_t>(visible);
  r.last_served = static_cast<int64_t>(served);
  return r;
}

ArtifactInfo ArtifactRecord::to_info(const Sha256Digest& sha256) const {
  ArtifactInfo info;
  info.sha256 = sha256;
  info.length = length;
  info.committed = committed;
  info.state = state;
  info.names = names;
  info.pins = pins;
  info.visible_since = visible_since;
  info.last_served = last_served;
  return info;
}

std::string_view state_name(ArtifactState s) {
  switch (s) {
    case ArtifactState::ingesting:
      return "ingesting";
    case ArtifactState::ready:
      return "ready";
    case ArtifactState::quarantined:
      return "quarantined";
  }
  return "unknown";
}

}  // namespace fleetgate::cache
