// Connection glue: turns a ConnectionDef into a live sdk::Connector with its HostContext
// (plugin registry -> settings validation -> HTTP client, logger, clock, secrets, key-value state
// over the state store, metrics), and opens a flow's two sides into a ready FlowRunner.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/host/common/metrics.hpp"
#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/host/flow/flow.hpp"
#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/secrets/vault.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/host.hpp"

namespace ferry::host::engine {

struct ConnectionServices {
  const PluginRegistry* plugins = nullptr;
  StateStore* store = nullptr;
  // Stored credentials and tokens. Null: only `${ENV}` secret references resolve, and tokens a
  // connector stores live as long as the process (fine for `ferry run`).
  Vault* vault = nullptr;
  sdk::Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;  // may be null
};

// One connector instance and the services lent to it; they are destroyed after the connector.
class LiveConnection {
 public:
  LiveConnection(const LiveConnection&) = delete;
  LiveConnection& operator=(const LiveConnection&) = delete;
  ~LiveConnection();

  const ConnectionDef& definition() const noexcept { return def_; }
  sdk::Connector& connector() noexcept { return *connector_; }
  // Entity schema from the connector's describe() (cached), else the plugin's static catalogue.
  const sdk::EntitySchema* entity(const std::string& name);
  sdk::ConnectionHealth health() const noexcept { return health_.load(); }
  std::string healthReason() const;

 private:
  friend class ConnectionFactory;
  LiveConnection() = default;
  static void onHealth(void* cookie, sdk::ConnectionHealth health, const char* reason);

  ConnectionDef def_;
  const LoadedPlugin* plugin_ = nullptr;
  std::unique_ptr<sdk::HttpClient> http_;
  std::unique_ptr<sdk::Logger> logger_;
  std::unique_ptr<sdk::SecretStore> secrets_;
  std::unique_ptr<sdk::KeyValueState> state_;
  std::unique_ptr<sdk::Metrics> metrics_;
  sdk::HostContext context_;
  std::shared_ptr<sdk::Connector> connector_;
  std::optional<std::vector<sdk::EntitySchema>> described_;
  std::atomic<sdk::ConnectionHealth> health_{sdk::ConnectionHealth::kOk};
  mutable std::mutex reasonMutex_;
  std::string healthReason_;
};

class ConnectionFactory {
 public:
  explicit ConnectionFactory(ConnectionServices services);
  // Makes and starts a connector for `def` (`flow` labels its log lines).
  Result<std::unique_ptr<LiveConnection>> open(const ConnectionDef& def,
                                               const std::string& flow = {});

 private:
  ConnectionServices services_;
};

// A flow ready to run: its own connector instance per side and the runner over them.
class FlowInstance {
 public:
  // Opens both sides (each gets its own connector instance, as the SDK promises) and checks that
  // they offer what the flow needs (read on the source, lookup/write on the sink; both ways for
  // two-way flows).
  static Result<std::unique_ptr<FlowInstance>> open(const FlowDef& flow,
                                                    const ConnectionDef& source,
                                                    const ConnectionDef& sink,
                                                    ConnectionFactory& factory, StateStore& store,
                                                    sdk::Clock& clock, const std::string& node);
  ~FlowInstance();

  FlowRunner& runner() noexcept { return *runner_; }
  LiveConnection& sourceConnection() noexcept { return *source_; }
  LiveConnection& sinkConnection() noexcept { return *sink_; }

 private:
  FlowInstance() = default;
  std::unique_ptr<LiveConnection> source_;
  std::unique_ptr<LiveConnection> sink_;
  std::unique_ptr<sdk::Logger> logger_;
  std::unique_ptr<FlowRunner> runner_;
};

// sdk::Logger for engine components: lines go to the "ferry.engine" logger with a flow field.
std::unique_ptr<sdk::Logger> makeEngineLogger(const std::string& flow);

}  // namespace ferry::host::engine
