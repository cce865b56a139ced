#include "ferry/host/server/admin_service.hpp"

#include <openssl/rand.h>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "ferry/host/common/logging.hpp"
#include "ferry/host/common/metrics.hpp"
#include "ferry/host/engine/connections.hpp"
#include "ferry/host/engine/scheduler.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/parser.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/http/http_client.hpp"
#include "ferry/host/plugins/settings.hpp"
#include "ferry/host/secrets/backend.hpp"
#include "ferry/host/secrets/vault.hpp"
#include "ferry/plugins/salesforce/oauth_helper.hpp"

namespace ferry::host::server {
namespace {

namespace fs = std::filesystem;
using engine::ConnectionFactory;
using engine::FlowInstance;
using engine::FlowRunner;
using engine::Scheduler;
using sdk::ErrorCode;
using sdk::Value;

constexpr const char* kConnectionScope = "server/connections";
constexpr const char* kOAuthScope = "server/oauth-state";
constexpr const char* kInboundSecretField = "inbound_secret";
constexpr const char* kCallbackPath = "/api/v1/oauth/salesforce/callback";

// ---- JSON shapes ------------------------------------------------------------------------------

Value timeValue(std::int64_t ms) { return ms > 0 ? Value(sdk::DateTime{ms}.toIso()) : Value(); }

const char* runStatusWord(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

const char* letterStatusWord(DeadLetterStatus s) {
  switch (s) {
    case DeadLetterStatus::kPending:
      return "pending";
    case DeadLetterStatus::kRetrying:
      return "retrying";
    case DeadLetterStatus::kResolved:
      return "resolved";
    case DeadLetterStatus::kDiscarded:
      return "discarded";
  }
  return "unknown";
}

std::optional<DeadLetterStatus> parseLetterStatus(std::string_view word) {
  for (auto s : {DeadLetterStatus::kPending, DeadLetterStatus::kRetrying,
                 DeadLetterStatus::kResolved, DeadLetterStatus::kDiscarded}) {
    if (word == letterStatusWord(s)) return s;
  }
  return std::nullopt;
}

Value countsJson(const RunCounts& c) {
  return sdk::Object{{"read", c.read},           {"created", c.created}, {"updated", c.updated},
                     {"unchanged", c.unchanged}, {"deleted", c.deleted}, {"rejected", c.rejected},
                     {"conflicts", c.conflicts}};
}

// The run in progress: records so far, rate, and the source's estimate with its ETA (null when
// the source gives none).
Value progressJson(const engine::Progress& p) {
  const auto optional = [](const auto& v) {
    return v ? Value(static_cast<std::int64_t>(*v)) : Value();
  };
  return sdk::Object{{"direction", p.direction == Direction::kForward ? "forward" : "reverse"},
                     {"records", p.records},
                     {"ratePerSecond", p.ratePerSecond},
                     {"elapsedMs", p.elapsedMs},
                     {"remaining", optional(p.remaining)},
                     {"etaMs", optional(p.etaMs)},
                     {"counts", countsJson(p.counts)}};
}

Value listJson(const std::vector<std::string>& items) {
  sdk::List out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

Value runJson(const Run& r) {
  return sdk::Object{{"id", r.id},
                     {"flow", r.flow},
                     {"node", r.node},
                     {"status", runStatusWord(r.status)},
                     {"startedAt", timeValue(r.startedAtMs)},
                     {"endedAt", timeValue(r.endedAtMs)},
                     {"durationMs", r.endedAtMs > 0 ? r.endedAtMs - r.startedAtMs : 0},
                     {"counts", countsJson(r.counts)},
                     {"error", r.error.empty() ? Value() : Value(r.error)}};
}

Value conflictJson(const Conflict& c) {
  const bool ambiguous = c.kind == ConflictKind::kAmbiguousMatch;
  return sdk::Object{{"id", c.id},
                     {"flow", c.flow},
                     {"kind", ambiguous ? "ambiguous-match" : "field"},
                     {"status", c.status == ConflictStatus::kOpen ? "open" : "resolved"},
                     {"sourceId", c.sourceId},
                     {"sinkId", c.sinkId.empty() ? Value() : Value(c.sinkId)},
                     {"fields", listJson(c.fields)},
                     {"source", c.sourceValues},
                     {"sink", c.sinkValues},
                     {"base", c.base},
                     {"candidates", listJson(c.candidates)},
                     {"resolution", c.resolution.empty() ? Value() : Value(c.resolution)},
                     {"createdAt", timeValue(c.createdAtMs)},
                     {"resolvedAt", timeValue(c.resolvedAtMs)}};
}

Value deadLetterJson(const DeadLetter& d, bool withPayload) {
  sdk::Object o{{"id", d.id},
                {"flow", d.flow},
                {"direction", toString(d.direction)},
                {"recordId", d.recordId},
                {"reason", d.reason},
                {"errorCode", d.errorCode},
                {"field", d.field.empty() ? Value() : Value(d.field)},
                {"retriable", d.retriable},
                {"attempts", d.attempts},
                {"nextRetryAt", timeValue(d.nextRetryAtMs)},
                {"status", letterStatusWord(d.status)},
                {"createdAt", timeValue(d.createdAtMs)},
                {"updatedAt", timeValue(d.updatedAtMs)}};
  if (withPayload) o.set("payload", d.payload);
  return o;
}

Value retryJson(const engine::RetrySummary& s) {
  return sdk::Object{{"attempted", static_cast<std::int64_t>(s.attempted)},
                     {"resolved", static_cast<std::int64_t>(s.resolved)},
                     {"superseded", static_cast<std::int64_t>(s.superseded)},
                     {"failed", static_cast<std::int64_t>(s.failed)},
                     {"counts", countsJson(s.counts)}};
}

Value connectionJson(const ConnectionDef& c, const std::string& origin) {
  return sdk::Object{{"name", c.name},
                     {"plugin", c.plugin},
                     {"credentials", c.credentials.empty() ? Value() : Value(c.credentials)},
                     {"settings", c.settings},
                     {"origin", origin}};
}

// ---- Errors -----------------------------------------------------------------------------------

int httpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kMalformedResponse:
      return 502;
    case ErrorCode::kUnavailable:
    case ErrorCode::kRateLimited:
    case ErrorCode::kBudgetExhausted:
      return 503;
    case ErrorCode::kUnsupported:
      return 409;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

ApiResponse errorResponse(const sdk::Error& e) {
  return ApiResponse::error(httpStatusFor(e.code), "", e.message);
}

ApiResponse notFound(const std::string& what) { return ApiResponse::error(404, "", what); }

// The request body as YAML text (JSON is YAML too); 415 for other media types.
std::optional<ApiResponse> checkYamlBody(const ApiRequest& request) {
  const std::string type = request.header("Content-Type").value_or("");
  static const std::vector<std::string> kTypes{"application/yaml", "application/x-yaml",
                                               "text/yaml", "application/json", "text/x-yaml"};
  const bool known = std::any_of(kTypes.begin(), kTypes.end(),
                                 [&](const std::string& t) { return type.rfind(t, 0) == 0; });
  if (!known) {
    return ApiResponse::error(415, "",
                              "send the definition as application/yaml or "
                              "application/json (got '" +
                                  type + "')");
  }
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ApiResponse::error(400, "", "the request body is empty");
  }
  return std::nullopt;
}

// A JSON object body (an empty body reads as {} when allowed).
std::variant<sdk::Object, ApiResponse> jsonObjectBody(const ApiRequest& request,
                                                      bool emptyAllowed) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (emptyAllowed) return sdk::Object{};
    return ApiResponse::error(400, "", "the request body is empty; send a JSON object");
  }
  std::string error;
  auto value = Value::fromJson(request.body, &error);
  if (!value) return ApiResponse::error(400, "malformed-json", "malformed JSON: " + error);
  if (!value->isObject()) return ApiResponse::error(400, "", "the body must be a JSON object");
  return value->asObject();
}

std::optional<std::int64_t> parseId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t id = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id > 0 ? std::optional(id) : std::nullopt;
}

std::size_t pageLimit(const ApiRequest& request) {
  const auto text = request.queryValue("limit");
  if (!text) return 100;
  const auto n = parseId(*text);
  return n ? static_cast<std::size_t>(std::min<std::int64_t>(*n, 1000)) : 100;
}

std::string randomState() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no randomness for OAuth state");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// A connection's secrets outside a connector's lifetime (OAuth exchange): `env.NAME` from the
// environment, everything else from the vault.
class OAuthSecrets final : public sdk::SecretStore {
 public:
  explicit OAuthSecrets(std::unique_ptr<sdk::SecretStore> vault) : vault_(std::move(vault)) {}
  sdk::Result<std::string> get(std::string_view name) override {
    if (name.starts_with(kEnvSecretPrefix)) {
      const std::string variable(name.substr(kEnvSecretPrefix.size()));
      if (const char* value = std::getenv(variable.c_str())) return std::string(value);
      return sdk::Error::make(ErrorCode::kNotFound,
                              "environment variable " + variable + " is not set");
    }
    return vault_->get(name);
  }
  sdk::Status put(std::string_view name, std::string_view value) override {
    return vault_->put(name, value);
  }
  sdk::Status erase(std::string_view name) override { return vault_->erase(name); }

 private:
  std::unique_ptr<sdk::SecretStore> vault_;
};

class KvState final : public sdk::KeyValueState {
 public:
  KvState(StateStore& store, std::string connection)
      : store_(store), scope_("connection/" + std::move(connection)) {}
  sdk::Result<std::optional<std::string>> get(std::string_view key) override {
    return store_.kvGet(scope_, std::string(key));
  }
  sdk::Status put(std::string_view key, std::string_view value) override {
    return store_.kvPut(scope_, std::string(key), std::string(value));
  }
  sdk::Status erase(std::string_view key) override {
    return store_.kvErase(scope_, std::string(key));
  }

