// LMDB's writev, wrapped (cache/lmdb_store.cc): a large one becomes pwrites of at most
// 256 KiB, with writev's result, bytes, offsets and file position.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/unit/cache/store_fixture.h"

extern "C" ssize_t __wrap_writev(int fd, const struct iovec* iov, int count);

namespace fleetgate::cache {
namespace {

std::vector<uint8_t> read_file(int fd) {
  std::vector<uint8_t> out(static_cast<size_t>(::lseek(fd, 0, SEEK_END)));
  REQUIRE(::pread(fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
  return out;
}

TEST_CASE("a large writev is written at the file offset and leaves it after the bytes",
          "[cache]") {
  fleetgate::testing::TempDir dir;
  const int fd = ::open((dir.path() + "/data").c_str(), O_RDWR | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  // Like LMDB's page runs: a 4 KiB page, a 260 KiB overflow run, a 600 KiB one.
  auto a = testing::random_bytes(4096, 1);
  auto b = testing::random_bytes(260 * 1024, 2);
  auto c = testing::random_bytes(600 * 1024, 3);
  struct iovec iov[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  REQUIRE(::lseek(fd, 8192, SEEK_SET) == 8192);
  const size_t total = a.size() + b.size() + c.size();
  CHECK(__wrap_writev(fd, iov, 3) == static_cast<ssize_t>(total));
  CHECK(::lseek(fd, 0, SEEK_CUR) == static_cast<off_t>(8192 + total));
  std::vector<uint8_t> want(8192, 0);
  want.insert(want.end(), a.begin(), a.end());
  want.insert(want.end(), b.begin(), b.end());
  want.insert(want.end(), c.begin(), c.end());
  CHECK(read_file(fd) == want);
  ::close(fd);
}

TEST_CASE("writev to what has no offset, or that is small, is the real writev", "[cache]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  auto bytes = testing::random_bytes(1000, 4);
  struct iovec iov[2] = {{bytes.data(), 600}, {bytes.data() + 600, 400}};
  CHECK(__wrap_writev(p[1], iov, 2) == 1000);
  std::vector<uint8_t> got(1000);
  CHECK(::read(p[0], got.data(), got.size()) == 1000);
  CHECK(got == bytes);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("a failed large writev reports the error like writev", "[cache]") {
  fleetgate::testing::TempDir dir;
  const std::string path = dir.path() + "/data";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  auto bytes = testing::random_bytes(512 * 1024, 5);
  struct iovec iov[1] = {{bytes.data(), bytes.size()}};
  errno = 0;
  CHECK(__wrap_writev(fd, iov, 1) == -1);
  CHECK(errno == EBADF);
  ::close(fd);
}

}  // namespace
}  // namespace fleetgate::cache
