// The table of contents of a tar archive (an offline bundle on removable media): which
// regular files it holds and where their bytes are. The archive is untrusted input; it is
// read once, header by header, and every field is bounded before use.
//
// Glossary: an archive is a sequence of 512-byte blocks. Each entry is a header block
// (name, mode, size in octal, type flag, checksum, "ustar" magic) followed by its data,
// padded to a whole block. Two zero blocks end the archive. Names longer than the header
// field come in an extra entry before the real one: GNU tar's type 'L' (the data is the
// name) or POSIX pax's type 'x' ("LEN key=value\n" records, keys `path` and `size`).
//
// Accepted: regular files and directories (GNU, ustar and pax formats as `tar -cf`
// writes them, uncompressed). Refused, with the entry's name and header offset: links,
// devices and FIFOs; absolute names and names with ".." or empty segments; the same file
// twice; a header with a bad checksum; data running past the end of the archive; an
// archive without its end marker (truncated); a compressed file (gzip, xz, bzip2, zstd).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "common/result.h"

namespace fleetgate::northbound {

struct TarLimits {
  uint64_t max_entries = 100'000;            // headers of any type, extension headers included
  size_t max_name_bytes = 1024;              // after "./" is stripped
  uint64_t max_extension_bytes = 64 * 1024;  // data of one 'x', 'g' or 'L' entry
};

struct TarEntry {
  uint64_t header_offset = 0;  // for messages
  uint64_t data_offset = 0;
  uint64_t size = 0;
};

struct TarIndex {
  // Regular files by normalized name ("./a/b" and "a/b" are "a/b").
  std::map<std::string, TarEntry, std::less<>> files;
  uint64_t entries = 0;  // headers read, the end marker excluded
};

// Reads exactly `out.size()` bytes at `offset`, or fails.
using TarReadAt = std::function<Status(uint64_t offset, std::span<uint8_t> out)>;

// Indexes an archive of `archive_bytes` bytes. Every refusal is Errc::invalid_argument
// with a detail starting "tar_" and a message naming the entry (when known) and offset.
Result<TarIndex> index_tar(uint64_t archive_bytes, const TarReadAt& read_at,
                           const TarLimits& limits = {});

// The same over an archive held in memory (tests, fuzzing).
Result<TarIndex> index_tar(std::span<const uint8_t> archive, const TarLimits& limits = {});

}  // namespace fleetgate::northbound