 private:
  StateStore& store_;
  std::string scope_;
};

// Flows are validated against what each connection's live service describes: an org's custom
// fields, a People account's custom attributes, a jsonl connection's declared entities. A
// description is kept for a few minutes per connection and settings; while a connection cannot
// be described (no credentials stored yet, service unreachable) the last description, else the
// plugin's static catalogue, stands in. A replaced description stays alive one more round, so
// a validation still holding the pointer is never left dangling.
class DescribingSchemaProvider final : public SchemaProvider {
 public:
  static constexpr std::chrono::minutes kFresh{5};
  static constexpr std::chrono::seconds kRetryAfter{30};

  DescribingSchemaProvider(const StaticSchemaProvider& plugins, ConnectionFactory& factory)
      : plugins_(plugins), factory_(factory) {}

  const PluginSchema* plugin(std::string_view name) const override { return plugins_.plugin(name); }
  std::vector<std::string> pluginNames() const override { return plugins_.pluginNames(); }

  // New credentials may let a connection that failed be described now.
  void credentialsChanged() {
    std::lock_guard lock(mutex_);
    for (auto& [key, d] : described_) d.failedAt = {};
  }

  const std::vector<sdk::EntitySchema>* entities(const ConnectionDef& connection) const override {
    const PluginSchema* schema = plugins_.plugin(connection.plugin);
    if (schema == nullptr) return nullptr;
    const std::string key = connection.name + "\n" + Value(connection.settings).toJson();
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    Described& d = described_[key];
    if (d.current && now - d.at < kFresh) return d.current.get();
    std::optional<std::vector<sdk::EntitySchema>> live;
    // A connection that just failed is not asked again at once: deploying many flows over an
    // unreachable service must not pay its timeouts each time.
    if (d.failedAt == std::chrono::steady_clock::time_point{} || now - d.failedAt >= kRetryAfter) {
      if (auto opened = factory_.open(connection)) {
        if (auto entities = (*opened)->connector().describe()) live = std::move(*entities);
      }
      if (!live) d.failedAt = now;
    }
    if (live && !live->empty()) {
      d.retired = std::move(d.current);
      d.current = std::make_shared<const std::vector<sdk::EntitySchema>>(std::move(*live));
      d.at = now;
      return d.current.get();
    }
    if (d.current) return d.current.get();  // an older description beats none
    return &schema->entities;
  }

 private:
  struct Described {
    std::shared_ptr<const std::vector<sdk::EntitySchema>> current;
    std::shared_ptr<const std::vector<sdk::EntitySchema>> retired;
    std::chrono::steady_clock::time_point at;
    std::chrono::steady_clock::time_point failedAt;  // the last failed attempt, if any
  };
  const StaticSchemaProvider& plugins_;
  ConnectionFactory& factory_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, Described> described_;
};

}  // namespace

// ================================================================================================

class AdminService::Impl {
 public:
  Impl(AdminServiceOptions options, std::unique_ptr<StateStore> store,
       std::unique_ptr<PluginRegistry> plugins, const MasterKey& key, sdk::Clock& clock)
      : options_(std::move(options)),
        store_(std::move(store)),
        plugins_(std::move(plugins)),
        clock_(clock),
        secretBackend_(*store_),
        vault_(secretBackend_, key),
        log_(getLogger("ferry.server")) {
    for (const auto* plugin : plugins_->list()) {
      schemas_.add(PluginSchema{plugin->name(), plugin->settings(), plugin->entities()});
    }
    engine::ConnectionServices services;
    services.plugins = plugins_.get();
    services.store = store_.get();
    services.vault = &vault_;
    services.clock = &clock_;
    services.metrics = &metrics_;
    factory_ = std::make_unique<ConnectionFactory>(services);
    provider_ = std::make_unique<DescribingSchemaProvider>(schemas_, *factory_);
    engine::SchedulerOptions schedulerOptions;
    schedulerOptions.threads = options_.threads;
    schedulerOptions.node = options_.node;
    scheduler_ = std::make_unique<Scheduler>(
        *store_, clock_,
        [this](const FlowDef& flow, const std::string& node) { return openFlow(flow, node); },
        schedulerOptions);
    registerRoutes();
  }

  ~Impl() { stop(); }

  // ---- Start-up and shutdown ----------------------------------------------------------------

  sdk::Status start() {
    startedAtMs_ = clock_.nowMs();
    if (auto n = vault_.registerCredentialsWithRedactor(); !n) return n.takeError();
    if (auto loaded = loadStoredConnections(); !loaded) return loaded;
    if (!options_.flowDir.empty()) deployDirectory(options_.flowDir);
    auto flows = store_->listFlows();
    if (!flows) return flows.takeError();
    std::size_t active = 0;
    for (const auto& state : *flows) {
      compileStored(state.name, state.active);
      if (state.active) ++active;
    }
    scheduler_->start();
    observer_ = std::thread([this] { observeLoop(); });
    logWith(*log_, sdk::LogLevel::kInfo, "serving",
            {{"flows", std::to_string(flows->size())},
             {"active", std::to_string(active)},
             {"connections", std::to_string(connectionCount())},
             {"store", store_->backend()},
             {"key", vault_.keyFingerprint()}});
    return {};
  }

