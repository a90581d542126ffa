// `fleetgate repo`: the publisher side. Builds and signs a TUF repository (see
// gateway/repo_publisher.h for the layout).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/units.h"
#include "gateway/commands.h"
#include "gateway/repo_publisher.h"
#include "northbound/canonical_json.h"
#include "northbound/sync_plan.h"

namespace fleetgate::gateway {
namespace {

constexpr const char* kUsage =
    "usage: fleetgate repo init DIR [--root-keys N] [--root-threshold N] [--keys N] "
    "[--threshold N]\n"
    "       fleetgate repo add DIR FILE --name NAME [--custom JSON]\n"
    "       fleetgate repo plan DIR PLAN.json\n"
    "       fleetgate repo timestamp DIR [--expires DURATION]\n"
    "       fleetgate repo rotate DIR --role root|targets|snapshot|timestamp\n"
    "\n"
    "DIR/keys holds the private keys (mode 0600); DIR/repository is what an origin serves\n"
    "and DIR/repository/1.root.json is the gateways' initial trust_root.\n";

// Positional arguments and --flag VALUE pairs.
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

bool parse(Args args, const std::vector<std::string>& known, Parsed& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) == 0) {
      bool ok = false;
      for (const auto& k : known) ok |= (k == a);
      if (!ok || i + 1 >= args.size()) {
        std::fprintf(stderr, "fleetgate repo: unknown option or missing value: %s\n", a.c_str());
        return false;
      }
      out.flags[a] = args[++i];
    } else {
      out.positional.push_back(a);
    }
  }
  return true;
}

bool to_count(const Parsed& p, const char* flag, uint32_t& out) {
  auto it = p.flags.find(flag);
  if (it == p.flags.end()) return true;
  char* end = nullptr;
  unsigned long v = std::strtoul(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v == 0 || v > 64) {
    std::fprintf(stderr, "fleetgate repo: %s '%s' is not a number from 1 to 64\n", flag,
                 it->second.c_str());
    return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

int fail(const Error& e) {
  std::fprintf(stderr, "fleetgate repo: %s\n", e.message.c_str());
  return e.code == Errc::invalid_argument || e.code == Errc::config ? kExitUsage : kExitFailed;
}

}  // namespace

int cmd_repo(Args args) {
  if (args.empty() || std::string(args[0]) == "--help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string sub = args[0];
  Parsed p;
  if (!parse(args.subspan(1),
             {"--root-keys", "--root-threshold", "--keys", "--threshold", "--name", "--custom",
              "--expires", "--role"},
             p)) {
    return kExitUsage;
  }
  const RealClock clock;
  auto want = [&](size_t n) {
    if (p.positional.size() == n) return true;
    std::fputs(kUsage, stderr);
    return false;
  };

  if (sub == "init") {
    if (!want(1)) return kExitUsage;
    RepoInitOptions o;
    if (!to_count(p, "--root-keys", o.root_keys) ||
        !to_count(p, "--root-threshold", o.root_threshold) || !to_count(p, "--keys", o.role_keys) ||
        !to_count(p, "--threshold", o.role_threshold)) {
      return kExitUsage;
    }
    auto repo = Repository::init(p.positional[0], o, clock);
    if (!repo.ok()) return fail(repo.error());
    std::printf("initialized %s; trust root: %s\n", p.positional[0].c_str(),
                repo->root_path().c_str());
    return kExitOk;
  }

  if (p.positional.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  RepoExpiry expiry;
  if (auto e = p.flags.find("--expires"); e != p.flags.end()) {
    auto d = parse_duration(e->second);
    if (!d.ok() || *d < std::chrono::seconds(1)) {
      std::fprintf(stderr, "fleetgate repo: --expires '%s' is not a duration like 1d or 12h\n",
                   e->second.c_str());
      return kExitUsage;
    }
    expiry.timestamp = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  auto repo = Repository::open(p.positional[0], clock, expiry);
  if (!repo.ok()) return fail(repo.error());

  if (sub == "add") {
    if (!want(2) || !p.flags.contains("--name")) {
      if (p.positional.size() == 2) std::fputs(kUsage, stderr);
      return kExitUsage;
    }
    nlohmann::json custom = nullptr;
    if (auto c = p.flags.find("--custom"); c != p.flags.end()) {
      auto parsed = northbound::parse_json(c->second, "--custom");
      if (!parsed.ok() || !parsed->is_object()) {
        std::fprintf(stderr, "fleetgate repo: --custom must be a JSON object\n");
        return kExitUsage;
      }
      custom = *parsed;
    }
    Status s = repo->add_file(p.positional[1], p.flags["--name"], custom);
    if (!s.ok()) return fail(s.error());
    std::printf("added %s\n", p.flags["--name"].c_str());
    return kExitOk;
  }
  if (sub == "plan") {
    if (!want(2)) return kExitUsage;
    std::FILE* f = std::fopen(p.positional[1].c_str(), "rb");
    if (!f) {
      std::fprintf(stderr, "fleetgate repo: cannot read %s\n", p.positional[1].c_str());
      return kExitUsage;
    }
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
    auto name = repo->add_plan(text);
    if (!name.ok()) return fail(name.error());
    std::printf("added %s\n", name->c_str());
    return kExitOk;
  }
  if (sub == "timestamp") {
    if (!want(1)) return kExitUsage;
    Status s = repo->refresh_timestamp();
    if (!s.ok()) return fail(s.error());
    return kExitOk;
  }
  if (sub == "rotate") {
    if (!want(1) || !p.flags.contains("--role")) {
      if (p.positional.size() == 1) std::fputs(kUsage, stderr);
      return kExitUsage;
    }
    auto role = northbound::role_from_name(p.flags["--role"]);
    if (!role.ok()) return fail(role.error());
    Status s = repo->rotate(*role);
    if (!s.ok()) return fail(s.error());
    std::printf("rotated %s keys\n", p.flags["--role"].c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "fleetgate repo: unknown subcommand '%s'\n%s", sub.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace fleetgate::gateway
