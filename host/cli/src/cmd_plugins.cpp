// ferry plugins, ferry describe: what the installed plugins offer, read from their descriptors
// (no connector is created), and with `describe --connection` what one connection's live
// describe() answers, as a snapshot `ferry validate --schemas` reads.
#include <filesystem>
#include <ostream>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/cli/plugin_options.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/host/plugins/settings.hpp"
#include "ferry/sdk/value.hpp"
#include "runtime.hpp"

namespace ferry::host::cli {

namespace {

using sdk::Object;
using sdk::Value;

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string entityNames(const LoadedPlugin& plugin) {
  std::vector<std::string> names;
  for (const auto& e : plugin.entities()) names.push_back(e.name);
  return names.empty() ? "(per connection)" : join(names);
}

void printLoadErrors(const PluginRegistry& registry, std::ostream& err) {
  for (const auto& e : registry.errors()) err << "error: " << e.describe() << "\n";
}

std::string fieldTypeText(const sdk::FieldSchema& f) {
  std::string text = sdk::toString(f.type);
  if (f.type == sdk::FieldType::kList) text += "<" + std::string(sdk::toString(f.itemType)) + ">";
  return text;
}

std::string fieldFlags(const sdk::FieldSchema& f) {
  std::vector<std::string> flags;
  if (f.requiredOnCreate) flags.emplace_back("required");
  if (!f.createable && !f.updateable) {
    flags.emplace_back("read-only");
  } else if (!f.updateable) {
    flags.emplace_back("create-only");
  } else if (!f.createable) {
    flags.emplace_back("update-only");
  }
  if (f.identity) flags.emplace_back("identity");
  if (f.externalId) flags.emplace_back("external-id");
  if (f.maxLength) flags.push_back("max " + std::to_string(*f.maxLength));
  if (!f.picklistValues.empty()) flags.push_back("one of " + join(f.picklistValues, "|"));
  return join(flags);
}

std::string settingTypeText(const sdk::SettingSchema& s) {
  if (s.type == sdk::SettingType::kEnum) return "enum(" + join(s.enumValues, "|") + ")";
  return sdk::toString(s.type);
}

Value settingJson(const sdk::SettingSchema& s) {
  Object o{{"name", s.name},
           {"type", sdk::toString(s.type)},
           {"required", s.required},
           {"default", s.defaultValue},
           {"description", s.description}};
  if (!s.enumValues.empty()) {
    sdk::List values(s.enumValues.begin(), s.enumValues.end());
    o.set("enum", std::move(values));
  }
  return o;
}

Value fieldJson(const sdk::FieldSchema& f) {
  Object o{{"name", f.name},
           {"label", f.label},
           {"type", sdk::toString(f.type)},
           {"requiredOnCreate", f.requiredOnCreate},
           {"createable", f.createable},
           {"updateable", f.updateable},
           {"identity", f.identity},
           {"externalId", f.externalId},
           {"maxLength", f.maxLength ? Value(*f.maxLength) : Value()},
           {"description", f.description}};
  if (f.type == sdk::FieldType::kList) o.set("itemType", sdk::toString(f.itemType));
  if (!f.picklistValues.empty()) {
    o.set("picklistValues", sdk::List(f.picklistValues.begin(), f.picklistValues.end()));
  }
  return o;
}

Value entityJson(const sdk::EntitySchema& e) {
  sdk::List fields;
  for (const auto& f : e.fields) fields.push_back(fieldJson(f));
  return Object{{"name", e.name},
                {"label", e.label},
                {"idField", e.idField},
                {"readable", e.readable},
                {"writable", e.writable},
                {"supportsDelete", e.supportsDelete},
                {"fields", std::move(fields)}};
}

// Prints a table indented under its heading.
void printIndented(const std::string& table, std::ostream& out) {
  for (std::size_t start = 0; start < table.size();) {
    const auto end = table.find('\n', start);
    out << "  " << table.substr(start, end - start + 1);
    start = end + 1;
  }
}

void printEntity(const sdk::EntitySchema& e, std::ostream& out) {
  std::vector<std::string> abilities;
  if (e.readable) abilities.emplace_back("read");
  if (e.writable) abilities.emplace_back("write");
  if (e.supportsDelete) abilities.emplace_back("delete");
  out << "\n" << e.name;
  if (!e.label.empty() && e.label != e.name) out << " (" << e.label << ")";
  out << ": id field " << e.idField << "; " << (abilities.empty() ? "no access" : join(abilities))
      << "\n";
  std::vector<std::vector<std::string>> rows{{"FIELD", "TYPE", "FLAGS", "LABEL"}};
  for (const auto& f : e.fields) rows.push_back({f.name, fieldTypeText(f), fieldFlags(f), f.label});
  printIndented(renderTable(rows), out);
}

int runPlugins(const Args& args, Context& ctx) {
  const auto registry = loadPlugins(args);
  if (args.flag("--json")) {
    sdk::List plugins;
    for (const auto* p : registry->list()) {
      sdk::List entities;
      for (const auto& e : p->entities()) entities.emplace_back(e.name);
      plugins.push_back(Object{{"name", p->name()},
                               {"version", p->version()},
                               {"description", p->description()},
                               {"file", p->file().string()},
                               {"entities", std::move(entities)}});
    }
    sdk::List errors;
    for (const auto& e : registry->errors()) {
      errors.push_back(Object{{"file", e.file.string()}, {"reason", e.reason}});
    }
    ctx.out
        << Value(Object{{"plugins", std::move(plugins)}, {"errors", std::move(errors)}}).toJson()
        << "\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"NAME", "VERSION", "ENTITIES", "DESCRIPTION"}};
    for (const auto* p : registry->list()) {
      rows.push_back({p->name(), p->version(), entityNames(*p), p->description()});
    }
    if (rows.size() == 1) {
      std::vector<std::string> searched = args.values("--plugin-dir");
      for (const auto& dir : defaultPluginPath()) searched.push_back(dir.string());
      ctx.out << "No plugins found (searched: " << join(searched) << ").\n";
    } else {
      ctx.out << renderTable(rows);
    }
    printLoadErrors(*registry, ctx.err);
  }
  return args.flag("--strict") && !registry->errors().empty() ? kExitFailure : kExitOk;
}

// ---- describe --connection ----------------------------------------------------------------

// The connections directory: --connections, else ./connections.
std::optional<std::string> connectionDirectory(const Args& args) {
  if (auto dir = args.value("--connections")) return dir;
  std::error_code ec;
  if (std::filesystem::is_directory("connections", ec)) return std::string("connections");
  return std::nullopt;
}

int runDescribeConnection(const std::string& connection, const Args& args, Context& ctx) {
  const std::string program = ctx.program + " describe";
  if (args.positionals().size() > 1) {
    ctx.err << program << ": with --connection, give at most one entity (got "
            << args.positionals().size() << " arguments)\n";
    return kExitUsage;
  }
  const auto dir = connectionDirectory(args);
  if (!dir) {
    ctx.err << program << ": no connections directory (give --connections DIR)\n";
    return kExitFailure;
  }
  ConnectionRuntime rt;
  if (!openConnectionRuntime(rt, args, ctx, StoreUse::kCredentialsOnly)) return kExitFailure;
  StaticSchemaProvider schemas;
  for (const auto* plugin : rt.plugins->list()) {
    schemas.add(PluginSchema{plugin->name(), plugin->settings(), plugin->entities()});
  }
  Diagnostics diags;
  const ConnectionSet connections =
      loadConnectionDirectory(*dir, schemas, processEnvironment(), diags);
  const ConnectionDef* def = connections.find(connection);
  if (def == nullptr) {
    // A connection file with errors is left out of the set: its problems say why.
    ctx.err << diags.format();
    const std::string suggestion = closestMatch(connection, connections.names());
    ctx.err << program << ": no usable connection named '" << connection << "' in " << *dir
            << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") << "\n";
    return kExitFailure;
  }
  const LoadedPlugin* plugin = rt.plugins->find(def->plugin);
  LiveDescriber describer(rt);
  const auto& described = describer.describe(*def);
  if (!described) {
    ctx.err << program << ": " << described.error().message << "\n";
    return kExitFailure;
  }
  PluginSchema schema{def->plugin, plugin->settings(), *described};
  if (const auto wanted = args.positional(0); !wanted.empty()) {
    const sdk::EntitySchema* entity = schema.entity(wanted);
    if (entity == nullptr) {
      std::vector<std::string> names;
      for (const auto& e : schema.entities) names.push_back(e.name);
      const std::string suggestion = closestMatch(wanted, names);
      ctx.err << program << ": connection '" << connection << "' has no entity '" << wanted << "'"
              << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)")
              << "; entities: " << join(names) << "\n";
      return kExitFailure;
    }
    schema.entities = {*entity};
  }