  void stop() {
    {
      std::lock_guard lock(observerMutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    observerWake_.notify_all();
    if (observer_.joinable()) observer_.join();
    scheduler_->stop();
    std::lock_guard lock(liveMutex_);
    live_.clear();
  }

  const Router& router() const noexcept { return router_; }
  void setPublicUrl(std::string url) {
    std::lock_guard lock(mutex_);
    options_.publicUrl = std::move(url);
  }

 private:
  struct StoredConnection {
    ConnectionDef def;
    std::string text;
    std::string origin;
  };
  // An opened connector kept for push events (one at a time through its mutex).
  struct Live {
    std::mutex mutex;
    std::unique_ptr<engine::LiveConnection> connection;
  };

  std::size_t connectionCount() {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

  ConnectionSet connectionSet() {
    std::lock_guard lock(mutex_);
    ConnectionSet set;
    for (const auto& [name, c] : connections_) set.add(c.def);
    return set;
  }

  std::optional<ConnectionDef> connection(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(name);
    if (it == connections_.end()) return std::nullopt;
    return it->second.def;
  }

  // Connections deployed before (API or files) come back from the store.
  sdk::Status loadStoredConnections() {
    auto names = store_->kvKeys(kConnectionScope);
    if (!names) return names.takeError();
    for (const auto& name : *names) {
      auto text = store_->kvGet(kConnectionScope, name);
      if (!text) return text.takeError();
      if (!text->has_value()) continue;
      Diagnostics diags;
      auto def =
          loadConnection(**text, "connection " + name, *provider_, processEnvironment(), diags);
      if (!def) {
        logWith(*log_, sdk::LogLevel::kError,
                "stored connection no longer validates: " + diags.format(),
                {{log_keys::kConnection, name}});
        continue;
      }
      std::lock_guard lock(mutex_);
      connections_[def->name] = StoredConnection{*def, **text, "store"};
    }
    return {};
  }

  // Flow directory: connections first (the directory itself and its connections/ folder), then
  // flows. Files that do not validate are logged and skipped.
  void deployDirectory(const std::string& dir) {
    std::vector<fs::path> files;
    for (const fs::path& folder : {fs::path(dir), fs::path(dir) / "connections"}) {
      std::error_code ec;
      if (!fs::is_directory(folder, ec)) continue;
      for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
          files.push_back(entry.path());
        }
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::pair<std::string, std::string>> flows;
    for (const auto& path : files) {
      auto text = readTextFile(path.string());
      if (!text) {
        logWith(*log_, sdk::LogLevel::kError, text.error().message, {{"file", path.string()}});
        continue;
      }
      const FileKind kind = detectFileKind(*text);
      if (kind == FileKind::kConnection) {
        Diagnostics diags;
        auto result = putConnection(*text, path.string(), std::nullopt, diags);
        if (!result) {
          logWith(*log_, sdk::LogLevel::kError, "connection file rejected:\n" + diags.format(),
                  {{"file", path.string()}});
        }
      } else if (kind == FileKind::kFlow) {
        flows.emplace_back(path.string(), std::move(*text));
      }
    }
    for (const auto& [path, text] : flows) {
      Diagnostics diags;
      auto deployed = deployFlow(text, path, diags);
      if (!deployed) {
        logWith(*log_, sdk::LogLevel::kError,
                "flow file rejected: " +
                    (diags.hasErrors() ? "\n" + diags.format() : deployed.error().message),
                {{"file", path}});
      }
    }
  }

  // Validates and stores a connection; reschedules the flows using it.
  std::optional<ConnectionDef> putConnection(const std::string& text, const std::string& origin,
                                             const std::optional<std::string>& expectedName,
                                             Diagnostics& diags) {
    auto def = loadConnection(text, origin, *provider_, processEnvironment(), diags);
    if (!def || diags.hasErrors()) return std::nullopt;
    if (expectedName && def->name != *expectedName) {
      diags.error(def->pos, "name-mismatch",
                  "the body defines connection '" + def->name + "' but the URL names '" +
                      *expectedName + "'");
      return std::nullopt;
    }
    if (auto put = store_->kvPut(kConnectionScope, def->name, text); !put) {
      diags.error(def->pos, "store", put.error().message);
      return std::nullopt;
    }
    {
      std::lock_guard lock(mutex_);
      connections_[def->name] = StoredConnection{*def, text, origin};
    }
    {
      std::lock_guard lock(liveMutex_);
      live_.erase(def->name);
    }
    // Flows over this connection reopen with the new settings (and recompile: entities may differ).
    std::vector<std::pair<std::string, bool>> affected;
    if (auto flows = store_->listFlows()) {
      for (const auto& f : *flows) affected.emplace_back(f.name, f.active);
    }
    for (const auto& [name, active] : affected) {
      bool uses = false;
      {
        std::lock_guard lock(mutex_);
        auto it = flows_.find(name);
        uses = it == flows_.end() || it->second.source.connection == def->name ||
               it->second.sink.connection == def->name;
      }
      if (uses) compileStored(name, active);
    }
    return def;
  }

  // Compiles the current version of a stored flow and hands it to the scheduler.
  void compileStored(const std::string& name, bool active) {
    auto version = store_->flowVersion(name, 0);
    if (!version || !version->has_value()) return;
    Diagnostics diags;
    auto flow =
        loadFlow((*version)->definition, (*version)->origin, connectionSet(), *provider_, diags);
    // The scheduler is called outside mutex_: its run threads take mutex_ to open flows.
    if (!flow || diags.hasErrors()) {
      {
        std::lock_guard lock(mutex_);
        flowErrors_[name] = diags.format();
        flows_.erase(name);
      }
      (void)scheduler_->remove(name);
      logWith(*log_, sdk::LogLevel::kError,
              "deployed flow does not compile with the current connections: " + diags.format(),
              {{log_keys::kFlow, name}});
      return;
    }
    {
      std::lock_guard lock(mutex_);
      flowErrors_.erase(name);
      flows_[name] = *flow;
    }
    scheduler_->add(*flow, active);
  }

  struct Deployed {
    std::string name;
    int version = 0;
    bool changed = false;  // a new version was stored
  };

  // Validates, stores a new version (if the content changed) and schedules.
  sdk::Result<Deployed> deployFlow(const std::string& text, const std::string& origin,
                                   Diagnostics& diags) {
    const ConnectionSet connections = connectionSet();
    auto flow = loadFlow(text, origin, connections, *provider_, diags);
    if (!flow || diags.hasErrors()) {
      return sdk::Error::make(ErrorCode::kInvalidArgument, "the flow does not validate");
    }
    auto previous = store_->flowState(flow->name);
    if (!previous) return previous.takeError();
    sdk::List used;
    for (const auto* side : {&flow->source.connection, &flow->sink.connection}) {
      if (const ConnectionDef* c = connections.find(*side)) {
        used.push_back(
            sdk::Object{{"name", c->name}, {"plugin", c->plugin}, {"settings", c->settings}});
      }
    }
    FlowVersion version;
    version.name = flow->name;
    version.definition = text;
    version.connectionsJson = Value(used).toJson();
    version.origin = origin;
    auto number = store_->deployFlow(version);
    if (!number) return number.takeError();
    const bool changed = !previous->has_value() || (*previous)->currentVersion != *number;
    const bool active = previous->has_value() && (*previous)->active;
    {
      std::lock_guard lock(mutex_);
      flowErrors_.erase(flow->name);
      flows_[flow->name] = *flow;
    }
    scheduler_->add(*flow, active);
    if (changed) {
      logWith(*log_, sdk::LogLevel::kInfo, "flow deployed",
              {{log_keys::kFlow, flow->name},
               {"version", std::to_string(*number)},
               {"origin", origin}});
    }
    return Deployed{flow->name, *number, changed};
  }

  sdk::Result<std::shared_ptr<FlowRunner>> openFlow(const FlowDef& flow, const std::string& node) {
    auto source = connection(flow.source.connection);
    auto sink = connection(flow.sink.connection);
    if (!source || !sink) {
      return sdk::Error::make(ErrorCode::kNotFound,
                              "flow " + flow.name + ": connection '" +
                                  (!source ? flow.source.connection : flow.sink.connection) +
                                  "' is not deployed");
    }
    auto instance = FlowInstance::open(flow, *source, *sink, *factory_, *store_, clock_, node);
    if (!instance) return instance.takeError();
    std::shared_ptr<FlowInstance> owner = std::move(*instance);
    // Converted or merged records hand their link to the flow syncing the successor's entity
    // between the same two connections.
    std::vector<std::pair<std::string, std::string>> siblings;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [name, other] : flows_) {
        if (other.source.connection == flow.source.connection &&
            other.sink.connection == flow.sink.connection) {
          siblings.emplace_back(other.source.entity, name);
        }
      }
    }
    owner->runner().setSuccessorRouter([siblings](const sdk::Successor& s) {
      for (const auto& [entity, name] : siblings) {
        if (entity == s.entity) return name;
      }
      return std::string();
    });
    return std::shared_ptr<FlowRunner>(owner, &owner->runner());
  }

  // ---- Observer: one log line per finished run and per new dead letter; flow metrics --------

  void observeLoop() {
    std::unique_lock lock(observerMutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        observe();
      } catch (const std::exception& e) {
        logWith(*log_, sdk::LogLevel::kError, std::string("observer: ") + e.what(), {});
      }
      lock.lock();
      observerWake_.wait_for(lock, std::chrono::milliseconds(options_.observeIntervalMs),
                             [this] { return stopping_; });
    }
  }

  void observe() {
    std::lock_guard guard(observeMutex_);  // also taken by /metrics
    auto& records = metrics_.counter("ferry_flow_records_total",
                                     "Records handled by flow and outcome.", {"flow", "outcome"});
    auto& runs = metrics_.counter("ferry_flow_runs_total", "Finished runs by flow and status.",
                                  {"flow", "status"});
    auto& durations = metrics_.histogram("ferry_flow_run_duration_seconds",
                                         "Duration of finished runs.", {"flow"});
    auto& batches = metrics_.counter("ferry_flow_batches_total", "Batches committed.", {"flow"});
    auto& lag = metrics_.gauge("ferry_flow_lag_seconds",
                               "Time since the start of the last run that caught up.", {"flow"});
    auto& active = metrics_.gauge("ferry_flow_active", "1 when the flow is active.", {"flow"});
    auto& letters = metrics_.gauge("ferry_flow_dead_letters",
                                   "Dead letters waiting (pending or retrying).", {"flow"});
    auto& conflicts = metrics_.gauge("ferry_flow_open_conflicts", "Open conflicts.", {"flow"});

    for (const auto& status : scheduler_->statuses()) {
      const std::string& flow = status.name;
      active.labels({flow}).set(status.active ? 1 : 0);
      lag.labels({flow}).set(static_cast<double>(status.lagMs) / 1000.0);
      if (status.lastRun && status.lastRun->runId != lastBatchRun_[flow]) {
        lastBatchRun_[flow] = status.lastRun->runId;
        batches.labels({flow}).inc(static_cast<double>(status.lastRun->batches));
      }
      auto history = store_->runs(flow, 50);
      if (history) {
        std::int64_t& seen = lastRun_[flow];
        std::int64_t newest = seen;
        for (auto it = history->rbegin(); it != history->rend(); ++it) {
          const Run& r = *it;
          if (r.id <= seen || r.status == RunStatus::kRunning) continue;
          newest = std::max(newest, r.id);
          runs.labels({flow, runStatusWord(r.status)}).inc();
          durations.labels({flow}).observe(static_cast<double>(r.endedAtMs - r.startedAtMs) /
                                           1000.0);
          const RunCounts& c = r.counts;
          for (const auto& [outcome, n] :
               std::initializer_list<std::pair<const char*, std::int64_t>>{
                   {"read", c.read},
                   {"created", c.created},
                   {"updated", c.updated},
                   {"unchanged", c.unchanged},
                   {"deleted", c.deleted},
                   {"rejected", c.rejected},
                   {"conflict", c.conflicts}}) {
            records.labels({flow, outcome}).inc(static_cast<double>(n));
          }
          if (seen > 0 || r.startedAtMs >= startedAtMs_) logRun(r);
        }
        // Runs still in progress keep the mark below them so they are counted when they end.
        for (const Run& r : *history) {
          if (r.status == RunStatus::kRunning && r.id <= newest) newest = r.id - 1;
        }
        seen = newest;
      }
      DeadLetterFilter waiting;
      waiting.flow = flow;
      waiting.status = DeadLetterStatus::kPending;
      std::int64_t pending = 0;
      if (auto n = store_->countDeadLetters(waiting)) pending += *n;
      waiting.status = DeadLetterStatus::kRetrying;
      if (auto n = store_->countDeadLetters(waiting)) pending += *n;
      letters.labels({flow}).set(static_cast<double>(pending));
      ConflictFilter open;
      open.flow = flow;
      open.status = ConflictStatus::kOpen;
      open.limit = 1000;
      if (auto list = store_->conflicts(open)) {
        conflicts.labels({flow}).set(static_cast<double>(list->size()));
      }
    }
    logNewDeadLetters();
  }

  void logRun(const Run& r) {
    const RunCounts& c = r.counts;
    std::ostringstream message;
    message << "run " << runStatusWord(r.status) << ": read " << c.read << ", created " << c.created
            << ", updated " << c.updated << ", unchanged " << c.unchanged << ", deleted "
            << c.deleted << ", rejected " << c.rejected << ", conflicts " << c.conflicts;
    if (!r.error.empty()) message << "; error: " << r.error;
    logWith(*log_, r.status == RunStatus::kSucceeded ? sdk::LogLevel::kInfo : sdk::LogLevel::kError,
            message.str(),
            {{log_keys::kFlow, r.flow},
             {log_keys::kRun, std::to_string(r.id)},
             {"ms", std::to_string(r.endedAtMs - r.startedAtMs)}});
  }

  void logNewDeadLetters() {
    DeadLetterFilter filter;
    filter.afterId = lastDeadLetter_;
    filter.limit = 200;
    auto page = store_->deadLetters(filter);
    if (!page) return;
    for (const auto& d : *page) {
      lastDeadLetter_ = std::max(lastDeadLetter_, d.id);
      if (firstObservation_) continue;  // letters from before this start were logged then
      logWith(
          *log_, sdk::LogLevel::kError,
          "record rejected: " + d.reason + (d.errorCode.empty() ? "" : " (" + d.errorCode + ")"),
          {{log_keys::kFlow, d.flow},
           {log_keys::kRecord, d.recordId},
           {"dead_letter", std::to_string(d.id)},
           {"retriable", d.retriable ? "true" : "false"}});
    }
    firstObservation_ = false;
  }

