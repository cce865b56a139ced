// Finding and reading flow, connection and fixture files on disk (used by the CLI and tests).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/host/flow/validator.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host {

sdk::Result<std::string> readTextFile(const std::string& path);

enum class FileKind { kFlow, kConnection, kFixtures };
// By the top-level keys: "cases" = fixtures, "connection" without "flow" = connection, else a
// flow (so a file that is not even YAML is reported as a flow, with its syntax error).
FileKind detectFileKind(std::string_view text);

// Where a flow's connections live: <flow dir>/connections, else <flow dir>/../connections.
std::optional<std::string> findConnectionDirectory(const std::string& flowPath);

// Loads every *.yaml / *.yml file of dir (sorted by name); problems are reported, valid
// connections returned. A missing directory is reported as an error.
ConnectionSet loadConnectionDirectory(const std::string& dir, const SchemaProvider& provider,
                                      const EnvLookup& env, Diagnostics& diags);

}  // namespace ferry::host
