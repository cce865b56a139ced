// ferry validate, ferry test, ferry map: flow files checked, unit-tested and tried out against
// the installed plugins' schemas (or describe snapshots), without touching any remote system —
// except `validate --live`, which asks each connection's live describe().
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <tuple>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/cli/plugin_options.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/fixtures.hpp"
#include "ferry/host/flow/parser.hpp"
#include "ferry/host/flow/validator.hpp"
#include "runtime.hpp"

namespace ferry::host::cli {

namespace {

namespace fs = std::filesystem;

OptionSpec connectionsOption() {
  return {"--connections", "DIR",
          "Connection files directory (default: connections/ next to the flow, or one level up)",
          false};
}

OptionSpec schemasOption() {
  return {"--schemas", "FILE",
          "A describe snapshot used instead of that plugin's static catalogue: from "
          "`ferry describe --connection NAME --json` (an org's custom fields included) or "
          "`ferry describe <plugin> --json`",
          true};
}

// Schemas of the installed plugins, with snapshots taking precedence.
struct Schemas {
  std::unique_ptr<PluginRegistry> registry;
  StaticSchemaProvider provider;
};

std::optional<Schemas> loadSchemas(const Args& args, Context& ctx,
                                   std::unique_ptr<PluginRegistry> registry = nullptr) {
  Schemas s;
  s.registry = registry ? std::move(registry) : loadPlugins(args);
  for (const auto* plugin : s.registry->list()) {
    s.provider.add(PluginSchema{plugin->name(), plugin->settings(), plugin->entities()});
  }
  for (const auto& file : args.values("--schemas")) {
    auto text = readTextFile(file);
    if (!text) {
      ctx.err << ctx.program << ": " << text.error().message << "\n";
      return std::nullopt;
    }
    auto schema = pluginSchemaFromJson(*text);
    if (!schema) {
      ctx.err << ctx.program << ": " << file << ": " << schema.error().message << "\n";
      return std::nullopt;
    }
    s.provider.add(std::move(*schema));
  }
  return s;
}

void printPluginLoadErrors(const Schemas& schemas, Context& ctx) {
  for (const auto& e : schemas.registry->errors()) ctx.err << "note: " << e.describe() << "\n";
}

// Connections for a flow file: --connections, else the directory found next to the flow.
ConnectionSet connectionsFor(const std::string& flowPath, const Args& args,
                             const SchemaProvider& provider, Diagnostics& diags) {
  std::optional<std::string> dir = args.value("--connections");
  if (!dir) dir = findConnectionDirectory(flowPath);
  if (!dir) return {};
  return loadConnectionDirectory(*dir, provider, processEnvironment(), diags);
}

std::optional<FlowDef> loadFlowFile(const std::string& path, const Args& args,
                                    const SchemaProvider& provider, Diagnostics& diags) {
  auto text = readTextFile(path);
  if (!text) {
    diags.error({path, 0, 0}, "missing-file", text.error().message);
    return std::nullopt;
  }
  const ConnectionSet connections = connectionsFor(path, args, provider, diags);
  return loadFlow(*text, path, connections, provider, diags);
}

// ---- validate --live ----------------------------------------------------------------------

// Entities as each connection's live describe() answers them. A connection that cannot be
// described has none (nullptr): its flows are reported once at their `connection:` line (see
// LiveCheck) and their entity and field checks skipped, rather than checked against the static
// catalogue this mode exists to get past.
class LiveSchemaProvider final : public SchemaProvider {
 public:
  LiveSchemaProvider(const StaticSchemaProvider& plugins, LiveDescriber& describer)
      : plugins_(plugins), describer_(describer) {}

  const PluginSchema* plugin(std::string_view name) const override { return plugins_.plugin(name); }
  std::vector<std::string> pluginNames() const override { return plugins_.pluginNames(); }
  const std::vector<sdk::EntitySchema>* entities(const ConnectionDef& connection) const override {
    if (plugins_.plugin(connection.plugin) == nullptr) return nullptr;
    const auto& described = describer_.describe(connection);
    return described ? &*described : nullptr;
  }

 private:
  const StaticSchemaProvider& plugins_;
  LiveDescriber& describer_;
};

// Describes the connections a flow file names before it is validated, so a connection that
// cannot be described is reported at the flow's `connection:` line with the reason; the
// validator's own finding at that spot (it sees no entities) is then dropped as redundant.
class LiveCheck {
 public:
  LiveCheck(const StaticSchemaProvider& plugins, LiveDescriber& describer)
      : plugins_(plugins), describer_(describer) {}