  // ---- Routes -------------------------------------------------------------------------------

  void registerRoutes() {
    auto admin = [this](std::string method, std::string pattern,
                        ApiResponse (Impl::*fn)(const ApiRequest&)) {
      router_.add(std::move(method), std::move(pattern), Access::kAdmin,
                  [this, fn](const ApiRequest& r) { return (this->*fn)(r); });
    };
    router_.add("GET", "/healthz", Access::kPublic, [](const ApiRequest&) {
      return ApiResponse::json(200, sdk::Object{{"status", "ok"}});
    });
    router_.add("GET", "/readyz", Access::kPublic,
                [this](const ApiRequest& r) { return readyz(r); });
    admin("GET", "/metrics", &Impl::metrics);

    admin("GET", "/api/v1/flows", &Impl::listFlows);
    admin("POST", "/api/v1/flows", &Impl::postFlow);
    admin("GET", "/api/v1/flows/{flow}", &Impl::getFlow);
    admin("DELETE", "/api/v1/flows/{flow}", &Impl::deleteFlow);
    admin("POST", "/api/v1/flows/{flow}/activate", &Impl::activateFlow);
    admin("POST", "/api/v1/flows/{flow}/pause", &Impl::pauseFlow);
    admin("POST", "/api/v1/flows/{flow}/run", &Impl::runFlow);
    admin("GET", "/api/v1/flows/{flow}/status", &Impl::flowStatus);
    admin("GET", "/api/v1/flows/{flow}/runs", &Impl::flowRuns);

    admin("GET", "/api/v1/conflicts", &Impl::listConflicts);
    admin("GET", "/api/v1/conflicts/{id}", &Impl::getConflict);
    admin("POST", "/api/v1/conflicts/{id}/resolve", &Impl::resolveConflict);

    admin("GET", "/api/v1/dead-letters", &Impl::listDeadLetters);
    admin("POST", "/api/v1/dead-letters/retry", &Impl::retryDeadLetters);
    admin("GET", "/api/v1/dead-letters/{id}", &Impl::getDeadLetter);
    admin("POST", "/api/v1/dead-letters/{id}/retry", &Impl::retryDeadLetter);
    admin("POST", "/api/v1/dead-letters/{id}/discard", &Impl::discardDeadLetter);

    admin("GET", "/api/v1/connections", &Impl::listConnections);
    admin("POST", "/api/v1/connections", &Impl::postConnection);
    admin("GET", "/api/v1/connections/{name}", &Impl::getConnection);
    admin("PUT", "/api/v1/connections/{name}", &Impl::putConnectionRoute);
    admin("POST", "/api/v1/connections/{name}/test", &Impl::testConnection);
    admin("GET", "/api/v1/connections/{name}/entities", &Impl::connectionEntities);

    admin("GET", "/api/v1/credentials", &Impl::listCredentials);
    admin("GET", "/api/v1/credentials/{set}", &Impl::getCredentials);
    admin("PUT", "/api/v1/credentials/{set}", &Impl::putCredentials);
    admin("PATCH", "/api/v1/credentials/{set}", &Impl::patchCredentials);
    admin("DELETE", "/api/v1/credentials/{set}", &Impl::deleteCredentials);

    admin("GET", "/api/v1/plugins", &Impl::listPlugins);
    admin("GET", "/api/v1/plugins/{plugin}", &Impl::getPlugin);

    admin("GET", "/api/v1/oauth/salesforce/authorize", &Impl::oauthAuthorize);
    router_.add("GET", kCallbackPath, Access::kOwnCheck,
                [this](const ApiRequest& r) { return oauthCallback(r); });
    router_.add("POST", "/api/v1/inbound/{connection}", Access::kOwnCheck,
                [this](const ApiRequest& r) { return inbound(r); });
  }

  // ---- Health and metrics ----

  ApiResponse readyz(const ApiRequest&) {
    if (auto flows = store_->listFlows(); !flows) {
      return ApiResponse::error(503, "", "state store unavailable: " + flows.error().message);
    }
    return ApiResponse::json(200, sdk::Object{{"status", "ready"}, {"store", store_->backend()}});
  }

  ApiResponse metrics(const ApiRequest&) {
    observe();
    return ApiResponse::text(200, metrics_.renderPrometheus(),
                             "text/plain; version=0.0.4; charset=utf-8");
  }

  // ---- Flows ----

  std::optional<ApiResponse> requireFlow(const std::string& name, FlowState* out = nullptr) {
    auto state = store_->flowState(name);
    if (!state) return errorResponse(state.error());
    if (!state->has_value()) return notFound("no flow named '" + name + "'");
    if (out != nullptr) *out = **state;
    return std::nullopt;
  }

  Value statusJson(const std::string& name) {
    sdk::Object o;
    auto s = scheduler_->status(name);
    if (s) {
      o.set("running", s->running);
      o.set("leaseHeldElsewhere", s->leaseHeldElsewhere);
      o.set("nextRunAt", timeValue(s->nextRunAtMs));
      o.set("lagMs", s->lagMs);
      o.set("runs", s->runs);
      o.set("totals", countsJson(s->totals));
      o.set("lastError", s->lastError.empty() ? Value() : Value(s->lastError));
      o.set("progress", s->progress ? progressJson(*s->progress) : Value());
      if (s->lastRun) {
        o.set("lastRun", sdk::Object{{"id", s->lastRun->runId},
                                     {"status", runStatusWord(s->lastRun->status)},
                                     {"startedAt", timeValue(s->lastRun->startedAtMs)},
                                     {"endedAt", timeValue(s->lastRun->endedAtMs)},
                                     {"batches", static_cast<std::int64_t>(s->lastRun->batches)},
                                     {"counts", countsJson(s->lastRun->counts)},
                                     {"error", s->lastRun->error}});
      }
    }
    if (!s || !s->lastRun) {
      if (auto runs = store_->runs(name, 1); runs && !runs->empty()) {
        o.set("lastRun", runJson(runs->front()));
      } else {
        o.set("lastRun", Value());
      }
    }
    if (auto links = store_->linkCount(name)) o.set("links", *links);
    DeadLetterFilter pending;
    pending.flow = name;
    pending.status = DeadLetterStatus::kPending;
    if (auto n = store_->countDeadLetters(pending)) o.set("pendingDeadLetters", *n);
    ConflictFilter open;
    open.flow = name;
    open.status = ConflictStatus::kOpen;
    open.limit = 1000;
    if (auto list = store_->conflicts(open)) {
      o.set("openConflicts", static_cast<std::int64_t>(list->size()));
    }
    o.set("apiUsage", apiUsage(name));
    return o;
  }

  // Limit-usage gauges the flow's connectors report (e.g. ferry_salesforce_api_usage_ratio).
  Value apiUsage(const std::string& flow) {
    std::set<std::string> names;
    {
      std::lock_guard lock(mutex_);
      auto it = flows_.find(flow);
      if (it == flows_.end()) return sdk::Object{};
      names = {it->second.source.connection, it->second.sink.connection};
    }
    sdk::Object out;
    std::istringstream text(metrics_.renderPrometheus());
    std::string line;
    while (std::getline(text, line)) {
      if (line.empty() || line[0] == '#' || line.find("_api_usage") == std::string::npos) continue;
      for (const auto& name : names) {
        if (line.find("connection=\"" + name + "\"") == std::string::npos) continue;
        const auto space = line.rfind(' ');
        Value* entry = out.find(name);
        if (entry == nullptr) {
          out.set(name, sdk::Object{});
          entry = out.find(name);
        }
        entry->asObject().set(line.substr(0, space),
                              std::strtod(line.c_str() + space + 1, nullptr));
      }
    }
    return out;
  }

  Value flowSummary(const FlowState& f) {
    sdk::Object o{{"name", f.name},
                  {"version", f.currentVersion},
                  {"active", f.active},
                  {"updatedAt", timeValue(f.updatedAtMs)}};
    std::lock_guard lock(mutex_);
    if (auto it = flows_.find(f.name); it != flows_.end()) {
      o.set("source", sdk::Object{{"connection", it->second.source.connection},
                                  {"entity", it->second.source.entity}});
      o.set("sink", sdk::Object{{"connection", it->second.sink.connection},
                                {"entity", it->second.sink.entity}});
      o.set("direction", it->second.mode == SyncMode::kTwoWay ? "two-way" : "one-way");
    }
    if (auto it = flowErrors_.find(f.name); it != flowErrors_.end()) o.set("error", it->second);
    return o;
  }

  ApiResponse listFlows(const ApiRequest&) {
    auto flows = store_->listFlows();
    if (!flows) return errorResponse(flows.error());
    sdk::List out;
    for (const auto& f : *flows) out.push_back(flowSummary(f));
    return ApiResponse::json(200, sdk::Object{{"flows", std::move(out)}});
  }

  ApiResponse postFlow(const ApiRequest& request) {
    if (auto bad = checkYamlBody(request)) return *bad;
    Diagnostics diags;
    auto deployed = deployFlow(request.body, "api", diags);
    if (!deployed) {
      if (diags.hasErrors()) {
        std::string ignored;
        auto details = Value::fromJson(diags.toJson(), &ignored);
        return ApiResponse::error(
            422, "invalid-flow",
            std::to_string(diags.errorCount()) + " error(s) in the flow definition",
            details ? *details : Value());
      }
      return errorResponse(deployed.error());
    }
    auto warnings = Value::fromJson(diags.toJson());
    return ApiResponse::json(deployed->changed ? 201 : 200,
                             sdk::Object{{"name", deployed->name},
                                         {"version", deployed->version},
                                         {"changed", deployed->changed},
                                         {"warnings", warnings ? *warnings : Value(sdk::List{})}});
  }

