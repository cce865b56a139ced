// Opening connections from the command line the way `ferry run` does: plugins from the search
// path, secrets from ${ENV} references or, with a master key ($FERRY_MASTER_KEY or
// $FERRY_MASTER_KEY_FILE), from the credential sets kept encrypted in the --state store.
// Shared by `ferry run`, `ferry describe --connection` and `ferry validate --live`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/engine/connections.hpp"
#include "ferry/host/flow/flow.hpp"
#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/secrets/backend.hpp"
#include "ferry/host/secrets/vault.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::host::cli {

// --state URL (default: $FERRY_STATE, else sqlite://./ferry-state.db).
OptionSpec stateOption();
std::string stateUrl(const Args& args);
// Opens the --state store; prints the reason and returns null when it cannot.
std::unique_ptr<StateStore> openStore(const Args& args, Context& ctx);

// What the store is needed for.
enum class StoreUse {
  // `ferry run`: always opened; connectors keep their key-value state (cursors, describe
  // caches, tokens) in it.
  kRunState,
  // Describing: opened only when a master key is set, for credential sets alone. Connectors get
  // no key-value state, so a describe cached by an earlier run cannot answer for the live one.
  kCredentialsOnly,
};

// The services connections borrow, kept alive together.
struct ConnectionRuntime {
  std::unique_ptr<PluginRegistry> plugins;
  std::unique_ptr<StateStore> store;  // null with kCredentialsOnly and no master key
  std::unique_ptr<SecretBackend> secretBackend;
  std::unique_ptr<Vault> vault;  // null without a master key: only ${ENV} secrets resolve
  std::unique_ptr<engine::ConnectionFactory> factory;
};

// Loads plugins, opens the store and the vault as `use` says. Prints the reason and returns
// false when the store or the master key cannot be opened.
bool openConnectionRuntime(ConnectionRuntime& rt, const Args& args, Context& ctx, StoreUse use);

// Each connection's live describe(), asked once per connection (and settings). Failures are
// kept as one line naming the connection, with every secret the connection can see masked.
class LiveDescriber {
 public:
  explicit LiveDescriber(ConnectionRuntime& rt) : rt_(rt) {}

  const sdk::Result<std::vector<sdk::EntitySchema>>& describe(const ConnectionDef& def);

 private:
  sdk::Error failure(const ConnectionDef& def, sdk::Error error) const;

  ConnectionRuntime& rt_;
  std::map<std::string, sdk::Result<std::vector<sdk::EntitySchema>>> described_;
};

}  // namespace ferry::host::cli
