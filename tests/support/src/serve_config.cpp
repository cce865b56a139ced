#include "ferry/testing/serve_config.hpp"

namespace ferry::testing {

ServeConfig ServeConfig::inFolder(const TempDir& dir, const std::string& pluginDir) {
  ServeConfig config;
  config.state = "sqlite://" + dir.file("state.db");
  config.pluginDir = pluginDir;
  config.flowDir = dir.file("flows");
  config.logFile = dir.file("ferry.log");
  config.tokenFile = dir.file("tokens");
  return config;
}

std::string ServeConfig::yaml() const {
  std::string log;
  if (!logFormat.empty()) log += "format: " + logFormat + ", ";
  if (!logLevel.empty()) log += "level: " + logLevel + ", ";
  std::string out = "listen: { address: 127.0.0.1, port: 0 }\n";
  out += "state: " + state + "\n";
  out += "plugin_dirs: [" + pluginDir + "]\n";
  out += "flow_dir: " + flowDir + "\n";
  out += "log: { " + log + "file: " + logFile + " }\n";
  out += "token_file: " + tokenFile + "\n";
  if (maxBodyBytes > 0) out += "limits: { max_body_bytes: " + std::to_string(maxBodyBytes) + " }\n";
  out += "scheduler: { threads: " + std::to_string(schedulerThreads);
  if (!node.empty()) out += ", node: " + node;
  out += " }\n";
  return out;
}

}  // namespace ferry::testing