  if (args.flag("--json")) {
    // A describe snapshot (ferry validate --schemas), naming the connection it came from.
    auto snapshot = Value::fromJson(pluginSchemaToJson(schema));
    snapshot->asObject().set("connection", connection);
    ctx.out << snapshot->toJson() << "\n";
    return kExitOk;
  }
  ctx.out << "connection " << connection << " (" << def->plugin << "), as its describe() answers"
          << "\n";
  for (const auto& e : schema.entities) printEntity(e, ctx.out);
  return kExitOk;
}

int runDescribe(const Args& args, Context& ctx) {
  if (const auto connection = args.value("--connection")) {
    return runDescribeConnection(*connection, args, ctx);
  }
  if (args.positionals().empty()) {
    ctx.err << ctx.program << " describe: give a plugin name, or --connection NAME\n";
    return kExitUsage;
  }
  const auto registry = loadPlugins(args);
  const std::string name = args.positional(0);
  const LoadedPlugin* plugin = registry->find(name);
  if (plugin == nullptr) {
    std::vector<std::string> names;
    for (const auto* p : registry->list()) names.push_back(p->name());
    const std::string suggestion = closestMatch(name, names);
    ctx.err << "ferry describe: no plugin named '" << name << "'"
            << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") << "\n";
    for (const auto& e : registry->errors()) {
      ctx.err << "  (" << e.describe() << ")\n";  // it may be the one that failed to load
    }
    return kExitFailure;
  }

  std::vector<const sdk::EntitySchema*> entities;
  if (const auto wanted = args.positional(1); !wanted.empty()) {
    const sdk::EntitySchema* entity = plugin->entity(wanted);
    if (entity == nullptr) {
      std::vector<std::string> names;
      for (const auto& e : plugin->entities()) names.push_back(e.name);
      const std::string suggestion = closestMatch(wanted, names);
      ctx.err << "ferry describe: plugin '" << name << "' has no entity '" << wanted << "'"
              << (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)")
              << (names.empty() ? "; its entities are configured per connection"
                                : "; entities: " + join(names))
              << "\n";
      return kExitFailure;
    }
    entities.push_back(entity);
  } else {
    for (const auto& e : plugin->entities()) entities.push_back(&e);
  }

  if (args.flag("--json")) {
    sdk::List settings;
    for (const auto& s : plugin->settings()) settings.push_back(settingJson(s));
    sdk::List entityList;
    for (const auto* e : entities) entityList.push_back(entityJson(*e));
    ctx.out << Value(Object{{"name", plugin->name()},
                            {"version", plugin->version()},
                            {"description", plugin->description()},
                            {"file", plugin->file().string()},
                            {"settings", std::move(settings)},
                            {"entities", std::move(entityList)}})
                   .toJson()
            << "\n";
    return kExitOk;
  }

  ctx.out << plugin->name() << " " << plugin->version() << ": " << plugin->description() << "\n"
          << "file: " << plugin->file().string() << "\n";
  if (args.positional(1).empty()) {
    ctx.out << "\nSettings:\n";
    if (plugin->settings().empty()) {
      ctx.out << "  (none)\n";
    } else {
      std::vector<std::vector<std::string>> rows{
          {"NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"}};
      for (const auto& s : plugin->settings()) {
        rows.push_back({s.name, settingTypeText(s), s.required ? "yes" : "no",
                        s.defaultValue.isNull() ? "" : s.defaultValue.toJson(), s.description});
      }
      printIndented(renderTable(rows), ctx.out);
    }
    if (entities.empty()) ctx.out << "\nEntities: none in the static catalogue\n";
  }
  for (const auto* e : entities) printEntity(*e, ctx.out);
  return kExitOk;
}

}  // namespace

