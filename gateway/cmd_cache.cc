// `fleetgate cache`: inspect and maintain the artifact cache offline or next to a
// running daemon (LMDB allows one writer and many readers across processes).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cache/store.h"
#include "common/clock.h"
#include "common/units.h"
#include "gateway/commands.h"
#include "gateway/origin_setup.h"
#include "northbound/origin.h"
#include "northbound/sync_cycle.h"
#include "northbound/tar_origin.h"

namespace fleetgate::gateway {
namespace {

constexpr const char* kUsage =
    "usage: fleetgate cache (-c FILE | --state-dir DIR) [--quota SIZE] COMMAND\n"
    "  ls                               artifacts: hash, size, state, pins, last served, names\n"
    "  verify [HASH]                    check every chunk and SHA-256; exit 1 naming any\n"
    "                                   corrupt artifact (it is quarantined)\n"
    "  gc                               drop quarantined artifacts, evict down to the quota\n"
    "  export HASH FILE                 write a ready artifact to FILE\n"
    "  import FILE --sha256 HEX [--name NAME]\n"
    "                                   ingest FILE; refused unless its SHA-256 is HEX\n"
    "  import-bundle DIR|TAR            (needs -c FILE) an offline bundle for air-gapped\n"
    "                                   sites: a TUF repository as `fleetgate repo` writes\n"
    "                                   it (N.root.json, timestamp.json, ..., targets/), as\n"
    "                                   a directory or an uncompressed tar (`tar -cf`, GNU,\n"
    "                                   pax or ustar; gzip, xz, bzip2 and zstd files are\n"
    "                                   refused: decompress first). It is\n"
    "                                   verified exactly like `fleetgate sync --once` (trust\n"
    "                                   root, site and expiry from FILE: publish bundles\n"
    "                                   with a timestamp that outlives the trip) and this\n"
    "                                   site's plan is fetched and pinned from it.\n"
    "                                   Exit 0 imported or up to date, 1 refused (the\n"
    "                                   message names the check or the tar entry), 2 usage\n"
    "                                   or configuration error, 75 bundle became unreadable.\n"
    "\n"
    "The store is <state_dir>/cache. Long verify and import runs show progress on a terminal.\n";

struct Invocation {
  std::string config_file;
  std::string state_dir;
  std::string quota;
  std::string sha256;
  std::string name;
  std::vector<std::string> positional;
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "fleetgate cache: %s\n\n%s", msg.c_str(), kUsage);
  return kExitUsage;
}

int fail(const Error& e) {
  std::fprintf(stderr, "fleetgate cache: %s\n", e.message.c_str());
  return e.code == Errc::invalid_argument || e.code == Errc::config ? kExitUsage : kExitFailed;
}

// Progress on stderr, only for a person watching a terminal; redrawn per whole percent.
class ProgressLine {
 public:
  explicit ProgressLine(const char* what) : what_(what), on_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressLine() { end(); }
  // Ends the line, so what is printed next starts on its own.
  void end() {
    if (on_ && drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }
  void update(uint64_t done, uint64_t total) {
    if (!on_ || total == 0) return;
    int pct = static_cast<int>(done * 100 / total);
    if (pct == last_pct_) return;
    last_pct_ = pct;
    drawn_ = true;
    std::fprintf(stderr, "\r%s: %3d%% (%s of %s)", what_, pct, format_size(done).c_str(),
                 format_size(total).c_str());
    std::fflush(stderr);
  }

 private:
  const char* what_;
  bool on_;
  bool drawn_ = false;
  int last_pct_ = -1;
};

std::string format_time(int64_t unix) {
  if (unix == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& v) {
  if (v.empty()) return "-";
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

int run_ls(cache::Store& store) {
  auto all = store.list();
  if (!all.ok()) return fail(all.error());
  std::printf("%-64s %12s %-11s %-19s %-20s %s\n", "SHA256", "SIZE", "STATE", "PINS", "LAST_SERVED",
              "NAMES");
  for (const auto& a : *all) {
    std::printf("%-64s %12llu %-11s %-19s %-20s %s\n", a.sha256.hex().c_str(),
                static_cast<unsigned long long>(a.length),
                std::string(cache::state_name(a.state)).c_str(), joined(a.pins).c_str(),
                format_time(a.last_served).c_str(), joined(a.names).c_str());
  }
  auto st = store.stats();
  if (!st.ok()) return fail(st.error());
  std::printf("%llu artifacts, %s of %s quota in use, %llu quarantined\n",
              static_cast<unsigned long long>(st->artifacts),
              format_size(st->reserved_bytes).c_str(), format_size(st->quota_bytes).c_str(),
              static_cast<unsigned long long>(st->quarantined));
  return kExitOk;
}

int run_verify(cache::Store& store, const std::vector<std::string>& args) {
  std::optional<Sha256Digest> one;
  if (args.size() > 1) return usage_error("verify takes at most one HASH");
  if (args.size() == 1) {
    auto d = Sha256Digest::from_hex(args[0]);
    if (!d.ok()) return usage_error("'" + args[0] + "' is not a SHA-256 (64 hex digits)");
    one = *d;
  }
  ProgressLine progress("verify");
  auto failed =
      store.verify(one, [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  progress.end();
  if (!failed.ok()) return fail(failed.error());
  auto all = store.list();
  std::map<Sha256Digest, std::string> names;
  if (all.ok()) {
    for (const auto& a : *all) names[a.sha256] = joined(a.names);
  }
  for (const auto& d : *failed) {
    std::fprintf(stderr, "corrupt: %s %s (quarantined; it will be fetched again)\n",
                 d.hex().c_str(), names[d].c_str());
  }
  if (!failed->empty()) return kExitFailed;
  std::printf("verified: no corruption found\n");
  return kExitOk;
}

int run_gc(cache::Store& store) {
  auto freed = store.gc(0);
  if (!freed.ok()) return fail(freed.error());
  std::printf("gc: freed %s\n", format_size(*freed).c_str());
  return kExitOk;
}

int run_export(cache::Store& store, const std::vector<std::string>& args) {
  if (args.size() != 2) return usage_error("export takes HASH FILE");
  auto d = Sha256Digest::from_hex(args[0]);
  if (!d.ok()) return usage_error("'" + args[0] + "' is not a SHA-256 (64 hex digits)");
  auto reader = store.open_read(*d);
  if (!reader.ok()) return fail(reader.error());
  const std::string& path = args[1];
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(
        make_error(Errc::io, "open", "cannot create '" + path + "': " + std::strerror(errno)));
  }
  std::string write_error;
  Status s = (*reader)->read(0, (*reader)->info().length, [&](std::span<const uint8_t> span) {
    while (!span.empty()) {
      ssize_t n = ::write(fd, span.data(), span.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_error = std::strerror(errno);
        return false;
      }
      span = span.subspan(static_cast<size_t>(n));
    }
    return true;
  });
  if (write_error.empty() && ::fsync(fd) != 0) write_error = std::strerror(errno);
  ::close(fd);
  if (!s.ok() || !write_error.empty()) {
    ::unlink(path.c_str());
    if (!s.ok()) return fail(s.error());
    return fail(make_error(Errc::io, "write", "cannot write '" + path + "': " + write_error));
  }
  std::printf("exported %s (%llu bytes) to %s\n", d->hex().c_str(),
              static_cast<unsigned long long>((*reader)->info().length), path.c_str());
  return kExitOk;
}

int run_import(cache::Store& store, const Invocation& inv) {
  const auto& args = inv.positional;
  if (args.size() != 1) return usage_error("import takes one FILE");
  if (inv.sha256.empty()) return usage_error("import needs --sha256 HEX");
  auto d = Sha256Digest::from_hex(inv.sha256);
  if (!d.ok()) return usage_error("--sha256 '" + inv.sha256 + "' is not 64 hex digits");
  const std::string& path = args[0];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) ::close(fd);
    return fail(
        make_error(Errc::io, "open", "cannot read '" + path + "': " + std::strerror(errno)));
  }
  auto ingest = store.begin_ingest(*d, static_cast<uint64_t>(st.st_size), inv.name);
  if (!ingest.ok()) {
    ::close(fd);
    if (ingest.error().code == Errc::already_exists) {
      if (!inv.name.empty()) {
        Status s = store.add_name(*d, inv.name);
        if (!s.ok()) return fail(s.error());
      }
      std::printf("already in the cache: %s\n", d->hex().c_str());
      return kExitOk;
    }
    return fail(ingest.error());
  }
  auto& ing = **ingest;
  // A resumed import continues where the last one stopped.
  uint64_t offset = ing.offset();
  ProgressLine progress("import");
  std::vector<uint8_t> buf(1 << 20);
  Status s;
  while (s.ok() && offset < ing.length()) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      s = make_error(
          Errc::io, "read",
          "cannot read '" + path + "': " + (n == 0 ? "file shrank" : std::strerror(errno)));
      break;
    }
    s = ing.append(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
    progress.update(offset, ing.length());
  }
  ::close(fd);
  progress.end();
  if (!s.ok()) return fail(s.error());
  auto info = ing.finish();
  if (!info.ok()) return fail(info.error());
  std::printf("imported %s (%llu bytes)\n", d->hex().c_str(),
              static_cast<unsigned long long>(info->length));
  return kExitOk;
}

// Counts the bytes read from a bundle and shows them on a terminal. A bundle may hold more
// than this site's plan names, so there is no meaningful total to show a percentage of.
class ProgressOrigin final : public northbound::Origin {
 public:
  explicit ProgressOrigin(northbound::Origin& inner)
      : inner_(inner), on_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressOrigin() override { end(); }