  ApiResponse getFlow(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    FlowState state;
    if (auto missing = requireFlow(name, &state)) return *missing;
    Value summary = flowSummary(state);
    sdk::Object& o = summary.asObject();
    auto version = store_->flowVersion(name, 0);
    if (version && version->has_value()) {
      o.set("definition", (*version)->definition);
      o.set("origin", (*version)->origin);
    }
    sdk::List history;
    if (auto versions = store_->flowHistory(name)) {
      for (const auto& v : *versions) {
        history.push_back(sdk::Object{{"version", v.version},
                                      {"origin", v.origin},
                                      {"deployedAt", timeValue(v.deployedAtMs)}});
      }
    }
    o.set("history", std::move(history));
    o.set("status", statusJson(name));
    return ApiResponse::json(200, summary);
  }

  ApiResponse deleteFlow(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    if (auto missing = requireFlow(name)) return *missing;
    (void)scheduler_->remove(name);
    if (auto done = store_->deleteFlow(name); !done) return errorResponse(done.error());
    {
      std::lock_guard lock(mutex_);
      flows_.erase(name);
      flowErrors_.erase(name);
    }
    logWith(*log_, sdk::LogLevel::kInfo, "flow deleted", {{log_keys::kFlow, name}});
    return ApiResponse::json(200, sdk::Object{{"name", name}, {"deleted", true}});
  }

  ApiResponse activateFlow(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    if (auto missing = requireFlow(name)) return *missing;
    {
      std::lock_guard lock(mutex_);
      if (auto it = flowErrors_.find(name); it != flowErrors_.end()) {
        return ApiResponse::error(409, "", "flow " + name + " does not compile: " + it->second);
      }
    }
    if (auto set = store_->setFlowActive(name, true); !set) return errorResponse(set.error());
    if (auto on = scheduler_->activate(name); !on) return errorResponse(on.error());
    logWith(*log_, sdk::LogLevel::kInfo, "flow activated", {{log_keys::kFlow, name}});
    return ApiResponse::json(200, sdk::Object{{"name", name}, {"active", true}});
  }

  ApiResponse pauseFlow(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    if (auto missing = requireFlow(name)) return *missing;
    if (auto set = store_->setFlowActive(name, false); !set) return errorResponse(set.error());
    (void)scheduler_->pause(name);  // a flow that failed to compile is not scheduled
    logWith(*log_, sdk::LogLevel::kInfo, "flow paused", {{log_keys::kFlow, name}});
    return ApiResponse::json(200, sdk::Object{{"name", name}, {"active", false}});
  }

  ApiResponse runFlow(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    FlowState state;
    if (auto missing = requireFlow(name, &state)) return *missing;
    if (!state.active) {
      return ApiResponse::error(409, "",
                                "flow " + name +
                                    " is paused; activate it (its first run "
                                    "starts right away)");
    }
    if (auto run = scheduler_->runNow(name); !run) return errorResponse(run.error());
    return ApiResponse::json(202, sdk::Object{{"name", name}, {"queued", true}});
  }

  ApiResponse flowStatus(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    FlowState state;
    if (auto missing = requireFlow(name, &state)) return *missing;
    Value status = statusJson(name);
    status.asObject().set("name", name);
    status.asObject().set("active", state.active);
    status.asObject().set("version", state.currentVersion);
    status.asObject().set("state", state.active ? "active" : "paused");
    return ApiResponse::json(200, status);
  }

  ApiResponse flowRuns(const ApiRequest& request) {
    const std::string& name = request.param("flow");
    if (auto missing = requireFlow(name)) return *missing;
    auto runs = store_->runs(name, pageLimit(request));
    if (!runs) return errorResponse(runs.error());
    sdk::List out;
    for (const auto& r : *runs) out.push_back(runJson(r));
    return ApiResponse::json(200, sdk::Object{{"runs", std::move(out)}});
  }

  // ---- Conflicts ----

  ApiResponse listConflicts(const ApiRequest& request) {
    ConflictFilter filter;
    filter.flow = request.queryValue("flow");
    const std::string status = request.queryValue("status").value_or("open");
    if (status == "open") {
      filter.status = ConflictStatus::kOpen;
    } else if (status == "resolved") {
      filter.status = ConflictStatus::kResolved;
    } else if (status != "all") {
      return ApiResponse::error(400, "", "status must be open, resolved or all");
    }
    filter.limit = pageLimit(request);
    if (auto after = request.queryValue("after")) filter.afterId = parseId(*after).value_or(0);
    auto list = store_->conflicts(filter);
    if (!list) return errorResponse(list.error());
    sdk::List out;
    for (const auto& c : *list) out.push_back(conflictJson(c));
    return ApiResponse::json(200, sdk::Object{{"conflicts", std::move(out)}});
  }

  std::variant<Conflict, ApiResponse> findConflict(const ApiRequest& request) {
    const auto id = parseId(request.param("id"));
    if (!id) return ApiResponse::error(400, "", "conflict ids are positive whole numbers");
    auto c = store_->conflict(*id);
    if (!c) return errorResponse(c.error());
    if (!c->has_value()) return notFound("no conflict " + std::to_string(*id));
    return **c;
  }

  ApiResponse getConflict(const ApiRequest& request) {
    auto found = findConflict(request);
    if (auto* r = std::get_if<ApiResponse>(&found)) return *r;
    return ApiResponse::json(200, conflictJson(std::get<Conflict>(found)));
  }

  // Resolution, serialised with the flow's runs:
  //   {"choose": "source"} | {"choose": "sink"}  field conflicts: the engine gives both sides
  //                                              that side's values and records them as agreed
  //   {"sinkId": "..."}                          ambiguous matches: linked to that candidate,
  //                                              which gets the record's mapped values
  //   {"values": {...}}                          field conflicts: values of the operator's own,
  //                                              written where they differ and recorded as agreed
  ApiResponse resolveConflict(const ApiRequest& request) {
    auto body = jsonObjectBody(request, false);
    if (auto* r = std::get_if<ApiResponse>(&body)) return *r;
    const sdk::Object& o = std::get<sdk::Object>(body);
    auto found = findConflict(request);
    if (auto* r = std::get_if<ApiResponse>(&found)) return *r;
    const Conflict& c = std::get<Conflict>(found);
    if (c.status != ConflictStatus::kOpen) {
      return ApiResponse::error(
          409, "",
          "conflict " + std::to_string(c.id) + " is already resolved (" + c.resolution + ")");
    }
    FlowDef flow;
    {
      std::lock_guard lock(mutex_);
      auto it = flows_.find(c.flow);
      if (it == flows_.end()) {
        return ApiResponse::error(409, "",
                                  "flow " + c.flow + " is not deployed or does not compile");
      }
      flow = it->second;
    }
    const Value* choose = o.find("choose");
    const Value* values = o.find("values");
    const Value* sinkId = o.find("sinkId");
    std::string resolution;
    if (c.kind == ConflictKind::kAmbiguousMatch) {
      if (sinkId == nullptr || !sinkId->isString() ||
          std::find(c.candidates.begin(), c.candidates.end(), sinkId->asString()) ==
              c.candidates.end()) {
        return ApiResponse::error(400, "", "send {\"sinkId\": ...} naming one of the candidates");
      }
      resolution = "link:" + sinkId->asString();
    } else if (choose != nullptr && values == nullptr && choose->isString() &&
               (choose->asString() == "source" || choose->asString() == "sink")) {
      resolution = choose->asString();
    } else if (values != nullptr && values->isObject() && choose == nullptr) {
      return resolveWithValues(flow, c, values->asObject());
    } else {
      return ApiResponse::error(
          400, "", "send {\"choose\": \"source\"}, {\"choose\": \"sink\"} or {\"values\": {...}}");
    }
    if (auto done = scheduler_->resolveConflict(c.flow, c.id, resolution); !done) {
      return errorResponse(done.error());
    }
    return resolvedResponse(c, resolution);
  }

  ApiResponse resolvedResponse(const Conflict& c, const std::string& resolution) {
    logWith(*log_, sdk::LogLevel::kInfo, "conflict resolved: " + resolution,
            {{log_keys::kFlow, c.flow},
             {log_keys::kRecord, c.sourceId},
             {"conflict", std::to_string(c.id)}});
    auto updated = store_->conflict(c.id);
    if (!updated) return errorResponse(updated.error());
    return ApiResponse::json(200,
                             updated->has_value() ? conflictJson(**updated) : Value(sdk::Object{}));
  }

  // Operator-supplied values for the conflicting fields: written to the sink (and reverse-mapped
  // to the source in two-way flows) where they differ, then recorded as the link's base.
  ApiResponse resolveWithValues(const FlowDef& flow, const Conflict& c, const sdk::Object& given) {
    sdk::Object chosen;
    for (const auto& [field, value] : given) {
      if (std::find(c.fields.begin(), c.fields.end(), field) == c.fields.end()) {
        return ApiResponse::error(400, "", "field '" + field + "' is not part of this conflict");
      }
      chosen.set(field, value);
    }
    if (chosen.empty()) return ApiResponse::error(400, "", "values names no field");
    if (auto written = applyResolution(flow, c, chosen); !written) {
      return errorResponse(written.error());
    }
    Link link;
    link.flow = c.flow;
    link.sourceId = c.sourceId;
    link.sinkId = c.sinkId;
    link.base = c.base;
    if (auto existing = store_->linksBySource(c.flow, {c.sourceId});
        existing && !existing->empty()) {
      link = existing->front();
    }
    for (const auto& [field, value] : chosen) link.base.set(field, value);
    BatchCommit batch;
    batch.flow = c.flow;
    batch.upsertLinks.push_back(link);
    if (auto committed = store_->commitBatch(batch); !committed) {
      return errorResponse(committed.error());
    }
    if (auto done = store_->resolveConflict(c.id, "values"); !done) {
      return errorResponse(done.error());
    }
    return resolvedResponse(c, "values");
  }

