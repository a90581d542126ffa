// The tar indexer and the tar origin of offline bundles: archives written by GNU tar in
// its three formats are indexed byte-exact; hostile archives (built here header by header)
// are refused with the entry's name and offset.
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "northbound/tar_index.h"
#include "northbound/tar_origin.h"
#include "tests/support/temp_dir.h"
#include "tests/support/files.h"

using namespace fleetgate;
using namespace fleetgate::northbound;
using fleetgate::testing::slurp;
using fleetgate::testing::TempDir;

namespace {

void put(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

int sh(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// One ustar header block, checksum included.
std::string header(const std::string& name, uint64_t size, char type,
                   const std::string& link = "") {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(h.data() + 100, "0000644", 7);
  std::memcpy(h.data() + 108, "0000000", 7);
  std::memcpy(h.data() + 116, "0000000", 7);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::memcpy(h.data() + 136, "00000000000", 11);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

std::string entry(const std::string& name, const std::string& data, char type = '0') {
  std::string e = header(name, data.size(), type) + data;
  e.resize((e.size() + 511) / 512 * 512, '\0');
  return e;
}

const std::string kEnd(1024, '\0');

Result<TarIndex> index_of(const std::string& archive, const TarLimits& limits = {}) {
  return index_tar(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(archive.data()), archive.size()),
      limits);
}

std::string content_of(const std::string& archive, const TarIndex& index, const std::string& name) {
  const TarEntry& e = index.files.at(name);
  return archive.substr(e.data_offset, e.size);
}

Error refused(const std::string& archive, const std::string& detail) {
  auto index = index_of(archive);
  REQUIRE_FALSE(index.ok());
  INFO(index.error().to_string());
  CHECK(index.error().code == Errc::invalid_argument);
  CHECK(index.error().detail == detail);
  return index.error();
}

std::string fetch(Origin& origin, const std::string& path, uint64_t offset, uint64_t max,
                  Status* status) {
  std::string out;
  *status = origin.fetch(path, offset, max, [&](std::span<const uint8_t> p) {
    out.append(reinterpret_cast<const char*>(p.data()), p.size());
    return ok_status();
  });
  return out;
}

}  // namespace

TEST_CASE("archives written by GNU tar in gnu, pax and ustar formats index byte-exact") {
  TempDir tmp;
  const std::string src = tmp.path() + "/repository";
  const std::string long_dir = "targets/" + std::string(60, 'd') + "/" + std::string(30, 'e');
  const std::string long_name = long_dir + "/" + std::string(64, 'f') + ".firmware-long.bin";
  std::string big(300'000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + i / 977);
  put(src + "/timestamp.json", "{\"t\": 1}");
  put(src + "/empty.bin", "");
  put(src + "/" + long_name, big);
  for (const std::string format : {"gnu", "pax", "ustar"}) {
    DYNAMIC_SECTION("format " << format) {
      const std::string tar = tmp.path() + "/b-" + format + ".tar";
      REQUIRE(sh("tar --format=" + format + " -cf " + tar + " -C " + src + " .") == 0);
      const std::string archive = slurp(tar);
      auto index = index_of(archive);
      INFO((index.ok() ? std::string() : index.error().to_string()));
      REQUIRE(index.ok());
      CHECK(index->files.size() == 3);
      CHECK(content_of(archive, *index, "timestamp.json") == "{\"t\": 1}");
      CHECK(content_of(archive, *index, "empty.bin").empty());
      REQUIRE(index->files.count(long_name) == 1);
      CHECK(content_of(archive, *index, long_name) == big);
    }
  }
}

TEST_CASE("the tar origin serves the repository under its top directory, capped") {
  TempDir tmp;
  put(tmp.path() + "/repo/repository/timestamp.json", "stamp");
  put(tmp.path() + "/repo/repository/targets/fw/abc.a.bin", "0123456789");
  const std::string tar = tmp.path() + "/bundle.tar";
  REQUIRE(sh("tar -cf " + tar + " -C " + tmp.path() + "/repo repository") == 0);
  auto origin = open_tar_origin(tar);
  REQUIRE(origin.ok());
  Status s;
  CHECK(fetch(**origin, "timestamp.json", 0, 100, &s) == "stamp");
  CHECK(s.ok());
  CHECK(fetch(**origin, "targets/fw/abc.a.bin", 4, 100, &s) == "456789");
  CHECK(s.ok());
  CHECK(fetch(**origin, "targets/fw/abc.a.bin", 0, 6, &s) == "012345");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().detail == "length_exceeded");
  fetch(**origin, "1.root.json", 0, 100, &s);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::not_found);
  CHECK_THAT((*origin)->describe(), Catch::Contains("bundle.tar"));
}

TEST_CASE("a tar origin without a repository, or an unreadable one, is refused") {
  TempDir tmp;
  put(tmp.path() + "/src/a/timestamp.json", "1");
  put(tmp.path() + "/src/b/timestamp.json", "2");
  REQUIRE(sh("tar -cf " + tmp.path() + "/two.tar -C " + tmp.path() + "/src a b") == 0);
  auto two = open_tar_origin(tmp.path() + "/two.tar");
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().detail == "tar_no_repository");
  put(tmp.path() + "/plain.tar", entry("root.json", "{}") + kEnd);
  auto none = open_tar_origin(tmp.path() + "/plain.tar");
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.error().message, Catch::Contains("holds no timestamp.json"));
  auto missing = open_tar_origin(tmp.path() + "/missing.tar");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::io);
  auto dir = open_tar_origin(tmp.path());
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.error().message, Catch::Contains("not a regular file"));
}

