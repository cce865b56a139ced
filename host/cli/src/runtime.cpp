#include "runtime.hpp"

#include <cstdlib>
#include <ostream>

#include "ferry/host/cli/plugin_options.hpp"
#include "ferry/host/common/clock.hpp"
#include "ferry/host/common/redaction.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/secrets/master_key.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host::cli {

namespace {

constexpr const char* kDefaultState = "sqlite://./ferry-state.db";

// Where a master key would come from; nullopt when none is configured.
std::optional<MasterKeySource> masterKeySource() {
  MasterKeySource source;
  if (const char* file = std::getenv("FERRY_MASTER_KEY_FILE")) source.file = file;
  if (std::getenv("FERRY_MASTER_KEY") == nullptr && source.file.empty()) return std::nullopt;
  return source;
}

}  // namespace

OptionSpec stateOption() {
  return {"--state", "URL",
          "State store: sqlite:///path/file.db or postgresql://user@host:port/db "
          "(default: $FERRY_STATE, else sqlite://./ferry-state.db)",
          false};
}

std::string stateUrl(const Args& args) {
  if (auto url = args.value("--state")) return *url;
  if (const char* env = std::getenv("FERRY_STATE"); env != nullptr && *env != '\0') return env;
  return kDefaultState;
}

std::unique_ptr<StateStore> openStore(const Args& args, Context& ctx) {
  auto store = openStateStore(stateUrl(args));
  if (!store) {
    ctx.err << ctx.program << ": " << store.error().message << "\n";
    return nullptr;
  }
  return std::move(*store);
}

bool openConnectionRuntime(ConnectionRuntime& rt, const Args& args, Context& ctx, StoreUse use) {
  rt.plugins = loadPlugins(args);
  const auto keySource = masterKeySource();
  if (use == StoreUse::kRunState || keySource) {
    rt.store = openStore(args, ctx);
    if (!rt.store) return false;
  }
  // Stored credentials need the master key; without one only ${ENV} secrets resolve.
  if (keySource) {
    auto key = loadMasterKey(*keySource);
    if (!key) {
      ctx.err << ctx.program << ": " << key.error().message << "\n";
      return false;
    }
    rt.secretBackend = std::make_unique<StateStoreSecretBackend>(*rt.store);
    rt.vault = std::make_unique<Vault>(*rt.secretBackend, std::move(*key));
  }
  engine::ConnectionServices services;
  services.plugins = rt.plugins.get();
  services.store = use == StoreUse::kRunState ? rt.store.get() : nullptr;
  services.vault = rt.vault.get();
  services.clock = &systemClock();
  rt.factory = std::make_unique<engine::ConnectionFactory>(services);
  return true;
}

const sdk::Result<std::vector<sdk::EntitySchema>>& LiveDescriber::describe(
    const ConnectionDef& def) {
  const std::string key = def.name + "\n" + sdk::Value(def.settings).toJson();
  if (auto it = described_.find(key); it != described_.end()) return it->second;
  sdk::Result<std::vector<sdk::EntitySchema>> result = [&]() -> decltype(result) {
    auto live = rt_.factory->open(def);
    if (!live) return failure(def, live.takeError());
    auto entities = (*live)->connector().describe();
    if (!entities) return failure(def, entities.takeError());
    return std::move(*entities);
  }();
  return described_.emplace(key, std::move(result)).first->second;
}

sdk::Error LiveDescriber::failure(const ConnectionDef& def, sdk::Error error) const {
  // Connectors keep secrets out of their errors; a remote system echoing one back is masked
  // anyway: every secret this connection can read is registered with the redactor first.
  const auto redactor = processRedactor();
  if (rt_.vault) (void)rt_.vault->registerCredentialsWithRedactor();
  for (const auto& [name, value] : def.settings) {
    if (!value.isString() || !value.asString().starts_with(kEnvSecretPrefix)) continue;
    const std::string variable = value.asString().substr(kEnvSecretPrefix.size());
    if (const char* secret = std::getenv(variable.c_str())) redactor->add(secret);
  }
  std::string message = error.message;
  if (!error.remoteCode.empty() && message.find(error.remoteCode) == std::string::npos) {
    message += " (" + error.remoteCode + ")";
  }
  // Connections that name a credential set cannot read it without the master key.
  if (!def.credentials.empty() && !rt_.vault && message.find("is not set") != std::string::npos) {
    message += " (credential set '" + def.credentials +
               "' needs the master key: set FERRY_MASTER_KEY or FERRY_MASTER_KEY_FILE)";
  }
  error.message = redactor->redact(message);
  if (!error.message.starts_with("connection " + def.name)) {
    error.message = "connection " + def.name + ": " + error.message;
  }
  return error;
}

}  // namespace ferry::host::cli
