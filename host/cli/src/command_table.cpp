#include "ferry/host/cli/command.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "ferry/host/plugins/settings.hpp"  // closestMatch

namespace ferry::host::cli {

namespace {

bool isHelp(std::string_view arg) noexcept { return arg == "--help" || arg == "-h"; }

// "-5" is a value, not an option.
bool looksLikeOption(std::string_view arg) noexcept {
  return arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9');
}

bool validCommandName(std::string_view name) noexcept {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  char previous = 'x';
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == ' ';
    if (!ok || (c == ' ' && previous == ' ')) return false;
    previous = c;
  }
  return true;
}

std::string joinWords(const std::vector<std::string>& argv, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ' ';
    out += argv[i];
  }
  return out;
}

std::string positionalLabel(const PositionalSpec& p) {
  std::string label = p.required ? "<" + p.name + ">" : "[" + p.name + "]";
  if (p.variadic) label += "...";
  return label;
}

// Wraps each paragraph of `text` at `width` columns (words longer than a line stay whole).
std::string wrap(std::string_view text, std::size_t width = 100) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    std::string_view paragraph = text.substr(start, end - start);
    std::size_t column = 0;
    while (!paragraph.empty()) {
      const auto space = paragraph.find(' ');
      const std::string_view word = paragraph.substr(0, space);
      if (column > 0 && column + 1 + word.size() > width) {
        out += '\n';
        column = 0;
      } else if (column > 0) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
      paragraph =
          space == std::string_view::npos ? std::string_view() : paragraph.substr(space + 1);
    }
    out += '\n';
    start = end + 1;
  }
  return out;
}

void appendTable(std::string& out, const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [left, right] : rows) width = std::max(width, left.size());
  for (const auto& [left, right] : rows) {
    out += "  " + left + std::string(width - left.size() + 2, ' ') + right + "\n";
  }
}

}  // namespace

std::string renderTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// ---- Args -------------------------------------------------------------------------------------

bool Args::flag(std::string_view name) const {
  return std::any_of(options_.begin(), options_.end(),
                     [&](const auto& o) { return o.first == name; });
}

std::optional<std::string> Args::value(std::string_view name) const {
  for (auto it = options_.rbegin(); it != options_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

std::vector<std::string> Args::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : options_) {
    if (key == name) out.push_back(value);
  }
  return out;
}

std::string Args::positional(std::size_t i, std::string fallback) const {
  return i < positionals_.size() ? positionals_[i] : std::move(fallback);
}

// ---- CommandTable -----------------------------------------------------------------------------

void CommandTable::add(Command command) {
  if (!validCommandName(command.name)) {
    throw std::logic_error("invalid command name '" + command.name + "'");
  }
  if (find(command.name) != nullptr) {
    throw std::logic_error("command '" + command.name + "' registered twice");
  }
  if (!command.run) throw std::logic_error("command '" + command.name + "' has no run function");
  std::vector<std::string> seen;
  for (const auto& o : command.options) {
    if (o.name.size() < 3 || o.name.rfind("--", 0) != 0 || o.name == "--help" ||
        std::find(seen.begin(), seen.end(), o.name) != seen.end()) {
      throw std::logic_error("command '" + command.name + "': bad or duplicate option '" + o.name +
                             "'");
    }
    seen.push_back(o.name);
  }
  bool optionalSeen = false;
  for (std::size_t i = 0; i < command.positionals.size(); ++i) {
    const auto& p = command.positionals[i];
    if (p.variadic && i + 1 != command.positionals.size()) {
      throw std::logic_error("command '" + command.name + "': only the last argument may repeat");
    }
    if (p.required && optionalSeen) {
      throw std::logic_error("command '" + command.name +
                             "': a required argument follows an optional one");
    }
    optionalSeen = optionalSeen || !p.required;
  }
  auto at = std::lower_bound(commands_.begin(), commands_.end(), command.name,
                             [](const Command& c, const std::string& n) { return c.name < n; });
  commands_.insert(at, std::move(command));
}

const Command* CommandTable::find(std::string_view name) const noexcept {
  for (const auto& c : commands_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string CommandTable::usage(const Command& command) const {
  std::string out = "Usage: ferry " + command.name;
  for (const auto& p : command.positionals) out += " " + positionalLabel(p);
  out += " [options]\n\n";
  out += wrap(command.description.empty() ? command.summary : command.description);
  if (!command.positionals.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& p : command.positionals) rows.emplace_back(positionalLabel(p), p.help);
    out += "\nArguments:\n";
    appendTable(out, rows);
  }
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& o : command.options) {
    std::string left = o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    rows.emplace_back(std::move(left), o.help + (o.repeatable ? " (repeatable)" : ""));
  }
  rows.emplace_back("-h, --help", "Show this help");
  out += "\nOptions:\n";
  appendTable(out, rows);
  return out;
}