  using Origin::fetch;
  Status fetch(std::string_view path, uint64_t offset, uint64_t max_bytes, const Sink& sink,
               const Restart& restart) override {
    const Sink counting = [&](std::span<const uint8_t> piece) {
      read_ += piece.size();
      if (on_ && read_ - drawn_at_ >= (4u << 20)) {
        drawn_at_ = read_;
        std::fprintf(stderr, "\rimport-bundle: %s read", format_size(read_).c_str());
        std::fflush(stderr);
      }
      return sink(piece);
    };
    return inner_.fetch(path, offset, max_bytes, counting, restart);
  }
  std::string describe() const override { return inner_.describe(); }
  void end() {
    if (on_ && drawn_at_ > 0) std::fputc('\n', stderr);
    drawn_at_ = 0;
  }

 private:
  northbound::Origin& inner_;
  bool on_;
  uint64_t read_ = 0;
  uint64_t drawn_at_ = 0;
};

// A directory bundle is the repository itself, or a `fleetgate repo` DIR holding it in
// repository/ (the keys next to it are never read).
Result<std::unique_ptr<northbound::Origin>> open_bundle(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_regular_file(st)) return northbound::open_tar_origin(path);
  if (!fs::is_directory(st)) {
    return make_error(Errc::invalid_argument, "bundle",
                      "bundle '" + path + "' is neither a directory nor a tar file");
  }
  fs::path dir = fs::absolute(path, ec);
  if (!fs::exists(dir / "timestamp.json") && fs::exists(dir / "repository" / "timestamp.json")) {
    dir /= "repository";
  }
  if (!fs::exists(dir / "timestamp.json")) {
    return make_error(
        Errc::invalid_argument, "bundle",
        "bundle directory '" + path + "' holds no timestamp.json: not a TUF repository");
  }
  return northbound::open_file_origin("file://" + dir.lexically_normal().string() + "/");
}

int run_import_bundle(cache::Store& store, const config::Config& cfg, const Invocation& inv,
                      const Clock& clock) {
  if (inv.positional.size() != 1) return usage_error("import-bundle takes one DIR or TAR");
  if (cfg.site.empty()) return usage_error(inv.config_file + ": \"site\" is required");
  northbound::SyncRequest request;
  request.site = cfg.site;
  auto root = read_trust_root(cfg.northbound);
  if (!root.ok()) return usage_error(inv.config_file + ": " + root.error().message);
  request.initial_root = std::move(root).value();
  // Like `sync --once`, an import is operator-driven: the sync window does not apply.
  auto bundle = open_bundle(inv.positional[0]);
  if (!bundle.ok()) {
    const Error& e = bundle.error();
    std::fprintf(stderr, "fleetgate cache: %s%s\n",
                 e.detail.rfind("tar_", 0) == 0 ? "refused: " : "", e.message.c_str());
    return e.detail.rfind("tar_", 0) == 0 ? kExitFailed : kExitUsage;
  }
  ProgressOrigin origin(**bundle);
  auto outcome = northbound::run_sync_once(store, origin, clock, request);
  origin.end();
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    if (e.code == Errc::network) {
      std::fprintf(stderr, "fleetgate cache: bundle unreadable: %s\n", e.message.c_str());
      return kExitUnreachable;
    }
    const bool refused =
        e.code == Errc::verification || e.code == Errc::unsupported || e.code == Errc::not_found;
    std::fprintf(stderr, "fleetgate cache: %s%s\n", refused ? "refused: " : "", e.message.c_str());
    return kExitFailed;
  }
  if (outcome->plan_version) {
    std::printf("imported bundle: plan %s version %llu%s, %zu fetched, %zu pinned\n",
                cfg.site.c_str(), static_cast<unsigned long long>(*outcome->plan_version),
                outcome->plan_changed ? " (new)" : "", outcome->fetched, outcome->pinned);
  } else {
    std::printf("imported bundle: no plan for site %s\n", cfg.site.c_str());
  }
  return kExitOk;
}

}  // namespace