  void describeFlowConnections(std::string_view text, const std::string& path,
                               const ConnectionSet& connections, Diagnostics& diags) {
    Diagnostics ignored;  // shape problems are reported when the flow itself is loaded
    const auto spec = parseFlowSpec(text, path, ignored);
    if (!spec) return;
    std::set<std::string> reported;
    for (const auto* side : {&spec->sourceConnection, &spec->sinkConnection}) {
      const ConnectionDef* def = connections.find(side->value);
      if (def == nullptr || plugins_.plugin(def->plugin) == nullptr) continue;
      const auto& described = describer_.describe(*def);
      if (described) continue;
      reportedAt_.insert(key(side->pos));
      if (!reported.insert(def->name).second) continue;  // both sides on one connection
      diags.error(side->pos, "describe-failed",
                  "cannot validate against the live service: " + described.error().message);
    }
  }

  // The validator's findings, less its "no entities" findings on the sides whose connection
  // could not be described (already reported).
  void appendFindings(const Diagnostics& found, Diagnostics& diags) const {
    for (const auto& d : found.all()) {
      if (d.code == "unknown-plugin" && reportedAt_.count(key(d.pos)) > 0) continue;
      if (d.severity == Diagnostic::Severity::kError) {
        diags.error(d.pos, d.code, d.message);
      } else {
        diags.warning(d.pos, d.code, d.message);
      }
    }
  }

 private:
  using PosKey = std::tuple<std::string, int, int>;
  static PosKey key(const SourcePos& pos) { return {pos.file, pos.line, pos.column}; }

  const StaticSchemaProvider& plugins_;
  LiveDescriber& describer_;
  std::set<PosKey> reportedAt_;
};

int runValidate(const Args& args, Context& ctx) {
  const bool live = args.flag("--live");
  if (live && !args.values("--schemas").empty()) {
    ctx.err << ctx.program << " validate: --live and --schemas exclude each other\n";
    return kExitUsage;
  }
  ConnectionRuntime runtime;
  if (live && !openConnectionRuntime(runtime, args, ctx, StoreUse::kCredentialsOnly)) {
    return kExitFailure;
  }
  // One registry: the connection factory borrows the one the schemas now own.
  auto schemas = loadSchemas(args, ctx, std::move(runtime.plugins));
  if (!schemas) return kExitFailure;
  std::optional<LiveDescriber> describer;
  std::optional<LiveSchemaProvider> liveProvider;
  std::optional<LiveCheck> liveCheck;
  if (live) {
    describer.emplace(runtime);
    liveProvider.emplace(schemas->provider, *describer);
    liveCheck.emplace(schemas->provider, *describer);
  }
  // Connection directories are loaded once each, so their problems are reported once.
  std::map<std::string, ConnectionSet> connectionDirs;
  const auto connectionsOf = [&](const std::string& flowPath, Diagnostics& diags) {
    std::optional<std::string> dir = args.value("--connections");
    if (!dir) dir = findConnectionDirectory(flowPath);
    if (!dir) return ConnectionSet{};
    auto it = connectionDirs.find(*dir);
    if (it == connectionDirs.end()) {
      it = connectionDirs
               .emplace(*dir, loadConnectionDirectory(*dir, schemas->provider, processEnvironment(),
                                                      diags))
               .first;
    }
    return it->second;
  };
  Diagnostics all;
  std::size_t files = 0;
  for (const auto& path : args.positionals()) {
    ++files;
    auto text = readTextFile(path);
    if (!text) {
      all.error({path, 0, 0}, "missing-file", text.error().message);
      continue;
    }
    Diagnostics diags;
    switch (detectFileKind(*text)) {
      case FileKind::kConnection:
        (void)loadConnection(*text, path, schemas->provider, processEnvironment(), diags);
        break;
      case FileKind::kFixtures:
        (void)parseFixtures(*text, path, diags);
        break;
      case FileKind::kFlow: {
        const ConnectionSet connections = connectionsOf(path, diags);
        if (!live) {
          (void)loadFlow(*text, path, connections, schemas->provider, diags);
          break;
        }
        liveCheck->describeFlowConnections(*text, path, connections, diags);
        Diagnostics found;
        (void)loadFlow(*text, path, connections, *liveProvider, found);
        liveCheck->appendFindings(found, diags);
        break;
      }
    }
    all.append(diags);
  }
  if (args.flag("--json")) {
    ctx.out << all.toJson() << "\n";
  } else {
    ctx.out << all.format();
    const std::size_t warnings = all.all().size() - all.errorCount();
    ctx.out << files << (files == 1 ? " file" : " files") << ": " << all.errorCount()
            << (all.errorCount() == 1 ? " error" : " errors") << ", " << warnings
            << (warnings == 1 ? " warning" : " warnings") << "\n";
  }
  if (all.hasErrors()) printPluginLoadErrors(*schemas, ctx);
  return all.hasErrors() ? kExitFailure : kExitOk;
}

// A fixture file, or the <flow>.test.yaml next to a flow file.
std::string fixtureFileFor(const std::string& path) {
  if (path.ends_with(".test.yaml")) return path;
  auto text = readTextFile(path);
  if (text && detectFileKind(*text) == FileKind::kFixtures) return path;
  fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".test.yaml")).string();
}

