#include "gateway/repo_keyring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "northbound/canonical_json.h"

namespace fleetgate::gateway {
namespace {

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Result<RepoKeyring> RepoKeyring::open(const std::string& dir) {
  RepoKeyring ring;
  ring.dir_ = dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(Errc::io, "keys", "cannot create key directory " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".key") continue;
    const std::string path = entry.path().string();
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return make_error(Errc::io, "keys", "cannot stat key file " + path);
    }
    if ((st.st_mode & 077) != 0) {
      return make_error(Errc::config, "key_permissions",
                        "key file " + path + " has mode " + mode_text(st.st_mode) +
                            ", readable by group or others; expected 0600 (chmod 600 it)");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = northbound::parse_json(text.str(), "key file " + path);
    if (!parsed.ok()) return make_error(Errc::config, "key", parsed.error().message);
    auto key = northbound::PrivateKey::from_json(*parsed);
    if (!key.ok()) return make_error(Errc::config, "key", path + ": " + key.error().message);
    ring.keys_.emplace(key->keyid(), std::move(key).value());
  }
  if (ec) return make_error(Errc::io, "keys", "cannot list " + dir + ": " + ec.message());
  return ring;
}

Result<const northbound::PrivateKey*> RepoKeyring::generate() {
  northbound::PrivateKey key = northbound::PrivateKey::generate();
  const std::string path = dir_ + "/" + key.keyid() + ".key";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::io, "keys",
                      "cannot create key file " + path + ": " + std::strerror(errno));
  }
  const std::string text = key.to_json().dump() + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) return make_error(Errc::io, "keys", "cannot write key file " + path);
  auto [it, inserted] = keys_.emplace(key.keyid(), std::move(key));
  (void)inserted;
  return &it->second;
}

Result<const northbound::PrivateKey*> RepoKeyring::find(const std::string& keyid) const {
  auto it = keys_.find(keyid);
  if (it == keys_.end()) {
    return make_error(Errc::not_found, "keys", "no private key " + keyid + " in " + dir_);
  }
  return &it->second;
}

}  // namespace fleetgate::gateway
