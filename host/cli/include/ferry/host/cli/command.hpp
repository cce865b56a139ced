// A small subcommand framework for the `ferry` binary.
//
// A command declares its name, one-line summary, description, positional arguments and options;
// the table parses argv against that declaration, so `--help` works on every command, unknown
// options are rejected with a did-you-mean, and `ferry --help` lists every command. Names may
// have several words ("sandbox start"): `ferry sandbox --help` then lists the group.
//
// Registration is explicit: every module has one `register<Name>Commands(CommandTable&)` in its
// own src/cmd_<name>.cpp, called from registerBuiltinCommands() in src/commands.cpp.
//
// Exit codes: 0 success, 1 the command failed, 2 usage error (bad arguments).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::host::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct OptionSpec {
  std::string name;     // with dashes: "--plugin-dir"
  std::string metavar;  // "DIR" when the option takes a value; empty for a flag
  std::string help;
  bool repeatable = false;  // may be given several times (values() returns them all)
};

struct PositionalSpec {
  std::string name;  // "plugin"
  std::string help;
  bool required = true;
  bool variadic = false;  // takes all remaining arguments (must be last)
};

// Parsed arguments of one invocation.
class Args {
 public:
  bool flag(std::string_view name) const;
  // The (last) value of an option taking a value; nullopt when absent.
  std::optional<std::string> value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;
  const std::vector<std::string>& positionals() const noexcept { return positionals_; }
  // The i-th positional, or `fallback` when not given.
  std::string positional(std::size_t i, std::string fallback = {}) const;

 private:
  friend class CommandTable;
  std::vector<std::pair<std::string, std::string>> options_;  // flags carry an empty value
  std::vector<std::string> positionals_;
};

// What a command gets besides its arguments.
struct Context {
  std::ostream& out;
  std::ostream& err;
  std::string program = "ferry";
};

struct Command {
  std::string name;         // "plugins", "dead-letters", "sandbox start"
  std::string summary;      // one line, for `ferry --help`
  std::string description;  // paragraph(s) for `ferry <name> --help`
  std::vector<PositionalSpec> positionals;
  std::vector<OptionSpec> options;
  std::function<int(const Args&, Context&)> run;
};

class CommandTable {
 public:
  // Adds a command. Duplicate or malformed declarations are programming errors: they throw
  // std::logic_error so a broken registration fails every test run immediately.
  void add(Command command);
  const Command* find(std::string_view name) const noexcept;
  const std::vector<Command>& commands() const noexcept { return commands_; }

  // Parses argv (without the program name) and runs the matching command.
  int dispatch(const std::vector<std::string>& argv, Context& context) const;

  // Help texts, as printed by --help.
  std::string usage(const Command& command) const;
  std::string overview() const;

 private:
  int parse(const Command& command, const std::vector<std::string>& argv, std::size_t first,
            Args& args, Context& context) const;

  std::vector<Command> commands_;  // sorted by name
};

// Left-aligned columns separated by two spaces; the first row is the header. Trailing spaces are
// trimmed. For the human-readable output of list-like commands.
std::string renderTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace ferry::host::cli
