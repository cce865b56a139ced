// ferry version
#include <ostream>

#include "ferry/host/cli/command.hpp"
#include "ferry/sdk/version.hpp"

namespace ferry::host::cli {

void registerVersionCommands(CommandTable& table) {
  table.add(Command{
      .name = "version",
      .summary = "Print the ferry, SDK and plugin ABI versions",
      .description = "Prints the ferry version, the plugin SDK version it was built with and the "
                     "plugin ABI version it accepts (plugins must carry the same ABI version).",
      .positionals = {},
      .options = {},
      .run = [](const Args&, Context& ctx) {
        ctx.out << "ferry " << FERRY_VERSION << " (SDK " << sdk::kSdkVersion << ", plugin ABI "
                << sdk::kAbiVersion << ")\n";
        return kExitOk;
      }});
}

}  // namespace ferry::host::cli
