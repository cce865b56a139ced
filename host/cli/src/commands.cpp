// Every built-in command, registered explicitly (no static-initialiser magic).
//
// To add a module: create src/cmd_<name>.cpp defining `void register<Name>Commands(CommandTable&)`
// and add its call below. CMake compiles every src/cmd_*.cpp and defines FERRY_CLI_CMD_<NAME>
// for each one present, so the guarded lines below switch on when their file exists; modules
// whose library may be missing from a build can also test FERRY_HAVE_<MODULE> (set for every
// host library target that exists, e.g. FERRY_HAVE_FLOW, FERRY_HAVE_ENGINE).
#include "commands.hpp"

namespace ferry::host::cli {

void registerPluginsCommands(CommandTable& table);  // plugins, describe
void registerVersionCommands(CommandTable& table);  // version
#ifdef FERRY_CLI_CMD_FLOW
void registerFlowCommands(CommandTable& table);  // validate, test, map
#endif
#ifdef FERRY_CLI_CMD_RUN
void registerRunCommands(CommandTable& table);  // run, status, conflicts, dead-letters
#endif
#ifdef FERRY_CLI_CMD_SERVE
void registerServeCommands(CommandTable& table);  // serve
#endif
#ifdef FERRY_CLI_CMD_SANDBOX
void registerSandboxCommands(CommandTable& table);  // sandbox ...
#endif

void registerBuiltinCommands(CommandTable& table) {
  registerPluginsCommands(table);
  registerVersionCommands(table);
#ifdef FERRY_CLI_CMD_FLOW
  registerFlowCommands(table);
#endif
#ifdef FERRY_CLI_CMD_RUN
  registerRunCommands(table);
#endif
#ifdef FERRY_CLI_CMD_SERVE
  registerServeCommands(table);
#endif
#ifdef FERRY_CLI_CMD_SANDBOX
  registerSandboxCommands(table);
#endif
}

}  // namespace ferry::host::cli
