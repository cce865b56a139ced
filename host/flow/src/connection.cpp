// Connection files: YAML -> ConnectionSpec, and ${ENV} substitution.
#include <cstdlib>

#include "ferry/host/flow/parser.hpp"
#include "yaml_reader.hpp"

namespace ferry::host {

using yamlread::describeKind;
using yamlread::MapReader;
using yamlread::posOf;

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

bool validEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> substituteEnv(std::string_view text, const EnvLookup& env,
                                         const SourcePos& pos, Diagnostics& diags) {
  std::string out;
  bool ok = true;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t end = text.find('}', i + 2);
    if (end == std::string_view::npos) {
      diags.error(pos, "bad-env", "unterminated \"${\" in \"" + std::string(text) + "\"");
      return std::nullopt;
    }
    const std::string_view body = text.substr(i + 2, end - i - 2);
    const std::size_t sep = body.find(":-");
    const std::string name(body.substr(0, sep));
    if (!validEnvName(name)) {
      diags.error(pos, "bad-env",
                  "\"${" + std::string(body) +
                      "}\" is not an environment reference (use ${NAME} or "
                      "${NAME:-default})");
      ok = false;
    } else if (auto value = env(name)) {
      out += *value;
    } else if (sep != std::string_view::npos) {
      out += body.substr(sep + 2);
    } else {
      diags.error(pos, "env-unset",
                  "environment variable " + name + " is not set (referenced as ${" + name +
                      "}; set it or write ${" + name + ":-default})");
      ok = false;
    }
    i = end + 1;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<ConnectionSpec> parseConnectionSpec(std::string_view text, const std::string& file,
                                                  Diagnostics& diags) {
  const YAML::Node root = yamlread::load(text, file, diags);
  if (!root.IsDefined()) return std::nullopt;
  if (!root.IsMap()) {
    diags.error(posOf(root, file), "bad-value",
                "a connection file must be a mapping starting with \"connection: <name>\", not " +
                    describeKind(root));
    return std::nullopt;
  }
  ConnectionSpec spec;
  spec.pos = posOf(root, file);
  MapReader r(root, file, diags, "the connection", keysOf("connection"));
  if (auto name = r.requiredString("connection")) {
    spec.name = *name;
    if (!isSafeIdentifier(name->value)) {
      diags.error(name->pos, "unsafe-name",
                  "connection name \"" + name->value +
                      "\" is not a safe identifier: use lower-case "
                      "letters, digits, '-' and '_', starting with a letter");
    }
  }
  if (auto plugin = r.requiredString("plugin")) spec.plugin = *plugin;
  if (auto d = r.string("description")) spec.description = d->value;
  if (auto c = r.string("credentials")) spec.credentials = *c;
  const YAML::Node settings = r.get("settings");
  spec.settingsPos = r.keyPos("settings");
  if (settings.IsDefined() && !settings.IsNull()) {
    if (!settings.IsMap()) {
      diags.error(posOf(settings, file), "bad-value",
                  "\"settings\" must be a mapping, not " + describeKind(settings));
    } else {
      for (auto it = settings.begin(); it != settings.end(); ++it) {
        auto key = yamlread::scalarString(it->first, file, diags, "setting name");
        if (!key) continue;
        bool duplicate = false;
        for (const auto& s : spec.settings) duplicate = duplicate || s.key.value == key->value;
        if (duplicate) {
          diags.error(key->pos, "duplicate-key", "setting \"" + key->value + "\" is given twice");
          continue;
        }
        SettingSpec s;
        s.key = *key;
        s.pos = posOf(it->second, file);
        const YAML::Node value = it->second;
        s.literal = yamlread::toValue(value);
        s.isText = s.literal.isString();
        // { secret: name } names a secret; other mappings are structured settings, checked
        // against the setting's type when the plugin is known.
        if (value.IsMap() && value.size() == 1 && value["secret"]) {
          auto name = yamlread::scalarString(value["secret"], file, diags, "\"secret\"");
          if (!name) continue;
          s.secretName = *name;
        }
        spec.settings.push_back(std::move(s));
      }
    }
  }
  return spec;
}

}  // namespace ferry::host