std::string CommandTable::overview() const {
  std::string out =
      "ferry: a connector plugin host that keeps Salesforce and Infobip People in sync.\n\n"
      "Usage: ferry <command> [arguments] [options]\n\nCommands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& c : commands_) rows.emplace_back(c.name, c.summary);
  appendTable(out, rows);
  out += "\nRun 'ferry <command> --help' for details on a command.\n";
  return out;
}

int CommandTable::dispatch(const std::vector<std::string>& argv, Context& context) const {
  if (argv.empty()) {
    context.err << overview();
    return kExitUsage;
  }
  if (isHelp(argv[0])) {
    context.out << overview();
    return kExitOk;
  }
  if (argv[0] == "--version" && find("version") != nullptr) {
    return dispatch({"version"}, context);
  }
  if (argv[0] == "help") {
    if (argv.size() == 1) {
      context.out << overview();
      return kExitOk;
    }
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    rest.emplace_back("--help");
    return dispatch(rest, context);
  }

  // The longest run of leading words that names a command wins ("sandbox start" over "sandbox").
  std::size_t words = 0;
  while (words < argv.size() && !looksLikeOption(argv[words])) ++words;
  const Command* command = nullptr;
  std::size_t used = 0;
  for (std::size_t k = words; k > 0 && command == nullptr; --k) {
    if ((command = find(joinWords(argv, k))) != nullptr) used = k;
  }
  if (command != nullptr) {
    Args args;
    const int status = parse(*command, argv, used, args, context);
    if (status >= 0) return status;
    return command->run(args, context);
  }

  // A group ("sandbox") lists its members.
  const std::string first = argv[0];
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& c : commands_) {
    if (c.name.rfind(first + " ", 0) == 0) members.emplace_back(c.name, c.summary);
  }
  if (!members.empty()) {
    const bool help =
        std::any_of(argv.begin(), argv.end(), [](const auto& a) { return isHelp(a); });
    std::string text = "Usage: ferry " + first + " <command> [arguments] [options]\n\nCommands:\n";
    appendTable(text, members);
    if (help) {
      context.out << text;
      return kExitOk;
    }
    if (argv.size() > 1 && !looksLikeOption(argv[1])) {
      context.err << "ferry: unknown command '" << first << " " << argv[1] << "'\n";
    }
    context.err << text;
    return kExitUsage;
  }

  std::vector<std::string> names;
  for (const auto& c : commands_) names.push_back(c.name.substr(0, c.name.find(' ')));
  const std::string suggestion = closestMatch(first, names);
  context.err << "ferry: unknown command '" << first << "'"
              << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") << "\n"
              << "Run 'ferry --help' for the list of commands.\n";
  return kExitUsage;
}

// Returns -1 when the command should run, otherwise the exit status to return right away.
int CommandTable::parse(const Command& command, const std::vector<std::string>& argv,
                        std::size_t first, Args& args, Context& context) const {
  auto usageError = [&](const std::string& message) {
    context.err << "ferry " << command.name << ": " << message << "\n"
                << "Run 'ferry " << command.name << " --help' for usage.\n";
    return kExitUsage;
  };
  // --help anywhere (before "--") wins, even when required arguments are missing.
  for (std::size_t i = first; i < argv.size() && argv[i] != "--"; ++i) {
    if (isHelp(argv[i])) {
      context.out << usage(command);
      return kExitOk;
    }
  }

  bool optionsEnded = false;
  for (std::size_t i = first; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (optionsEnded || !looksLikeOption(arg)) {
      args.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      optionsEnded = true;
      continue;
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const auto spec = std::find_if(command.options.begin(), command.options.end(),
                                   [&](const OptionSpec& o) { return o.name == name; });
    if (spec == command.options.end()) {
      std::vector<std::string> known;
      for (const auto& o : command.options) known.push_back(o.name);
      const std::string suggestion = closestMatch(name, known);
      return usageError("unknown option '" + name + "'" +
                        (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
    }
    if (!spec->repeatable && args.flag(name)) {
      return usageError("option " + name + " given more than once");
    }
    if (spec->metavar.empty()) {
      if (eq != std::string::npos) return usageError("option " + name + " takes no value");
      args.options_.emplace_back(name, std::string());
    } else if (eq != std::string::npos) {
      args.options_.emplace_back(name, arg.substr(eq + 1));
    } else if (i + 1 < argv.size()) {
      args.options_.emplace_back(name, argv[++i]);
    } else {
      return usageError("option " + name + " needs a value " + spec->metavar);
    }
  }

  const auto& specs = command.positionals;
  std::size_t required = 0;
  for (const auto& p : specs) required += p.required ? 1 : 0;
  if (args.positionals_.size() < required) {
    return usageError("missing argument " + positionalLabel(specs[args.positionals_.size()]));
  }
  const bool variadic = !specs.empty() && specs.back().variadic;
  if (!variadic && args.positionals_.size() > specs.size()) {
    return usageError("unexpected argument '" + args.positionals_[specs.size()] + "'");
  }
  return -1;
}

}  // namespace ferry::host::cli
