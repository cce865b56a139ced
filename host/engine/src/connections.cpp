#include "ferry/host/engine/connections.hpp"

#include <cstdlib>
#include <map>

#include "ferry/host/common/clock.hpp"
#include "ferry/host/common/logging.hpp"
#include "ferry/host/http/http_client.hpp"
#include "ferry/host/plugins/settings.hpp"

namespace ferry::host::engine {
namespace {

constexpr std::string_view kEnvSecretPrefix = "env.";  // see flow/validator.hpp

// The connection's secrets: `env.NAME` references answer from the environment; everything else
// from the vault (tokens, then the credential set). Without a vault, tokens a connector stores
// are kept in memory for the life of the process.
class ConnectionSecrets final : public sdk::SecretStore {
 public:
  ConnectionSecrets(std::string connection, std::unique_ptr<sdk::SecretStore> vault)
      : connection_(std::move(connection)), vault_(std::move(vault)) {}

  Result<std::string> get(std::string_view name) override {
    if (name.starts_with(kEnvSecretPrefix)) {
      const std::string variable(name.substr(kEnvSecretPrefix.size()));
      if (const char* value = std::getenv(variable.c_str())) return std::string(value);
      return notFound(name);
    }
    if (vault_) return vault_->get(name);
    std::lock_guard lock(mutex_);
    if (auto it = tokens_.find(std::string(name)); it != tokens_.end()) return it->second;
    return notFound(name);
  }
  Status put(std::string_view name, std::string_view value) override {
    if (vault_) return vault_->put(name, value);
    std::lock_guard lock(mutex_);
    tokens_[std::string(name)] = std::string(value);
    return {};
  }
  Status erase(std::string_view name) override {
    if (vault_) return vault_->erase(name);
    std::lock_guard lock(mutex_);
    tokens_.erase(std::string(name));
    return {};
  }

 private:
  sdk::Error notFound(std::string_view name) const {
    return sdk::Error::make(sdk::ErrorCode::kNotFound, "connection " + connection_ + ": secret '" +
                                                           std::string(name) + "' is not set");
  }

  std::string connection_;
  std::unique_ptr<sdk::SecretStore> vault_;
  std::mutex mutex_;
  std::map<std::string, std::string> tokens_;
};

// Connector key-value state in the state store, one scope per connection.
class StoreKeyValueState final : public sdk::KeyValueState {
 public:
  StoreKeyValueState(StateStore& store, std::string connection)
      : store_(store), scope_("connection/" + std::move(connection)) {}
  Result<std::optional<std::string>> get(std::string_view key) override {
    return store_.kvGet(scope_, std::string(key));
  }
  Status put(std::string_view key, std::string_view value) override {
    return store_.kvPut(scope_, std::string(key), std::string(value));
  }
  Status erase(std::string_view key) override { return store_.kvErase(scope_, std::string(key)); }

 private:
  StateStore& store_;
  std::string scope_;
};

// Metrics for a connection when the process keeps no registry (one-shot CLI runs).
class NoMetrics final : public sdk::Metrics {
 public:
  void add(std::string_view, std::string_view, double) override {}
  void set(std::string_view, std::string_view, double) override {}
};

class EngineLogger final : public sdk::Logger {
 public:
  explicit EngineLogger(std::string flow)
      : logger_(getLogger("ferry.engine")), fields_{{"flow", std::move(flow)}} {}
  void log(sdk::LogLevel level, std::string_view message) override {
    logWith(*logger_, level, message, fields_);
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  LogFields fields_;
};

}  // namespace

std::unique_ptr<sdk::Logger> makeEngineLogger(const std::string& flow) {
  return std::make_unique<EngineLogger>(flow);
}

// ---- LiveConnection -----------------------------------------------------------------------------

LiveConnection::~LiveConnection() {
  if (connector_) connector_->stop();
  connector_.reset();  // before the services it borrowed
}

void LiveConnection::onHealth(void* cookie, sdk::ConnectionHealth health, const char* reason) {
  auto* self = static_cast<LiveConnection*>(cookie);
  self->health_.store(health);
  std::lock_guard lock(self->reasonMutex_);
  self->healthReason_ = reason != nullptr ? reason : "";
}

std::string LiveConnection::healthReason() const {
  std::lock_guard lock(reasonMutex_);
  return healthReason_;
}

const sdk::EntitySchema* LiveConnection::entity(const std::string& name) {
  if (!described_) {
    auto described = connector_->describe();
    described_ = described ? std::move(*described) : std::vector<sdk::EntitySchema>{};
  }
  for (const auto& e : *described_) {
    if (e.name == name) return &e;
  }
  return plugin_->entity(name);
}

// ---- ConnectionFactory --------------------------------------------------------------------------

ConnectionFactory::ConnectionFactory(ConnectionServices services) : services_(services) {}

Result<std::unique_ptr<LiveConnection>> ConnectionFactory::open(const ConnectionDef& def,
                                                                const std::string& flow) {
  const std::string where = "connection " + def.name;
  const LoadedPlugin* plugin =
      services_.plugins != nullptr ? services_.plugins->find(def.plugin) : nullptr;
  if (plugin == nullptr) {
    return sdk::Error::make(sdk::ErrorCode::kNotFound,
                            where + ": plugin '" + def.plugin + "' is not installed");
  }
  ValidatedSettings settings = validateSettings(plugin->settings(), def.settings);
  if (!settings.ok()) {
    std::string message = where + ": invalid settings:";
    for (const auto& issue : settings.issues)
      message += " " + issue.key + ": " + issue.message + ";";
    message.pop_back();
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, message);
  }