  // Updates one record through a freshly opened connector of that side.
  sdk::Status writeRecord(const FlowDef& flow, const std::string& connectionName,
                          const std::string& entity, const std::string& id,
                          const sdk::Object& fields) {
    if (fields.empty() || id.empty()) return {};
    auto def = connection(connectionName);
    if (!def) {
      return sdk::Error::make(ErrorCode::kNotFound, "connection " + connectionName + " of flow " +
                                                        flow.name + " is not deployed");
    }
    auto live = factory_->open(*def, flow.name);
    if (!live) return live.takeError();
    sdk::Sink* sink = (*live)->connector().sink();
    if (sink == nullptr) {
      return sdk::Error::make(ErrorCode::kUnsupported, "connection " + def->name + " cannot write");
    }
    sdk::WriteOp op;
    op.kind = sdk::WriteOp::Kind::kUpdate;
    op.id = id;
    op.fields = fields;
    for (const auto& [field, value] : fields) op.changed.push_back(field);
    auto results = sink->write(entity, {op});
    if (!results) return results.takeError();
    if (results->empty())
      return sdk::Error::make(ErrorCode::kInternal, "the sink answered nothing");
    const sdk::WriteResult& r = results->front();
    if (r.outcome == sdk::WriteResult::Outcome::kRejected) {
      return r.error ? *r.error : sdk::Error::make(ErrorCode::kConflict, "the write was rejected");
    }
    return {};
  }

  sdk::Status writeToSink(const FlowDef& flow, const std::string& sinkId,
                          const sdk::Object& fields) {
    return writeRecord(flow, flow.sink.connection, flow.sink.entity, sinkId, fields);
  }

  // Writes the chosen values where they differ: to the sink record, and in two-way flows
  // (reverse-mapped) to the source record.
  sdk::Status applyResolution(const FlowDef& flow, const Conflict& c, const sdk::Object& chosen) {
    sdk::Object toSink;
    for (const auto& [field, value] : chosen) {
      const Value* current = c.sinkValues.find(field);
      if (current == nullptr || !(*current == value)) toSink.set(field, value);
    }
    if (auto done = writeToSink(flow, c.sinkId, toSink); !done) return done;
    if (flow.mode == SyncMode::kTwoWay && flow.mapping) {
      sdk::Object differs;
      for (const auto& [field, value] : chosen) {
        const Value* fromSource = c.sourceValues.find(field);
        if (fromSource == nullptr || !(*fromSource == value)) differs.set(field, value);
      }
      if (!differs.empty()) {
        auto reversed = flow.mapping->reverse(differs);
        if (!reversed) return reversed.takeError();
        return writeRecord(flow, flow.source.connection, flow.source.entity, c.sourceId, *reversed);
      }
    }
    return {};
  }

  // ---- Dead letters ----

  ApiResponse listDeadLetters(const ApiRequest& request) {
    DeadLetterFilter filter;
    filter.flow = request.queryValue("flow");
    const std::string status = request.queryValue("status").value_or("pending");
    if (status != "all") {
      filter.status = parseLetterStatus(status);
      if (!filter.status) {
        return ApiResponse::error(400, "",
                                  "status must be pending, retrying, resolved, discarded or all");
      }
    }
    filter.limit = pageLimit(request);
    if (auto after = request.queryValue("after")) filter.afterId = parseId(*after).value_or(0);
    auto list = store_->deadLetters(filter);
    if (!list) return errorResponse(list.error());
    sdk::List out;
    for (const auto& d : *list) out.push_back(deadLetterJson(d, false));
    return ApiResponse::json(200, sdk::Object{{"deadLetters", std::move(out)}});
  }

  std::variant<DeadLetter, ApiResponse> findDeadLetter(const ApiRequest& request) {
    const auto id = parseId(request.param("id"));
    if (!id) return ApiResponse::error(400, "", "dead-letter ids are positive whole numbers");
    auto d = store_->deadLetter(*id);
    if (!d) return errorResponse(d.error());
    if (!d->has_value()) return notFound("no dead letter " + std::to_string(*id));
    return **d;
  }

  ApiResponse getDeadLetter(const ApiRequest& request) {
    auto found = findDeadLetter(request);
    if (auto* r = std::get_if<ApiResponse>(&found)) return *r;
    return ApiResponse::json(200, deadLetterJson(std::get<DeadLetter>(found), true));
  }

  static bool waiting(const DeadLetter& d) {
    return d.status == DeadLetterStatus::kPending || d.status == DeadLetterStatus::kRetrying;
  }

  ApiResponse retryDeadLetter(const ApiRequest& request) {
    auto found = findDeadLetter(request);
    if (auto* r = std::get_if<ApiResponse>(&found)) return *r;
    const DeadLetter& d = std::get<DeadLetter>(found);
    if (!waiting(d)) {
      return ApiResponse::error(
          409, "", "dead letter " + std::to_string(d.id) + " is " + letterStatusWord(d.status));
    }
    // Ids are unique and ordered: this filter selects exactly this letter.
    DeadLetterFilter one;
    one.flow = d.flow;
    one.afterId = d.id - 1;
    one.limit = 1;
    auto done = scheduler_->retryDeadLetters(d.flow, one);
    if (!done) return errorResponse(done.error());
    Value out = retryJson(*done);
    if (auto after = store_->deadLetter(d.id); after && after->has_value()) {
      out.asObject().set("deadLetter", deadLetterJson(**after, false));
    }
    return ApiResponse::json(200, out);
  }

  // Body: {"flow": "name"} (optional; all flows otherwise), {"retriable": bool} (optional).
  ApiResponse retryDeadLetters(const ApiRequest& request) {
    auto body = jsonObjectBody(request, true);
    if (auto* r = std::get_if<ApiResponse>(&body)) return *r;
    const sdk::Object& o = std::get<sdk::Object>(body);
    std::vector<std::string> names;
    if (const Value* flow = o.find("flow")) {
      if (!flow->isString()) return ApiResponse::error(400, "", "flow must be a string");
      if (auto missing = requireFlow(flow->asString())) return *missing;
      names.push_back(flow->asString());
    } else {
      std::lock_guard lock(mutex_);
      for (const auto& [name, def] : flows_) names.push_back(name);
    }
    DeadLetterFilter filter;
    filter.status = DeadLetterStatus::kPending;
    filter.limit = 1000;
    if (const Value* retriable = o.find("retriable")) {
      if (!retriable->isBool())
        return ApiResponse::error(400, "", "retriable must be true or false");
      filter.retriable = retriable->asBool();
    }
    engine::RetrySummary total;
    sdk::Object perFlow;
    for (const auto& name : names) {
      filter.flow = name;
      auto done = scheduler_->retryDeadLetters(name, filter);
      if (!done) {
        perFlow.set(name, sdk::Object{{"error", done.error().message}});
        continue;
      }
      perFlow.set(name, retryJson(*done));
      total.attempted += done->attempted;
      total.resolved += done->resolved;
      total.superseded += done->superseded;
      total.failed += done->failed;
    }
    Value out = retryJson(total);
    out.asObject().set("flows", std::move(perFlow));
    return ApiResponse::json(200, out);
  }

  ApiResponse discardDeadLetter(const ApiRequest& request) {
    auto found = findDeadLetter(request);
    if (auto* r = std::get_if<ApiResponse>(&found)) return *r;
    const DeadLetter& d = std::get<DeadLetter>(found);
    if (!waiting(d)) {
      return ApiResponse::error(
          409, "", "dead letter " + std::to_string(d.id) + " is " + letterStatusWord(d.status));
    }
    if (auto done = store_->setDeadLetterStatus(d.id, DeadLetterStatus::kDiscarded, 0); !done) {
      return errorResponse(done.error());
    }
    logWith(*log_, sdk::LogLevel::kInfo, "dead letter discarded",
            {{log_keys::kFlow, d.flow},
             {log_keys::kRecord, d.recordId},
             {"dead_letter", std::to_string(d.id)}});
    auto after = store_->deadLetter(d.id);
    return ApiResponse::json(
        200, after && after->has_value() ? deadLetterJson(**after, false) : Value(sdk::Object{}));
  }

  // ---- Connections ----

