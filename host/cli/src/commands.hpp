// The one place that lists the CLI's command modules (see commands.cpp).
#pragma once

#include "ferry/host/cli/command.hpp"

namespace ferry::host::cli {

void registerBuiltinCommands(CommandTable& table);

}  // namespace ferry::host::cli