void registerPluginsCommands(CommandTable& table) {
  table.add(Command{
      .name = "plugins",
      .summary = "List installed connector plugins",
      .description =
          "Loads every plugin on the search path and lists name, version, entities and "
          "description. Plugins that fail to load are reported one line each on stderr.\n"
          "Search path: --plugin-dir directories, then $FERRY_PLUGIN_PATH (colon-separated), "
          "then <ferry's directory>/../plugins, then /usr/lib/ferry/plugins.",
      .positionals = {},
      .options = {{"--strict", "", "Exit with status 1 when any plugin failed to load", false},
                  {"--json", "", "Print JSON instead of a table", false},
                  pluginDirOption()},
      .run = runPlugins});
  table.add(Command{
      .name = "describe",
      .summary = "Show a plugin's settings and entities, or what a live connection describes",
      .description =
          "Shows a plugin's connection settings and, for every entity in its static catalogue "
          "(or just <entity>), the fields with their types and flags.\n"
          "With --connection NAME (no plugin argument: `ferry describe --connection NAME "
          "[entity]`) it opens that connection as `ferry run` does and shows what the live "
          "service describes, an org's custom fields and attributes included. Its --json output "
          "is a snapshot for `ferry validate --schemas` (also answered by a running server at "
          "GET /api/v1/connections/NAME/entities); with an entity, the snapshot holds only that "
          "one. Secrets come from ${ENV} references, or from the --state store's credential sets "
          "when FERRY_MASTER_KEY or FERRY_MASTER_KEY_FILE is set. A connection that cannot be "
          "opened or described is reported in one line, exit status 1.",
      .positionals = {{"plugin",
                       "Plugin name, as listed by 'ferry plugins' (not with --connection)", false,
                       false},
                      {"entity", "Only this entity", false, false}},
      .options = {{"--json", "", "Print JSON instead of text", false},
                  {"--connection", "NAME", "Describe this connection live instead of a plugin",
                   false},
                  {"--connections", "DIR",
                   "Connection files directory for --connection (default: ./connections)", false},
                  stateOption(),
                  pluginDirOption()},
      .run = runDescribe});
}

}  // namespace ferry::host::cli
