// Everything `ferry serve` runs: the state store, plugins, vault, deployed connections and
// flows, the scheduler, metrics, and the admin API routes over them.
//
// Start-up (start()): connection and flow files found in the flow directory are deployed (a flow
// file whose content did not change keeps its version), every deployed flow is compiled against
// the current connections and handed to the scheduler, active ones resume. Deployments made
// through the API persist in the state store, so a restart comes back to the same flows.
//
// Connections live in the state store (key-value scope "server/connections", the YAML text as
// deployed); credential values only in the vault, encrypted. Responses never carry a secret.
#pragma once

#include <memory>
#include <string>

#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/secrets/master_key.hpp"
#include "ferry/host/server/config.hpp"
#include "ferry/host/server/router.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/host.hpp"

namespace ferry::host::server {

struct AdminServiceOptions {
  std::string flowDir;    // empty: nothing deployed from disk
  std::string publicUrl;  // base of the OAuth redirect URI
  std::string node = "local";
  std::size_t threads = 4;
  std::int64_t oauthStateTtlMs = 10 * 60 * 1000;
  std::int64_t observeIntervalMs = 500;  // run log lines and flow metrics refresh
};

class AdminService {
 public:
  AdminService(AdminServiceOptions options, std::unique_ptr<StateStore> store,
               std::unique_ptr<PluginRegistry> plugins, const MasterKey& key, sdk::Clock& clock);
  ~AdminService();  // stop()
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  // Deploys the flow directory, resumes flows and starts the scheduler. Problems with single
  // files are logged and leave those files out; a failure here means the store is unusable.
  sdk::Status start();
  // Stops the scheduler (current batches finish) and the observer.
  void stop();

  const Router& router() const noexcept;
  void setPublicUrl(std::string url);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::host::server
