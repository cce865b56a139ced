// The `ferry` binary: one executable, many subcommands (see commands.cpp).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace ferry::host::cli;
  try {
    CommandTable table;
    registerBuiltinCommands(table);
    Context context{std::cout, std::cerr};
    const std::vector<std::string> args(argv + 1, argv + argc);
    const int status = table.dispatch(args, context);
    std::cout.flush();
    return status;
  } catch (const std::exception& e) {
    // Commands report their own errors; this is only reached through a bug.
    std::cerr << "ferry: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
