// The `ferry serve` configuration file (YAML). Every key is known: an unknown or misspelt key is
// an error at its file:line:column, like a flow file.
//
//   listen: { address: 127.0.0.1, port: 8080 }
//   tls: { certificate: /etc/ferry/tls.crt, key: /etc/ferry/tls.key }
//   public_url: https://ferry.example.com     # how browsers reach ferry (OAuth redirect_uri)
//   state: sqlite:///var/lib/ferry/state.db
//   plugin_dirs: [/usr/lib/ferry/plugins]
//   flow_dir: /etc/ferry/flows
//   log: { format: json, level: info, file: /var/log/ferry/ferry.log }
//   token_file: /etc/ferry/tokens             # or tokens: [...]
//   master_key: { env: FERRY_MASTER_KEY, file: /etc/ferry/master.key }
//   limits: { max_body_bytes: 1048576 }
//   oauth: { state_ttl: 600 }                 # seconds an administrator has to consent
//   scheduler: { threads: 4, node: ferry-1 }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/host/common/logging.hpp"
#include "ferry/host/secrets/master_key.hpp"
#include "ferry/sdk/result.hpp"

namespace ferry::host::server {

struct ServeConfig {
  std::string address = "127.0.0.1";  // loopback unless the operator opens it up
  int port = 8080;                    // 0 picks a free port (tests)
  std::string tlsCertificate;         // both set: HTTPS only
  std::string tlsKey;
  std::string publicUrl;  // empty: derived from address and port
  std::string stateUrl = "sqlite://./ferry-state.db";
  std::vector<std::string> pluginDirs;
  std::string flowDir;  // empty: nothing deployed from disk at start-up
  LogConfig log;
  std::vector<std::string> tokens;  // inline admin tokens (prefer token_file)
  std::string tokenFile;            // one token a line; '#' starts a comment
  MasterKeySource masterKey;
  std::size_t maxBodyBytes = 1024 * 1024;
  std::int64_t oauthStateTtlSeconds = 600;
  std::size_t threads = 4;
  std::string node;  // empty: "<hostname>-<pid>"
  std::string file;  // where the configuration came from (for messages)
};

// Parses configuration text; every problem is reported as "file:line:column: message", one a line.
sdk::Result<ServeConfig> parseServeConfig(const std::string& text, const std::string& file);
sdk::Result<ServeConfig> loadServeConfig(const std::string& path);

// Inline tokens plus those of the token file. Refuses an empty list (the API would be open) and
// tokens shorter than 16 characters (guessable).
sdk::Result<std::vector<std::string>> loadAdminTokens(const ServeConfig& config);

}  // namespace ferry::host::server
