// The `fleetgate` subcommands. Each lives in gateway/cmd_<name>.cc and returns the
// process exit status. Conventions: 0 success, 1 the operation failed or refused,
// 2 usage or configuration error, 75 (EX_TEMPFAIL) a peer was unreachable.
#pragma once

#include <span>
#include <string_view>

namespace fleetgate::gateway {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 75;

using Args = std::span<char* const>;  // arguments after the subcommand name

int cmd_run(Args args);
int cmd_sync(Args args);
int cmd_repo(Args args);
int cmd_cache(Args args);
int cmd_status(Args args);
int cmd_sim(Args args);
int cmd_config(Args args);

// Top-level dispatch: `fleetgate <command> ...`.
int cli_main(int argc, char** argv);

// For subcommands that a later issue implements: says so on stderr, returns kExitUsage.
int not_implemented(std::string_view command, std::string_view issue);

}  // namespace fleetgate::gateway