  ApiResponse listConnections(const ApiRequest&) {
    sdk::List out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, c] : connections_) out.push_back(connectionJson(c.def, c.origin));
    return ApiResponse::json(200, sdk::Object{{"connections", std::move(out)}});
  }

  ApiResponse getConnection(const ApiRequest& request) {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(request.param("name"));
    if (it == connections_.end())
      return notFound("no connection named '" + request.param("name") + "'");
    return ApiResponse::json(200, connectionJson(it->second.def, it->second.origin));
  }

  ApiResponse saveConnection(const ApiRequest& request, const std::optional<std::string>& name,
                             bool mustBeNew) {
    if (auto bad = checkYamlBody(request)) return *bad;
    if (mustBeNew) {
      Diagnostics probe;
      if (auto spec = parseConnectionSpec(request.body, "api", probe);
          spec && connection(spec->name.value)) {
        return ApiResponse::error(409, "",
                                  "connection '" + spec->name.value +
                                      "' exists; PUT /api/v1/connections/" + spec->name.value +
                                      " replaces it");
      }
    }
    const bool existed = name && connection(*name).has_value();
    Diagnostics diags;
    auto def = putConnection(request.body, "api", name, diags);
    if (!def) {
      std::string ignored;
      auto details = Value::fromJson(diags.toJson(), &ignored);
      return ApiResponse::error(
          422, "invalid-connection",
          std::to_string(diags.errorCount()) + " error(s) in the connection definition",
          details ? *details : Value());
    }
    logWith(*log_, sdk::LogLevel::kInfo, existed ? "connection updated" : "connection created",
            {{log_keys::kConnection, def->name}, {log_keys::kPlugin, def->plugin}});
    return ApiResponse::json(existed ? 200 : 201, connectionJson(*def, "api"));
  }

  ApiResponse postConnection(const ApiRequest& request) {
    return saveConnection(request, std::nullopt, true);
  }
  ApiResponse putConnectionRoute(const ApiRequest& request) {
    return saveConnection(request, request.param("name"), false);
  }

  // A live check: the connector is made, started and asked for its cheap check() call.
  ApiResponse testConnection(const ApiRequest& request) {
    auto def = connection(request.param("name"));
    if (!def) return notFound("no connection named '" + request.param("name") + "'");
    const auto started = std::chrono::steady_clock::now();
    auto live = factory_->open(*def);
    sdk::Status checked = live ? (*live)->connector().check() : sdk::Status(live.error());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    sdk::Object out{
        {"name", def->name}, {"ok", checked.ok()}, {"ms", static_cast<std::int64_t>(ms)}};
    if (!checked) {
      out.set("error", sdk::Object{{"code", sdk::toString(checked.error().code)},
                                   {"message", checked.error().message}});
    }
    return ApiResponse::json(200, out);
  }

  ApiResponse connectionEntities(const ApiRequest& request) {
    auto def = connection(request.param("name"));
    if (!def) return notFound("no connection named '" + request.param("name") + "'");
    auto live = factory_->open(*def);
    if (!live) return errorResponse(live.error());
    auto entities = (*live)->connector().describe();
    if (!entities) return errorResponse(entities.error());
    // A describe snapshot, as `ferry describe --connection NAME --json` prints it, so a saved
    // answer works with `ferry validate --schemas`: the plugin's settings schema (connection
    // files are checked against it) with the live entities. "name" is the connection's name.
    const PluginSchema* plugin = schemas_.plugin(def->plugin);
    PluginSchema schema{def->plugin,
                        plugin != nullptr ? plugin->settings : std::vector<sdk::SettingSchema>{},
                        std::move(*entities)};
    auto snapshot = Value::fromJson(pluginSchemaToJson(schema));
    snapshot->asObject().set("connection", def->name);
    snapshot->asObject().set("name", def->name);
    return ApiResponse::json(200, *snapshot);
  }

  // ---- Credentials (write-only values) ----

  ApiResponse listCredentials(const ApiRequest&) {
    auto sets = vault_.credentialSets();
    if (!sets) return errorResponse(sets.error());
    sdk::List out;
    for (const auto& set : *sets) {
      auto fields = vault_.credentialFields(set);
      out.push_back(
          sdk::Object{{"name", set}, {"fields", fields ? listJson(*fields) : Value(sdk::List{})}});
    }
    return ApiResponse::json(200, sdk::Object{{"credentials", std::move(out)}});
  }

  ApiResponse getCredentials(const ApiRequest& request) {
    const std::string& set = request.param("set");
    auto fields = vault_.credentialFields(set);
    if (!fields) return errorResponse(fields.error());
    auto exists = vault_.hasCredentials(set);
    if (!exists) return errorResponse(exists.error());
    if (!*exists) return notFound("no credential set named '" + set + "'");
    return ApiResponse::json(200, sdk::Object{{"name", set}, {"fields", listJson(*fields)}});
  }

  // Body: {"field": "value", ...} (or {"values": {...}}); every value a string.
  std::variant<CredentialValues, ApiResponse> credentialBody(const ApiRequest& request) {
    auto body = jsonObjectBody(request, false);
    if (auto* r = std::get_if<ApiResponse>(&body)) return *r;
    const sdk::Object* values = &std::get<sdk::Object>(body);
    if (const Value* nested = values->find("values"); nested != nullptr && values->size() == 1) {
      if (!nested->isObject()) return ApiResponse::error(400, "", "values must be an object");
      values = &nested->asObject();
    }
    CredentialValues out;
    for (const auto& [field, value] : *values) {
      if (!validSecretName(field)) {
        return ApiResponse::error(400, "", "field names are 1-128 characters of A-Z a-z 0-9 . _ -");
      }
      // The value itself is never echoed, not even in an error.
      if (!value.isString())
        return ApiResponse::error(400, "", "field '" + field + "' must be a string");
      out[field] = value.asString();
      processRedactor()->add(value.asString());
    }
    if (out.empty()) return ApiResponse::error(400, "", "no fields given");
    return out;
  }

  ApiResponse storeCredentials(const ApiRequest& request, bool replace) {
    const std::string& set = request.param("set");
    if (!validSecretName(set)) {
      return ApiResponse::error(400, "", "set names are 1-128 characters of A-Z a-z 0-9 . _ -");
    }
    auto values = credentialBody(request);
    if (auto* r = std::get_if<ApiResponse>(&values)) return *r;
    auto existed = vault_.hasCredentials(set);
    if (!existed) return errorResponse(existed.error());
    const auto& v = std::get<CredentialValues>(values);
    auto done = replace ? vault_.putCredentials(set, v) : vault_.updateCredentials(set, v);
    if (!done) return errorResponse(done.error());
    auto fields = vault_.credentialFields(set);
    {
      std::lock_guard lock(liveMutex_);
      live_.clear();  // inbound secrets and tokens may have changed
    }
    if (provider_) provider_->credentialsChanged();
    logWith(*log_, sdk::LogLevel::kInfo, *existed ? "credentials updated" : "credentials created",
            {{"credentials", set}});
    return ApiResponse::json(
        *existed ? 200 : 201,
        sdk::Object{{"name", set}, {"fields", fields ? listJson(*fields) : Value()}});
  }

  ApiResponse putCredentials(const ApiRequest& request) { return storeCredentials(request, true); }
  ApiResponse patchCredentials(const ApiRequest& request) {
    return storeCredentials(request, false);
  }

  ApiResponse deleteCredentials(const ApiRequest& request) {
    const std::string& set = request.param("set");
    if (auto done = vault_.deleteCredentials(set); !done) return errorResponse(done.error());
    logWith(*log_, sdk::LogLevel::kInfo, "credentials deleted", {{"credentials", set}});
    return ApiResponse::json(200, sdk::Object{{"name", set}, {"deleted", true}});
  }

  // ---- Catalogue ----

  ApiResponse listPlugins(const ApiRequest&) {
    sdk::List out;
    for (const auto* p : plugins_->list()) {
      sdk::List entities;
      for (const auto& e : p->entities()) entities.emplace_back(e.name);
      out.push_back(sdk::Object{{"name", p->name()},
                                {"version", p->version()},
                                {"description", p->description()},
                                {"entities", std::move(entities)}});
    }
    sdk::List errors;
    for (const auto& e : plugins_->errors()) errors.emplace_back(e.describe());
    return ApiResponse::json(
        200, sdk::Object{{"plugins", std::move(out)}, {"loadErrors", std::move(errors)}});
  }

  ApiResponse getPlugin(const ApiRequest& request) {
    const auto* schema = schemas_.plugin(request.param("plugin"));
    if (schema == nullptr) return notFound("no plugin named '" + request.param("plugin") + "'");
    auto json = Value::fromJson(pluginSchemaToJson(*schema));
    if (!json) return ApiResponse::error(500, "", "cannot render the plugin schema");
    return ApiResponse::json(200, *json);
  }

  // ---- Salesforce OAuth (web-server flow) ----

  // Services for one OAuth call: the connection's settings, HTTP client and secret store.
  struct OAuthContext {
    std::unique_ptr<PocoHttpClient> http;
    std::unique_ptr<sdk::Logger> logger;
    std::unique_ptr<sdk::SecretStore> secrets;
    std::unique_ptr<sdk::KeyValueState> state;
    std::unique_ptr<sdk::Metrics> metrics;
    sdk::HostContext context;
    const plugins::salesforce::OAuthHelper* helper = nullptr;
    std::shared_ptr<boost::dll::shared_library> library;
  };

  std::variant<std::unique_ptr<OAuthContext>, ApiResponse> oauthContext(const std::string& name) {
    auto def = connection(name);
    if (!def) return notFound("no connection named '" + name + "'");
    const LoadedPlugin* plugin = plugins_->find(def->plugin);
    if (plugin == nullptr)
      return ApiResponse::error(409, "", "plugin " + def->plugin + " is not installed");
    auto out = std::make_unique<OAuthContext>();
    try {
      out->library = std::make_shared<boost::dll::shared_library>(plugin->file().string(),
                                                                  boost::dll::load_mode::rtld_lazy);
      if (!out->library->has(plugins::salesforce::kOAuthHelperSymbol)) {
        return ApiResponse::error(
            409, "",
            "connection " + name + " (plugin " + def->plugin + ") has no OAuth web-server flow");
      }
      auto fn = out->library->get_alias<plugins::salesforce::OAuthHelperFn>(
          plugins::salesforce::kOAuthHelperSymbol);
      out->helper = fn();
    } catch (const std::exception& e) {
      logWith(*log_, sdk::LogLevel::kError, std::string("cannot load plugin: ") + e.what(),
              {{log_keys::kPlugin, def->plugin}});
      return ApiResponse::error(500, "", "cannot load plugin " + def->plugin);
    }
    if (out->helper == nullptr || out->helper->abiVersion != sdk::kAbiVersion) {
      return ApiResponse::error(409, "", "plugin " + def->plugin + " was built for another SDK");
    }
    ValidatedSettings settings = validateSettings(plugin->settings(), def->settings);
    if (!settings.ok())
      return ApiResponse::error(409, "", "connection " + name + " has invalid settings");
    HttpClientOptions http;
    http.connection = def->name;
    http.clock = &clock_;
    http.metrics = &metrics_;
    out->http = std::make_unique<PocoHttpClient>(http);
    out->logger =
        std::make_unique<ConnectorLogger>(getLogger("ferry.connector"), def->plugin, def->name);
    out->secrets = std::make_unique<OAuthSecrets>(vault_.secretStore(def->name, def->credentials));
    out->state = std::make_unique<KvState>(*store_, def->name);
    out->metrics = std::make_unique<ConnectionMetrics>(metrics_, def->name);
    sdk::HostContext& ctx = out->context;
    ctx.connectionName = def->name;
    ctx.settings = std::move(settings.settings);
    ctx.http = out->http.get();
    ctx.logger = out->logger.get();
    ctx.clock = &clock_;
    ctx.secrets = out->secrets.get();
    ctx.state = out->state.get();
    ctx.metrics = out->metrics.get();
    return out;
  }

  std::string redirectUri() {
    std::lock_guard lock(mutex_);
    return options_.publicUrl + kCallbackPath;
  }

  // GET ?connection=NAME: 302 to the connection's login host with a fresh single-use state.
  ApiResponse oauthAuthorize(const ApiRequest& request) {
    const auto name = request.queryValue("connection");
    if (!name || name->empty()) return ApiResponse::error(400, "", "give ?connection=NAME");
    auto ctx = oauthContext(*name);
    if (auto* r = std::get_if<ApiResponse>(&ctx)) return *r;
    auto& oauth = *std::get<std::unique_ptr<OAuthContext>>(ctx);
    purgeExpiredStates();
    const std::string state = randomState();
    const std::int64_t expires = clock_.nowMs() + options_.oauthStateTtlMs;
    if (auto put = store_->kvPut(kOAuthScope, state, std::to_string(expires) + "\n" + *name);
        !put) {
      return errorResponse(put.error());
    }
    auto url = oauth.helper->authorizeUrl(oauth.context, redirectUri(), state);
    if (!url) return errorResponse(url.error());
    ApiResponse r =
        ApiResponse::json(302, sdk::Object{{"location", *url}, {"redirectUri", redirectUri()}});
    r.headers.emplace_back("Location", *url);
    return r;
  }

  // States nobody came back with are dropped once expired (authorisations are rare, so a scan
  // per authorize call costs nothing).
  void purgeExpiredStates() {
    auto keys = store_->kvKeys(kOAuthScope);
    if (!keys) return;
    const std::int64_t now = clock_.nowMs();
    for (const auto& key : *keys) {
      auto record = store_->kvGet(kOAuthScope, key);
      if (!record || !record->has_value()) continue;
      if (std::strtoll((*record)->c_str(), nullptr, 10) < now) {
        (void)store_->kvErase(kOAuthScope, key);
      }
    }
  }

  // The browser comes back with ?code=&state= (or ?error=): the state must be one we issued,
  // unexpired and unused; then the code is exchanged and the tokens stored in the vault.
  ApiResponse oauthCallback(const ApiRequest& request) {
    const std::string state = request.queryValue("state").value_or("");
    if (state.size() != 64 || state.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return ApiResponse::error(400, "invalid-state", "missing or malformed state parameter");
    }
    auto stored = store_->kvGet(kOAuthScope, state);
    if (!stored) return errorResponse(stored.error());
    if (!stored->has_value()) {
      logWith(*log_, sdk::LogLevel::kError, "OAuth callback with an unknown state refused", {});
      return ApiResponse::error(400, "invalid-state",
                                "unknown or already used state; start again "
                                "from /api/v1/oauth/salesforce/authorize");
    }
    (void)store_->kvErase(kOAuthScope, state);  // single use, whatever happens next
    const std::string& record = **stored;
    const auto newline = record.find('\n');
    const std::int64_t expires = std::strtoll(record.substr(0, newline).c_str(), nullptr, 10);
    const std::string name = newline == std::string::npos ? "" : record.substr(newline + 1);
    if (clock_.nowMs() > expires) {
      return ApiResponse::error(400, "invalid-state",
                                "the authorisation took too long; start again");
    }
    if (auto error = request.queryValue("error")) {
      return ApiResponse::error(400, "authorization-denied",
                                "Salesforce answered " + *error + ": " +
                                    request.queryValue("error_description").value_or(""));
    }
    const auto code = request.queryValue("code");
    if (!code || code->empty()) return ApiResponse::error(400, "", "missing code parameter");
    auto ctx = oauthContext(name);
    if (auto* r = std::get_if<ApiResponse>(&ctx)) return *r;
    auto& oauth = *std::get<std::unique_ptr<OAuthContext>>(ctx);
    processRedactor()->add(*code);
    if (auto done = oauth.helper->exchangeCode(oauth.context, *code, redirectUri()); !done) {
      logWith(*log_, sdk::LogLevel::kError, "OAuth code exchange failed: " + done.error().message,
              {{log_keys::kConnection, name}});
      return ApiResponse::error(502, "exchange-failed", done.error().message);
    }
    {
      std::lock_guard lock(liveMutex_);
      live_.erase(name);
    }
    if (provider_) provider_->credentialsChanged();
    logWith(*log_, sdk::LogLevel::kInfo, "connection authorised", {{log_keys::kConnection, name}});
    return ApiResponse::json(200, sdk::Object{{"connection", name}, {"authorized", true}});
  }

  // ---- Push events ----

  // The connection's credential set must hold `inbound_secret`; callers present it as a bearer
  // token, an X-Ferry-Inbound-Secret header or a `token` query parameter (for senders such as
  // Salesforce Outbound Messages that cannot set headers).
  ApiResponse inbound(const ApiRequest& request) {
    const std::string& name = request.param("connection");
    auto def = connection(name);
    auto secret = def && !def->credentials.empty()
                      ? vault_.credential(def->credentials, kInboundSecretField)
                      : sdk::Result<std::optional<std::string>>(std::optional<std::string>());
    std::optional<std::string> expected = secret ? *secret : std::nullopt;
    std::string presented;
    if (auto h = request.header("Authorization"); h && h->rfind("Bearer ", 0) == 0) {
      presented = h->substr(7);
    } else if (auto header = request.header("X-Ferry-Inbound-Secret")) {
      presented = *header;
    } else if (auto token = request.queryValue("token")) {
      presented = *token;
    }
    // Unknown connections and missing secrets look the same as a wrong secret from outside.
    if (!expected || expected->empty() || !constantTimeEquals(presented, *expected)) {
      ApiResponse r = ApiResponse::error(401, "", "missing or wrong inbound secret");
      return r;
    }
    std::shared_ptr<Live> live;
    {
      std::lock_guard lock(liveMutex_);
      auto& slot = live_[name];
      if (!slot) slot = std::make_shared<Live>();
      live = slot;
    }
    std::lock_guard lock(live->mutex);
    if (!live->connection) {
      auto opened = factory_->open(*def);
      if (!opened) return errorResponse(opened.error());
      live->connection = std::move(*opened);
    }
    sdk::PushIntake* intake = live->connection->connector().push();
    if (intake == nullptr) {
      return ApiResponse::error(404, "", "connection " + name + " does not accept push events");
    }
    sdk::InboundRequest in;
    in.method = request.method;
    // The query travels on: a plugin may check its own token there (the People webhook's URL
    // can carry nothing else).
    in.path = "/";
    for (const auto& [key, value] : request.query) {
      in.path +=
          (in.path.size() == 1 ? "?" : "&") + percentEncode(key) + "=" + percentEncode(value);
    }
    for (const auto& [key, value] : request.headers) in.headers.emplace_back(key, value);
    in.body = request.body;
    auto result = intake->handlePush(in);
    if (!result) {
      logWith(*log_, sdk::LogLevel::kError, "push event refused: " + result.error().message,
              {{log_keys::kConnection, name}});
      return ApiResponse::error(result.error().code == ErrorCode::kInvalidArgument ? 400 : 502, "",
                                result.error().message);
    }
    // Deletions the event reports reach the woken flows, which apply their delete policy: a
    // poll never sees them (People lists only the persons that still exist).
    const std::size_t woken =
        result->wake.empty() ? 0 : scheduler_->wake(name, result->wake, result->deletedIds);
    logWith(*log_, sdk::LogLevel::kDebug, "push event",
            {{log_keys::kConnection, name}, {"woken", std::to_string(woken)}});
    return ApiResponse::text(result->status, result->body, result->contentType);
  }

  // ---- Members ----

  AdminServiceOptions options_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<PluginRegistry> plugins_;
  sdk::Clock& clock_;
  StaticSchemaProvider schemas_;
  StateStoreSecretBackend secretBackend_;
  Vault vault_;
  MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<ConnectionFactory> factory_;
  std::unique_ptr<DescribingSchemaProvider> provider_;  // what flows are validated against
  std::unique_ptr<Scheduler> scheduler_;
  Router router_;

  std::mutex mutex_;  // connections_, flows_, flowErrors_, options_.publicUrl
  std::map<std::string, StoredConnection> connections_;
  std::map<std::string, FlowDef> flows_;           // compiled current versions
  std::map<std::string, std::string> flowErrors_;  // deployed flows that do not compile

  std::mutex liveMutex_;
  std::map<std::string, std::shared_ptr<Live>> live_;

  std::mutex observeMutex_;
  std::map<std::string, std::int64_t> lastRun_;
  std::map<std::string, std::int64_t> lastBatchRun_;
  std::int64_t lastDeadLetter_ = 0;
  bool firstObservation_ = true;
  std::int64_t startedAtMs_ = 0;

  std::mutex observerMutex_;
  std::condition_variable observerWake_;
  bool stopping_ = false;
  std::thread observer_;

  friend class AdminService;
};

AdminService::AdminService(AdminServiceOptions options, std::unique_ptr<StateStore> store,
                           std::unique_ptr<PluginRegistry> plugins, const MasterKey& key,
                           sdk::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), std::move(plugins), key,
                                   clock)) {}
AdminService::~AdminService() = default;
sdk::Status AdminService::start() { return impl_->start(); }
void AdminService::stop() { impl_->stop(); }
const Router& AdminService::router() const noexcept { return impl_->router(); }
void AdminService::setPublicUrl(std::string url) { impl_->setPublicUrl(std::move(url)); }

}  // namespace ferry::host::server
