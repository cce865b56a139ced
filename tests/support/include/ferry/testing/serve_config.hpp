// The ferry.yaml a `ferry serve` test starts with: loopback on a port the system picks (the
// address is read from ferry's first line, see serve_process.hpp), the state store, plugins,
// flows, a log file, the admin token file and the scheduler. Only the settings tests vary are
// fields; the rest is ferry's default.
#pragma once

#include <string>

#include "ferry/testing/files.hpp"

namespace ferry::testing {

struct ServeConfig {
  std::string state;      // the state store's URL
  std::string pluginDir;  // the only plugin directory
  std::string flowDir;
  std::string logFile;
  std::string tokenFile;
  std::string logFormat;  // "json", or empty for ferry's default
  std::string logLevel;   // empty: ferry's default
  int maxBodyBytes = 0;   // 0: ferry's default limit
  int schedulerThreads = 2;
  std::string node;  // the scheduler's node name; empty: ferry's default

  // The layout the tests use in `dir`: SQLite state.db, flows/, ferry.log and tokens.
  static ServeConfig inFolder(const TempDir& dir, const std::string& pluginDir);

  std::string yaml() const;
};

}  // namespace ferry::testing
