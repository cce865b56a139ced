#include "ferry/host/flow/files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "yaml_reader.hpp"

namespace ferry::host {

namespace fs = std::filesystem;

sdk::Result<std::string> readTextFile(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, path + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return sdk::Error::make(sdk::ErrorCode::kNotFound, "cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

FileKind detectFileKind(std::string_view text) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return FileKind::kFlow;
    if (root["cases"]) return FileKind::kFixtures;
    if (root["connection"] && !root["flow"]) return FileKind::kConnection;
  } catch (const YAML::Exception&) {
    // Reported with its position when the file is parsed as a flow.
  }
  return FileKind::kFlow;
}

std::optional<std::string> findConnectionDirectory(const std::string& flowPath) {
  const fs::path dir = fs::path(flowPath).parent_path();
  std::error_code ec;
  for (const fs::path& candidate : {dir / "connections", dir / ".." / "connections"}) {
    if (fs::is_directory(candidate, ec)) return candidate.lexically_normal().string();
  }
  return std::nullopt;
}

ConnectionSet loadConnectionDirectory(const std::string& dir, const SchemaProvider& provider,
                                      const EnvLookup& env, Diagnostics& diags) {
  ConnectionSet set;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  if (ec) {
    diags.error({dir, 0, 0}, "missing-file", "cannot read the connections directory " + dir);
    return set;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto text = readTextFile(path.string());
    if (!text) {
      diags.error({path.string(), 0, 0}, "missing-file", text.error().message);
      continue;
    }
    auto spec = parseConnectionSpec(*text, path.string(), diags);
    if (!spec) continue;
    if (set.find(spec->name.value) != nullptr) {
      diags.error(spec->name.pos, "duplicate-connection",
                  "connection \"" + spec->name.value + "\" is defined twice");
      continue;
    }
    if (auto def = resolveConnection(*spec, provider, env, diags)) {
      set.add(std::move(*def));
    } else if (!spec->name.value.empty()) {
      // Keep the name and plugin so flows naming it are still checked against its entities;
      // the connection's own errors are already reported.
      set.add(ConnectionDef{
          spec->name.value, spec->plugin.value, {}, spec->credentials.value, spec->pos});
    }
  }
  return set;
}

}  // namespace ferry::host
