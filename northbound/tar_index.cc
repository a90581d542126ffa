#include "northbound/tar_index.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

namespace fleetgate::northbound {
namespace {

constexpr uint64_t kBlock = 512;

// Header field offsets and sizes (POSIX ustar; GNU tar uses the same positions).
struct Field {
  size_t offset, size;
};
constexpr Field kName{0, 100};
constexpr Field kSize{124, 12};
constexpr Field kChecksum{148, 8};
constexpr size_t kTypeFlag = 156;
constexpr Field kMagic{257, 6};
constexpr Field kVersion{263, 2};
constexpr Field kPrefix{345, 155};

using Block = std::array<uint8_t, kBlock>;

std::string_view field(const Block& b, Field f) {
  return std::string_view(reinterpret_cast<const char*>(b.data()) + f.offset, f.size);
}

// A NUL-terminated string inside a fixed-size field (no NUL when it fills the field).
std::string_view cstring(std::string_view f) { return f.substr(0, f.find('\0')); }

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

// Octal digits, optionally led by spaces and ended by a space or NUL; or GNU base-256
// (first byte 0x80) for sizes of 8 GiB and more. An empty field is 0.
std::optional<uint64_t> parse_number(std::string_view f) {
  if (!f.empty() && static_cast<unsigned char>(f[0]) == 0x80) {
    uint64_t v = 0;
    for (size_t i = 1; i < f.size(); ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    return v;
  }
  size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(f[i] - '0');
  }
  for (; i < f.size(); ++i) {
    if (f[i] != ' ' && f[i] != '\0') return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool checksum_ok(const Block& b) {
  auto stored = parse_number(field(b, kChecksum));
  if (!stored) return false;
  // The sum of all header bytes with the checksum field counted as spaces; historic
  // writers summed signed chars, so either sum is accepted.
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.size;
    const uint8_t c = in_field ? ' ' : b[i];
    unsigned_sum += c;
    signed_sum += static_cast<int8_t>(c);
  }
  return *stored == unsigned_sum || static_cast<int64_t>(*stored) == signed_sum;
}

bool all_zero(const Block& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

// The magic numbers of the usual compressors, for a clear refusal of `tar -czf` output.
const char* compression_of(const Block& b) {
  auto starts = [&b](std::initializer_list<uint8_t> magic) {
    return std::equal(magic.begin(), magic.end(), b.begin());
  };
  if (starts({0x1f, 0x8b})) return "gzip";
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return "xz";
  if (starts({'B', 'Z', 'h'})) return "bzip2";
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return "zstd";
  return nullptr;
}

class Indexer {
 public:
  Indexer(uint64_t archive_bytes, const TarReadAt& read_at, const TarLimits& limits)
      : size_(archive_bytes), read_at_(read_at), limits_(limits) {}

  Result<TarIndex> run() {
    if (size_ >= kBlock) {
      Block first;
      FG_TRY(read_at_(0, first));
      if (const char* kind = compression_of(first)) {
        return refuse("tar_compressed", 0,
                      std::string("this is a ") + kind +
                          " file, not a tar archive: decompress the bundle first");
      }
    }
    uint64_t pos = 0;
    while (true) {
      if (size_ - pos < kBlock) {
        return refuse("tar_truncated", pos,
                      pos == size_ ? "the archive ends without its end-of-archive marker "
                                     "(truncated?)"
                                   : "the archive ends inside a header block (truncated?)");
      }
      Block b;
      FG_TRY(read_at_(pos, b));
      if (all_zero(b)) {
        if (long_name_ || pax_size_) {
          return refuse("tar_field", pos, "an extension header is not followed by an entry");
        }
        return std::move(index_);
      }
      if (++index_.entries > limits_.max_entries) {
        return refuse("tar_limit", pos,
                      "more than " + std::to_string(limits_.max_entries) + " entries");
      }
      FG_ASSIGN_OR_RETURN(pos, entry(b, pos));
    }
  }

 private:
  // Handles the entry whose header is `b` at `pos`; returns the offset of the next header.
  Result<uint64_t> entry(const Block& b, uint64_t pos) {
    const char type = static_cast<char>(b[kTypeFlag]);
    std::string name = header_name(b);
    name_ = name;  // for messages until the long name is known
    if (!checksum_ok(b)) return refuse("tar_checksum", pos, "header checksum mismatch");
    auto size = parse_number(field(b, kSize));
    if (!size) return refuse("tar_field", pos, "size field is not an octal number");
    const bool extension = type == 'L' || type == 'x' || type == 'g';
    if (!extension) {
      if (long_name_) name = std::move(*long_name_);
      if (pax_size_) size = *pax_size_;
      long_name_.reset();
      pax_size_.reset();
      name_ = name;
    }
    const uint64_t data = pos + kBlock;
    if (*size > size_ - data) {
      return refuse("tar_truncated", pos,
                    "its " + std::to_string(*size) + " bytes of data run past the end of the " +
                        std::to_string(size_) + "-byte archive (truncated?)");
    }
    const uint64_t padded = (*size + kBlock - 1) / kBlock * kBlock;
    // Padding past the end is left to the next header read, which reports truncation.
    const uint64_t next = data + std::min(padded, size_ - data);

    switch (type) {
      case 'L':
      case 'x':
      case 'g': {
        if (*size > limits_.max_extension_bytes) {
          return refuse("tar_limit", pos,
                        "extension header of " + std::to_string(*size) + " bytes (at most " +
                            std::to_string(limits_.max_extension_bytes) + ")");
        }
        std::string text(*size, '\0');
        FG_TRY(read_at_(data,
                        std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
        if (type == 'L') {
          long_name_ = std::string(cstring(text));
        } else if (type == 'x') {
          FG_TRY(parse_pax(text, pos));
        }
        // 'g' (pax global defaults: mtime, charset) changes nothing that is indexed.
        return next;
      }
      case '0':
      case '\0':
      case '7': {  // '7': contiguous file, a regular file for every reader since
        FG_ASSIGN_OR_RETURN(std::string clean, normalize(name, pos, false));
        TarEntry e{pos, data, *size};
        if (!index_.files.emplace(clean, e).second) {
          return refuse("tar_duplicate", pos,
                        "the archive holds '" + printable(clean) +
                            "' twice (an appended archive is ambiguous)");
        }
        return next;
      }
      case '5':
        FG_TRY(normalize(name, pos, true));
        return next;
      case '1':
      case '2':
      case 'K':
        return refuse("tar_entry_type", pos,
                      "links are not allowed in a bundle (only regular files and directories)");
      case '3':
      case '4':
      case '6':
        return refuse("tar_entry_type", pos,
                      "device and FIFO entries are not allowed in a bundle (only regular "
                      "files and directories)");
      default:
        return refuse("tar_entry_type", pos,
                      "unsupported entry type '" + printable(std::string_view(&type, 1)) +
                          "' (only regular files and directories)");
    }
  }

  std::string header_name(const Block& b) const {
    std::string name(cstring(field(b, kName)));
    // The prefix field is part of the name only in POSIX ustar ("ustar\0" "00"); GNU's
    // own format keeps other data there.
    if (field(b, kMagic) == std::string_view("ustar\0", 6) && field(b, kVersion) == "00") {
      std::string_view prefix = cstring(field(b, kPrefix));
      if (!prefix.empty()) name = std::string(prefix) + "/" + name;
    }
    return name;
  }

  // Records "LEN key=value\n", LEN counting the whole record.
  Status parse_pax(std::string_view text, uint64_t pos) {
    while (!text.empty()) {
      const size_t space = text.find(' ');
      auto len = space == text.npos ? std::nullopt : parse_decimal(text.substr(0, space));
      if (!len || *len <= space + 1 || *len > text.size() || text[*len - 1] != '\n') {
        return refuse("tar_field", pos, "malformed pax extended header record");
      }
      std::string_view record = text.substr(space + 1, *len - space - 2);
      text.remove_prefix(*len);
      const size_t eq = record.find('=');
      if (eq == record.npos) return refuse("tar_field", pos, "pax record without '='");
      const std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
      if (key == "path") {
        long_name_ = std::string(value);
      } else if (key == "size") {
        pax_size_ = parse_decimal(value);
        if (!pax_size_) return refuse("tar_field", pos, "pax size is not a decimal number");
      } else if (key == "linkpath") {
        return refuse("tar_entry_type", pos, "links are not allowed in a bundle");
      }
    }
    return ok_status();
  }

  // "./a/b/" -> "a/b"; refuses what could name a file outside the bundle.
  Result<std::string> normalize(std::string_view name, uint64_t pos, bool directory) {
    while (name.substr(0, 2) == "./") name.remove_prefix(2);
    if (directory) {
      while (!name.empty() && name.back() == '/') name.remove_suffix(1);
      if (name.empty() || name == ".") return std::string();  // the bundle root itself
    }
    if (name.size() > limits_.max_name_bytes) {
      return refuse("tar_limit", pos,
                    "name longer than " + std::to_string(limits_.max_name_bytes) + " bytes");
    }
    if (name.empty()) return refuse("tar_path", pos, "empty name");
    if (name.front() == '/') return refuse("tar_path", pos, "absolute names are not allowed");
    if (name.find('\0') != name.npos || name.find('\\') != name.npos) {
      return refuse("tar_path", pos, "NUL or backslash in the name");
    }
    size_t start = 0;
    while (true) {
      const size_t end = name.find('/', start);
      const std::string_view seg = name.substr(start, end == name.npos ? name.npos : end - start);
      if (seg == "..") return refuse("tar_path", pos, "'..' in a name is not allowed");
      if (seg.empty() || seg == ".") {
        return refuse("tar_path", pos, "empty or '.' segment in the name");
      }
      if (end == name.npos) break;
      start = end + 1;
    }
    return std::string(name);
  }

  Error refuse(const char* detail, uint64_t pos, const std::string& why) const {
    std::string where = "tar entry ";
    if (!name_.empty()) where += "'" + printable(name_) + "' ";
    where += "at offset " + std::to_string(pos);
    return Error{Errc::invalid_argument, detail, where + ": " + why};
  }

  uint64_t size_;
  const TarReadAt& read_at_;
  TarLimits limits_;
  TarIndex index_;
  std::optional<std::string> long_name_;  // from an 'L' or pax 'path', for the next entry
  std::optional<uint64_t> pax_size_;
  std::string name_;  // the entry being read, for messages
};

}  // namespace

Result<TarIndex> index_tar(uint64_t archive_bytes, const TarReadAt& read_at,
                           const TarLimits& limits) {
  return Indexer(archive_bytes, read_at, limits).run();
}

Result<TarIndex> index_tar(std::span<const uint8_t> archive, const TarLimits& limits) {
  const TarReadAt read_at = [archive](uint64_t offset, std::span<uint8_t> out) -> Status {
    if (offset > archive.size() || out.size() > archive.size() - offset) {
      return make_error(Errc::io, "read", "read past the end of the archive");
    }
    std::memcpy(out.data(), archive.data() + offset, out.size());
    return ok_status();
  };
  return index_tar(archive.size(), read_at, limits);
}

}  // namespace fleetgate::northbound
