#include <cstdio>
#include <cstring>
#include <string>

#include "gateway/commands.h"

namespace fleetgate::gateway {
namespace {

struct Command {
  const char* name;
  int (*fn)(Args);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"run", cmd_run, "run the gateway daemon"},
    {"sync", cmd_sync, "run sync cycles against the origin"},
    {"repo", cmd_repo, "publisher side: build and sign a TUF repository"},
    {"cache", cmd_cache, "inspect and maintain the artifact cache"},
    {"status", cmd_status, "show deployments, devices, WAN state and cache use"},
    {"sim", cmd_sim, "fleet simulator and load generator"},
    {"config", cmd_config, "validate a configuration file"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: fleetgate <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'fleetgate <command> --help' describes one command.\n");
}

}  // namespace

int not_implemented(std::string_view command, std::string_view issue) {
  std::fprintf(stderr, "fleetgate %.*s: not implemented yet (tracked in issue %.*s)\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(issue.size()),
               issue.data());
  return kExitUsage;
}

int cli_main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("fleetgate 0.1.0\n");
    return kExitOk;
  }
  for (const auto& c : kCommands) {
    if (name == c.name) return c.fn(Args(argv + 2, static_cast<size_t>(argc - 2)));
  }
  std::fprintf(stderr, "fleetgate: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return kExitUsage;
}

}  // namespace fleetgate::gateway
