#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "northbound/origin.h"

using namespace fleetgate;
using namespace fleetgate::northbound;

namespace {

struct OriginDir {
  std::string path;
  OriginDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fg-origin-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~OriginDir() { std::filesystem::remove_all(path); }
  void put(const std::string& rel, const std::string& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path + "/" + rel).parent_path());
    std::ofstream(path + "/" + rel, std::ios::binary) << bytes;
  }
};

}  // namespace

TEST_CASE("file origin streams a file and stops at the first byte past the cap") {
  OriginDir dir;
  dir.put("targets/fw/a.bin", std::string(200 * 1024, 'a'));
  auto origin = open_file_origin("file://" + dir.path + "/");
  REQUIRE(origin.ok());
  auto all = fetch_all(**origin, "targets/fw/a.bin", 200 * 1024);
  REQUIRE(all.ok());
  CHECK(all->size() == 200 * 1024);

  uint64_t delivered = 0;
  Status capped =
      (*origin)->fetch("targets/fw/a.bin", 0, 200 * 1024 - 1, [&](std::span<const uint8_t> piece) {
        delivered += piece.size();
        return ok_status();
      });
  REQUIRE_FALSE(capped.ok());
  CHECK(capped.error().detail == "length_exceeded");
  CHECK(delivered == 200 * 1024 - 1);  // never more than the cap
}

TEST_CASE("file origin resumes from an offset") {
  OriginDir dir;
  dir.put("x", "0123456789");
  auto origin = open_file_origin("file://" + dir.path);
  REQUIRE(origin.ok());
  std::string got;
  REQUIRE((*origin)
              ->fetch("x", 4, 10,
                      [&](std::span<const uint8_t> p) {
                        got.append(reinterpret_cast<const char*>(p.data()), p.size());
                        return ok_status();
                      })
              .ok());
  CHECK(got == "456789");
}

TEST_CASE("file origin tells missing files from an unreachable origin") {
  OriginDir dir;
  auto origin = open_file_origin("file://" + dir.path + "/");
  REQUIRE(origin.ok());
  CHECK(fetch_all(**origin, "2.root.json", 100).error().code == Errc::not_found);
  auto gone = open_file_origin("file://" + dir.path + "/not-mounted/");
  REQUIRE(gone.ok());
  CHECK(fetch_all(**gone, "timestamp.json", 100).error().code == Errc::network);
  CHECK(fetch_all(**origin, "../etc/passwd", 100).error().code == Errc::invalid_argument);
  CHECK(open_file_origin("https://example.com/").error().code == Errc::config);
  CHECK(open_file_origin("file://relative/dir").error().code == Errc::config);
}