int cmd_cache(Args args) {
  Invocation inv;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    std::string* target = a == "-c" || a == "--config" ? &inv.config_file
                          : a == "--state-dir"         ? &inv.state_dir
                          : a == "--quota"             ? &inv.quota
                          : a == "--sha256"            ? &inv.sha256
                          : a == "--name"              ? &inv.name
                                                       : nullptr;
    if (target != nullptr) {
      if (i + 1 >= args.size()) return usage_error(a + " needs a value");
      *target = args[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else {
      rest.push_back(a);
    }
  }
  if (rest.empty()) return usage_error("no command");
  const std::string command = rest.front();
  inv.positional.assign(rest.begin() + 1, rest.end());
  if (command == "import-bundle" && inv.config_file.empty()) {
    return usage_error("import-bundle needs -c FILE (trust root and site)");
  }

  config::Config cfg;
  if (!inv.config_file.empty()) {
    auto loaded = config::load_config(inv.config_file);
    if (!loaded.ok()) return fail(loaded.error());
    cfg = *loaded;
  } else if (inv.state_dir.empty()) {
    return usage_error("give -c FILE or --state-dir DIR");
  }
  if (!inv.state_dir.empty()) cfg.state_dir = inv.state_dir;
  if (!inv.quota.empty()) {
    auto q = parse_size(inv.quota);
    if (!q.ok()) return usage_error("--quota '" + inv.quota + "': " + q.error().message);
    cfg.cache.quota = *q;
  }

  RealClock clock;
  auto store = cache::open_lmdb_store(cache::store_options_for(cfg, clock));
  if (!store.ok()) return fail(store.error());
  if (command == "ls") return run_ls(**store);
  if (command == "verify") return run_verify(**store, inv.positional);
  if (command == "gc") return run_gc(**store);
  if (command == "export") return run_export(**store, inv.positional);
  if (command == "import") return run_import(**store, inv);
  if (command == "import-bundle") return run_import_bundle(**store, cfg, inv, clock);
  return usage_error("unknown command '" + command + "'");
}

}  // namespace fleetgate::gateway
