#include "northbound/tar_origin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace fleetgate::northbound {
namespace {

Status read_exactly(int fd, const std::string& path, uint64_t offset, std::span<uint8_t> out) {
  while (!out.empty()) {
    const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return make_error(Errc::io, "read",
                        "cannot read " + path + " at offset " + std::to_string(offset) + ": " +
                            (n == 0 ? "the file shrank while in use" : std::strerror(errno)));
    }
    out = out.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return ok_status();
}

class TarOrigin final : public Origin {
 public:
  TarOrigin(int fd, std::string path, TarIndex index, std::string root)
      : fd_(fd), path_(std::move(path)), index_(std::move(index)), root_(std::move(root)) {}
  ~TarOrigin() override { ::close(fd_); }
  TarOrigin(const TarOrigin&) = delete;
  TarOrigin& operator=(const TarOrigin&) = delete;

  using Origin::fetch;
  // An archive opened once never changes under a range: `restart` is never called.
  Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink,
               const Restart& /*restart*/) override {
    auto it = index_.files.find(root_ + std::string(path));
    if (it == index_.files.end()) {
      return make_error(Errc::not_found, "not_found", "bundle has no " + std::string(path));
    }
    const TarEntry& e = it->second;
    if (offset >= e.size) return ok_status();
    // Deliver only up to the cap, then refuse, as every origin does.
    const uint64_t end = std::min(e.size, std::max(offset, max_bytes));
    std::vector<uint8_t> buf(std::min<uint64_t>(end - offset, 256 * 1024));
    for (uint64_t pos = offset; pos < end;) {
      const std::span<uint8_t> piece(buf.data(), std::min<uint64_t>(buf.size(), end - pos));
      FG_TRY(read_exactly(fd_, path_, e.data_offset + pos, piece));
      FG_TRY(sink(piece));
      pos += piece.size();
    }
    if (e.size > end) {
      return make_error(Errc::verification, "length_exceeded",
                        "length exceeded: " + std::string(path) + " in " + path_ +
                            " is longer than the " + std::to_string(max_bytes) + " bytes allowed");
    }
    return ok_status();
  }

  std::string describe() const override { return "tar bundle " + path_; }

 private:
  int fd_;
  std::string path_;
  TarIndex index_;
  std::string root_;  // "" or "dir/": where the repository starts inside the archive
};

// The directory of the shallowest timestamp.json, with a trailing '/'.
Result<std::string> repository_root(const TarIndex& index, const std::string& path) {
  std::optional<std::string> best;
  size_t best_depth = 0;
  bool tie = false;
  for (const auto& [name, entry] : index.files) {
    const size_t slash = name.rfind('/');
    if (name.substr(slash == name.npos ? 0 : slash + 1) != "timestamp.json") continue;
    const size_t depth = static_cast<size_t>(std::count(name.begin(), name.end(), '/'));
    const std::string dir = slash == name.npos ? "" : name.substr(0, slash + 1);
    if (!best || depth < best_depth) {
      best = dir;
      best_depth = depth;
      tie = false;
    } else if (depth == best_depth) {
      tie = true;
    }
  }
  if (!best) {
    return make_error(Errc::invalid_argument, "tar_no_repository",
                      path + " holds no timestamp.json: not a TUF repository bundle");
  }
  if (tie) {
    return make_error(Errc::invalid_argument, "tar_no_repository",
                      path +
                          " holds more than one repository (several timestamp.json at "
                          "the same depth)");
  }
  return *best;
}

}  // namespace

Result<std::unique_ptr<Origin>> open_tar_origin(const std::string& path, const TarLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  std::string why;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  }
  if (!why.empty()) {
    if (fd >= 0) ::close(fd);
    return make_error(Errc::io, "open", "cannot read bundle " + path + ": " + why);
  }
  const TarReadAt read_at = [fd, &path](uint64_t offset, std::span<uint8_t> out) {
    return read_exactly(fd, path, offset, out);
  };
  auto index = index_tar(static_cast<uint64_t>(st.st_size), read_at, limits);
  if (!index.ok()) {
    ::close(fd);
    Error e = index.take_error();
    e.message = path + ": " + e.message;
    return e;
  }
  auto root = repository_root(*index, path);
  if (!root.ok()) {
    ::close(fd);
    return root.take_error();
  }
  return std::unique_ptr<Origin>(
      new TarOrigin(fd, path, std::move(index).value(), std::move(root).value()));
}

}  // namespace fleetgate::northbound
