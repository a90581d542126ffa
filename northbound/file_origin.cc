// The file:// origin: a local directory (removable media, tests).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "northbound/metadata.h"
#include "northbound/origin.h"

namespace fleetgate::northbound {
namespace {

class FileOrigin final : public Origin {
 public:
  explicit FileOrigin(std::string dir) : dir_(std::move(dir)) {}

  using Origin::fetch;
  // A file never changes under a range: `restart` is never called.
  Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink,
               const Restart& /*restart*/) override {
    if (!is_safe_target_name(path)) {
      return make_error(Errc::invalid_argument, "path",
                        "refusing to fetch unsafe path '" + std::string(path) + "'");
    }
    struct stat st;
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return make_error(Errc::network, "origin_unreachable",
                        "origin unreachable: " + describe() + " is not a readable directory");
    }
    const std::string full = dir_ + "/" + std::string(path);
    int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) {
        return make_error(Errc::not_found, "not_found", "origin has no " + std::string(path));
      }
      return make_error(Errc::network, "origin_unreachable",
                        "cannot open " + full + ": " + std::strerror(errno));
    }
    Status result = stream(fd, full, offset, max_bytes, sink);
    ::close(fd);
    return result;
  }

  std::string describe() const override { return "file://" + dir_ + "/"; }

 private:
  static Status stream(int fd, const std::string& full, uint64_t offset, uint64_t max_bytes,
                       const Sink& sink) {
    if (offset > 0 && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      return make_error(Errc::io, "seek", "cannot seek in " + full);
    }
    std::array<uint8_t, 64 * 1024> buf;
    uint64_t pos = offset;
    while (true) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(Errc::network, "read",
                          "cannot read " + full + ": " + std::strerror(errno));
      }
      if (n == 0) return ok_status();
      uint64_t got = static_cast<uint64_t>(n);
      // Deliver only up to the cap, then refuse at the first byte past it.
      uint64_t allowed = pos >= max_bytes ? 0 : std::min(got, max_bytes - pos);
      if (allowed > 0) FG_TRY(sink(std::span<const uint8_t>(buf.data(), allowed)));
      pos += allowed;
      if (allowed < got) {
        return make_error(Errc::verification, "length_exceeded",
                          "length exceeded: " + full + " is longer than the " +
                              std::to_string(max_bytes) + " bytes allowed");
      }
    }
  }

  std::string dir_;
};

}  // namespace

Result<std::string> fetch_all(Origin& origin, std::string_view path, uint64_t max_bytes) {
  std::string out;
  FG_TRY(origin.fetch(path, 0, max_bytes, [&out](std::span<const uint8_t> piece) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return ok_status();
  }));
  return out;
}

Result<std::unique_ptr<Origin>> open_file_origin(std::string_view url) {
  constexpr std::string_view kScheme = "file://";
  if (url.substr(0, kScheme.size()) != kScheme || url.size() <= kScheme.size() ||
      url[kScheme.size()] != '/') {
    return make_error(Errc::config, "origin",
                      "origin '" + std::string(url) + "' is not a file:///absolute/path URL");
  }
  std::string dir(url.substr(kScheme.size()));
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return std::unique_ptr<Origin>(new FileOrigin(std::move(dir)));
}

}  // namespace fleetgate::northbound