TEST_CASE("tar entries that could escape the bundle are refused naming the entry") {
  const std::string ok = entry("timestamp.json", "{}");
  Error e = refused(ok + entry("targets/../../etc/passwd", "x") + kEnd, "tar_path");
  CHECK_THAT(e.message, Catch::Contains("'targets/../../etc/passwd' at offset 1024"));
  CHECK_THAT(e.message, Catch::Contains("'..'"));
  e = refused(entry("/etc/cron.d/x", "x") + kEnd, "tar_path");
  CHECK_THAT(e.message, Catch::Contains("absolute"));
  e = refused(ok + header("targets/link", 0, '2', "/etc/shadow") + kEnd, "tar_entry_type");
  CHECK_THAT(e.message, Catch::Contains("'targets/link' at offset 1024: links are not allowed"));
  refused(header("hard", 0, '1', "timestamp.json") + kEnd, "tar_entry_type");
  e = refused(header("dev/sda", 0, '4') + kEnd, "tar_entry_type");
  CHECK_THAT(e.message, Catch::Contains("device"));
  refused(header("null", 0, '3') + kEnd, "tar_entry_type");
  refused(header("fifo", 0, '6') + kEnd, "tar_entry_type");
  refused(header("sparse", 0, 'S') + kEnd, "tar_entry_type");
  refused(header("a//b", 0, '0') + kEnd, "tar_path");
  refused(entry("x", "0 path=a\n", 'x') + header("y", 0, '0') + kEnd, "tar_field");
  refused(entry("x", "17 linkpath=/etc\n", 'x') + header("y", 0, '0') + kEnd, "tar_entry_type");
  e = refused(entry("x", "23 path=../outside.bin\n", 'x') + entry("y", "z") + kEnd, "tar_path");
  CHECK_THAT(e.message, Catch::Contains("'../outside.bin' at offset 1024"));
}

TEST_CASE("damaged and oversized tar archives are refused naming the offset") {
  const std::string a = entry("timestamp.json", "{}");
  const std::string b = entry("targets/fw/x.bin", std::string(2000, 'x'));
  const std::string whole = a + b + kEnd;
  REQUIRE(index_of(whole).ok());

  Error e = refused(whole.substr(0, a.size() + 1024), "tar_truncated");
  CHECK_THAT(e.message, Catch::Contains("'targets/fw/x.bin' at offset 1024: its 2000 bytes"));
  e = refused(a + b, "tar_truncated");
  CHECK_THAT(e.message, Catch::Contains("without its end-of-archive marker"));
  refused(whole.substr(0, a.size() + 100), "tar_truncated");

  std::string flipped = whole;
  flipped[a.size() + 10] ^= 0x01;  // inside the second header's name
  e = refused(flipped, "tar_checksum");
  CHECK_THAT(e.message, Catch::Contains("at offset 1024: header checksum mismatch"));

  refused(a + a + kEnd, "tar_duplicate");

  TarLimits few;
  few.max_entries = 1;
  auto over = index_of(whole, few);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().detail == "tar_limit");
  TarLimits short_names;
  short_names.max_name_bytes = 10;
  over = index_of(whole, short_names);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().detail == "tar_limit");
  TarLimits small_ext;
  small_ext.max_extension_bytes = 100;
  over = index_of(entry("././@LongLink", std::string(200, 'n'), 'L') + a + kEnd, small_ext);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().detail == "tar_limit");

  // A long-name header with nothing after it, and a size field that is not a number.
  refused(entry("././@LongLink", "name", 'L') + kEnd, "tar_field");
  std::string bad_size = header("x", 0, '0');
  bad_size[124] = '9';
  unsigned sum = 0;
  std::memset(bad_size.data() + 148, ' ', 8);
  for (unsigned char c : bad_size) sum += c;
  std::snprintf(bad_size.data() + 148, 8, "%06o", sum);
  refused(bad_size + kEnd, "tar_field");
}