int runTest(const Args& args, Context& ctx) {
  auto schemas = loadSchemas(args, ctx);
  if (!schemas) return kExitFailure;
  bool failed = false;
  for (const auto& given : args.positionals()) {
    const std::string path = fixtureFileFor(given);
    Diagnostics diags;
    auto text = readTextFile(path);
    if (!text) {
      ctx.err << ctx.program << " test: " << text.error().message
              << (path != given ? " (fixtures for " + given + ")" : "") << "\n";
      failed = true;
      continue;
    }
    const auto fixtures = parseFixtures(*text, path, diags);
    std::optional<FlowDef> flow;
    if (fixtures) {
      const fs::path flowPath = fs::path(path).parent_path() / fixtures->flow.value;
      flow = loadFlowFile(flowPath.lexically_normal().string(), args, schemas->provider, diags);
    }
    if (!fixtures || !flow) {
      ctx.out << diags.format();
      printPluginLoadErrors(*schemas, ctx);
      failed = true;
      continue;
    }
    const FixtureReport report = runFixtures(*fixtures, *flow);
    ctx.out << path << "\n" << report.format();
    failed = failed || report.failed() > 0;
  }
  return failed ? kExitFailure : kExitOk;
}

int runMap(const Args& args, Context& ctx) {
  auto schemas = loadSchemas(args, ctx);
  if (!schemas) return kExitFailure;
  const auto recordText = args.value("--record");
  if (!recordText) {
    ctx.err << ctx.program << " map: --record JSON is required\n";
    return kExitUsage;
  }
  const std::string path = args.positional(0);
  Diagnostics diags;
  const auto flow = loadFlowFile(path, args, schemas->provider, diags);
  if (!flow) {
    ctx.err << diags.format();
    printPluginLoadErrors(*schemas, ctx);
    return kExitFailure;
  }
  std::string error;
  const auto record = sdk::Value::fromJson(*recordText, &error);
  if (!record || !record->isObject()) {
    ctx.err << ctx.program << " map: --record must be a JSON object"
            << (error.empty() ? "" : ": " + error) << "\n";
    return kExitUsage;
  }
  const bool reverse = args.flag("--reverse");
  const auto mapped = reverse ? flow->mapping->reverse(record->asObject())
                              : flow->mapping->forward(record->asObject());
  if (!mapped) {
    ctx.err << "rejected: " << mapped.error().message << "\n";
    return kExitFailure;
  }
  ctx.out << sdk::Value(*mapped).toJson() << "\n";
  return kExitOk;
}

}  // namespace

void registerFlowCommands(CommandTable& table) {
  table.add(Command{
      .name = "validate",
      .summary = "Check flow and connection files against the plugins' schemas",
      .description =
          "Checks every FILE (flows, connection files, fixture files) and prints each problem as "
          "file:line:column: message. Flows are checked against the installed plugins' entity "
          "catalogues (or --schemas snapshots) and the connections in --connections. Exits 1 "
          "when any error was found.\n"
          "With --live, flows are checked against what each connection's live service "
          "describes (custom fields and attributes included): every connection the flows use is "
          "opened as `ferry run` opens it and described once. A connection that cannot be "
          "described is an error at the flow's `connection:` line, with the reason; there is no "
          "fallback to the static catalogue. Secrets come from ${ENV} references, or from the "
          "--state store's credential sets when FERRY_MASTER_KEY or FERRY_MASTER_KEY_FILE is "
          "set. To validate offline against an org's real fields, save a snapshot with "
          "`ferry describe --connection NAME --json` and pass it with --schemas.",
      .positionals = {{"file", "Flow, connection or fixture files", true, true}},
      .options = {{"--json", "", "Print the findings as a JSON list", false},
                  {"--live", "", "Validate flows against the connections' live describe()", false},
                  connectionsOption(),
                  schemasOption(),
                  stateOption(),
                  pluginDirOption()},
      .run = runValidate});
  table.add(Command{
      .name = "test",
      .summary = "Run flow fixtures (input records and their expected mapping)",
      .description =
          "Runs the cases of each fixture file (or of <flow>.test.yaml for a flow file): maps "
          "each input record forward or back and compares it with the expected record, printing "
          "a diff on mismatch. Exits 1 when any case fails.",
      .positionals = {{"file", "Fixture files (*.test.yaml) or flow files", true, true}},
      .options = {connectionsOption(), schemasOption(), pluginDirOption()},
      .run = runTest});
  table.add(Command{
      .name = "map",
      .summary = "Map one record through a flow and print the result",
      .description = "Applies the flow's mapping to the JSON object given with --record and prints "
                     "the mapped record as JSON, or the reason it is rejected (exit 1).",
      .positionals = {{"flow", "Flow file", true, false}},
      .options = {{"--record", "JSON", "The input record, a JSON object (required)", false},
                  {"--reverse", "", "Map a sink record back to the source", false},
                  connectionsOption(),
                  schemasOption(),
                  pluginDirOption()},
      .run = runMap});
}

}  // namespace ferry::host::cli
