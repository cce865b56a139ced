// ferry serve: the admin REST API service; ferry keygen: creates a master-key file.
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <ostream>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/common/clock.hpp"
#include "ferry/host/common/logging.hpp"
#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/secrets/master_key.hpp"
#include "ferry/host/server/admin_service.hpp"
#include "ferry/host/server/config.hpp"
#include "ferry/host/server/http_server.hpp"
#include "ferry/host/state/store.hpp"

namespace ferry::host::cli {
namespace {

std::string defaultNode() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "ferry") + "-" + std::to_string(::getpid());
}

int runServe(const Args& args, Context& ctx) {
  // SIGTERM and SIGINT are taken with sigwait() below: blocked here, before any thread exists,
  // so every thread inherits the mask and none is interrupted.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  auto fail = [&](const std::string& message) {
    ctx.err << ctx.program << " serve: " << message << "\n";
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, nullptr);
    return kExitFailure;
  };

  auto config = server::loadServeConfig(*args.value("--config"));
  if (!config) return fail(config.error().message);
  if (auto logging = configureLogging(config->log); !logging) return fail(logging.error().message);
  auto key = loadMasterKey(config->masterKey);
  if (!key) {
    return fail(
        "refusing to start without a master key (secrets are never stored in "
        "plaintext): " +
        key.error().message + "; or run `" + ctx.program +
        " keygen --out FILE` and set master_key: { file: FILE } in " + config->file);
  }
  auto tokens = server::loadAdminTokens(*config);
  if (!tokens) return fail(tokens.error().message);

  auto plugins = std::make_unique<PluginRegistry>();
  for (const auto& dir : config->pluginDirs) plugins->loadDirectory(dir, true);
  for (const auto& dir : defaultPluginPath()) plugins->loadDirectory(dir, false);
  auto log = getLogger("ferry.server");
  for (const auto& e : plugins->errors()) log->warn("plugin not loaded: {}", e.describe());

  auto store = openStateStore(config->stateUrl);
  if (!store) return fail(store.error().message);

  server::AdminServiceOptions options;
  options.flowDir = config->flowDir;
  options.node = config->node.empty() ? defaultNode() : config->node;
  options.threads = config->threads;
  options.oauthStateTtlMs = config->oauthStateTtlSeconds * 1000;
  server::AdminService service(options, std::move(*store), std::move(plugins), *key, systemClock());
  if (auto started = service.start(); !started) return fail(started.error().message);

  server::HttpServerOptions http;
  http.address = config->address;
  http.port = config->port;
  http.tlsCertificate = config->tlsCertificate;
  http.tlsKey = config->tlsKey;
  http.maxBodyBytes = config->maxBodyBytes;
  http.adminTokens = std::move(*tokens);
  server::HttpServer listener(service.router(), http);
  if (auto listening = listener.start(); !listening) {
    service.stop();
    return fail(listening.error().message);
  }
  const std::string base = std::string(listener.tls() ? "https" : "http") + "://" +
                           config->address + ":" + std::to_string(listener.port());
  service.setPublicUrl(config->publicUrl.empty() ? base : config->publicUrl);
  log->info("listening on {}", base);
  ctx.out << "ferry serve: listening on " << base << std::endl;

  int signal = 0;
  sigwait(&stopSignals, &signal);
  log->info("{} received: stopping (current batches finish)",
            signal == SIGTERM ? "SIGTERM" : "SIGINT");
  listener.stop();
  service.stop();
  log->info("stopped");
  pthread_sigmask(SIG_UNBLOCK, &stopSignals, nullptr);
  return kExitOk;
}

int runKeygen(const Args& args, Context& ctx) {
  const std::string path = *args.value("--out");
  auto key = createMasterKeyFile(path);
  if (!key) {
    ctx.err << ctx.program << " keygen: " << key.error().message << "\n";
    return kExitFailure;
  }
  ctx.out << "wrote a new master key to " << path << " (fingerprint " << key->fingerprint()
          << "); back it up: without it stored secrets cannot be decrypted\n";
  return kExitOk;
}

}  // namespace

void registerServeCommands(CommandTable& table) {
  table.add(Command{
      .name = "serve",
      .summary = "Run the admin REST API and the scheduler for deployed flows",
      .description =
          "Reads the configuration file (listen address, TLS, state store, plugin and flow "
          "directories, logging, admin tokens, master key), deploys the flow directory, resumes "
          "the flows that were active and serves /api/v1 until SIGTERM or SIGINT, which let "
          "current batches finish. See docs/operator-guide.md.\n\n" +
          masterKeyHowTo(),
      .positionals = {},
      .options = {{"--config", "FILE", "The configuration file (YAML)", false}},
      .run = [](const Args& args, Context& ctx) {
        if (!args.value("--config")) {
          ctx.err << ctx.program << " serve: --config FILE is required\n";
          return kExitUsage;
        }
        return runServe(args, ctx);
      }});
  table.add(Command{
      .name = "keygen",
      .summary = "Create a master-key file for the secrets vault",
      .description = "Writes 32 random bytes, base64, to a new file readable only by its owner "
                     "(never overwrites). Point master_key.file in the serve configuration at it, "
                     "or export its content as FERRY_MASTER_KEY.",
      .positionals = {},
      .options = {{"--out", "FILE", "Where to write the key", false}},
      .run = [](const Args& args, Context& ctx) {
        if (!args.value("--out")) {
          ctx.err << ctx.program << " keygen: --out FILE is required\n";
          return kExitUsage;
        }
        return runKeygen(args, ctx);
      }});
}

}  // namespace ferry::host::cli