  std::unique_ptr<LiveConnection> live(new LiveConnection());
  live->def_ = def;
  live->plugin_ = plugin;
  HttpClientOptions http;
  http.connection = def.name;
  http.clock = services_.clock;
  http.metrics = services_.metrics;
  live->http_ = std::make_unique<PocoHttpClient>(http);
  live->logger_ =
      std::make_unique<ConnectorLogger>(getLogger("ferry.connector"), def.plugin, def.name, flow);
  live->secrets_ = std::make_unique<ConnectionSecrets>(
      def.name, services_.vault != nullptr ? services_.vault->secretStore(def.name, def.credentials)
                                           : nullptr);
  if (services_.store != nullptr) {
    live->state_ = std::make_unique<StoreKeyValueState>(*services_.store, def.name);
  }
  if (services_.metrics != nullptr) {
    live->metrics_ = std::make_unique<ConnectionMetrics>(*services_.metrics, def.name);
  } else {
    live->metrics_ = std::make_unique<NoMetrics>();
  }
  sdk::HostContext& ctx = live->context_;
  ctx.connectionName = def.name;
  ctx.settings = std::move(settings.settings);
  ctx.http = live->http_.get();
  ctx.logger = live->logger_.get();
  ctx.clock = services_.clock != nullptr ? services_.clock : &systemClock();
  ctx.secrets = live->secrets_.get();
  ctx.state = live->state_.get();
  ctx.metrics = live->metrics_.get();
  ctx.reportHealth = &LiveConnection::onHealth;
  ctx.healthCookie = live.get();

  auto connector = plugin->create(ctx);
  if (!connector) {
    sdk::Error e = connector.takeError();
    e.message = where + ": " + e.message;
    return e;
  }
  live->connector_ = std::move(*connector);
  if (auto started = live->connector_->start(); !started) {
    sdk::Error e = started.takeError();
    e.message = where + ": cannot start: " + e.message;
    return e;
  }
  return live;
}

// ---- FlowInstance -------------------------------------------------------------------------------

FlowInstance::~FlowInstance() {
  runner_.reset();  // the runner borrows both connectors
}

Result<std::unique_ptr<FlowInstance>> FlowInstance::open(
    const FlowDef& flow, const ConnectionDef& source, const ConnectionDef& sink,
    ConnectionFactory& factory, StateStore& store, sdk::Clock& clock, const std::string& node) {
  std::unique_ptr<FlowInstance> instance(new FlowInstance());
  auto from = factory.open(source, flow.name);
  if (!from) return from.takeError();
  instance->source_ = std::move(*from);
  auto to = factory.open(sink, flow.name);
  if (!to) return to.takeError();
  instance->sink_ = std::move(*to);

  const bool twoWay = flow.mode == SyncMode::kTwoWay;
  const auto side = [&](LiveConnection& conn, const EndpointRef& ref, bool reads,
                        bool writes) -> Result<Endpoint> {
    Endpoint e;
    e.entity = ref.entity;
    e.source = conn.connector().source();
    e.sink = conn.connector().sink();
    const std::string what = "flow " + flow.name + ": connection " + ref.connection;
    if (reads && e.source == nullptr) {
      return sdk::Error::make(sdk::ErrorCode::kUnsupported, what + " cannot be read from");
    }
    if (writes && e.sink == nullptr) {
      return sdk::Error::make(sdk::ErrorCode::kUnsupported, what + " cannot be written to");
    }
    const sdk::EntitySchema* schema = conn.entity(ref.entity);
    if (schema == nullptr) {
      return sdk::Error::make(sdk::ErrorCode::kNotFound, what + " has no entity " + ref.entity);
    }
    e.idField = schema->idField;
    return e;
  };
  auto sourceSide = side(*instance->source_, flow.source, true, twoWay);
  if (!sourceSide) return sourceSide.takeError();
  auto sinkSide = side(*instance->sink_, flow.sink, twoWay, true);
  if (!sinkSide) return sinkSide.takeError();
  instance->logger_ = makeEngineLogger(flow.name);
  instance->runner_ =
      std::make_unique<FlowRunner>(flow, std::move(*sourceSide), std::move(*sinkSide), store, clock,
                                   instance->logger_.get(), node);
  return instance;
}

}  // namespace ferry::host::engine
