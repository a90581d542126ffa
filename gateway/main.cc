#include "gateway/commands.h"

int main(int argc, char** argv) { return fleetgate::gateway::cli_main(argc, argv); }
