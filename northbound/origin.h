// Where signed metadata and targets come from: a static file tree laid out as a TUF
// repository (https://... in a later issue, file:///... for removable media and tests).
// Fetches are streamed and capped: an origin never hands out more bytes than the caller
// allows, so endless-data attacks stop at the cap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fleetgate::northbound {

class Origin {
 public:
  // Receives consecutive pieces of the file; an error stops the fetch and is returned.
  using Sink = std::function<Status(std::span<const uint8_t>)>;
  // Called when the origin starts the file over from byte 0 although the fetch began at
  // an offset (an HTTP origin answered the range request with the whole file, e.g. the
  // representation changed): the caller drops what it held and the next piece the sink
  // receives is byte 0. An error stops the fetch and is returned.
  using Restart = std::function<Status()>;

  virtual ~Origin() = default;

  // Streams `path` (relative to the repository root, e.g. "3.root.json") starting at
  // byte `offset` into `sink`. Fails with Errc::not_found when the file does not exist,
  // Errc::verification "length_exceeded" when the file holds more than `max_bytes`
  // (after delivering at most `max_bytes`), Errc::network when the origin is unreachable.
  // `restart` may be empty: the origin then re-reads the first `offset` bytes and drops
  // them, so the sink still sees a continuation from `offset` (costs one re-download; the
  // caller's final SHA-256 check catches a changed representation).
  virtual Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink,
                       const Restart& restart) = 0;
  Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink) {
    return fetch(path, offset, max_bytes, sink, Restart{});
  }

  // For messages: the origin's URL.
  virtual std::string describe() const = 0;
};

// Reads a whole (small) file: metadata.
Result<std::string> fetch_all(Origin& origin, std::string_view path, uint64_t max_bytes);

// file:///absolute/dir/ -> an origin reading that directory. Errc::config for another
// scheme or a relative path; the directory itself is checked on each fetch, so a
// missing mount is Errc::network (unreachable), not a configuration error.
Result<std::unique_ptr<Origin>> open_file_origin(std::string_view url);

}  // namespace fleetgate::northbound
