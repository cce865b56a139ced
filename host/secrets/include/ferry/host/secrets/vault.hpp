// The secrets vault: operator-managed credential sets and connector-managed tokens, encrypted
// with AES-256-GCM under the master key before they reach the backend.
//
//   credential set  "salesforce-prod" -> {client_id, client_secret, refresh_token, ...}
//                   set by operators through the admin API; write-only from the outside.
//   tokens          per connection: access_token, instance_url, ... written by the connector.
//
// Layout in the backend (each value its own envelope, bound to its scope and key):
//   scope "secrets/credentials/<set>", key = field name
//   scope "secrets/credential-sets",   key = set name (value: sealed marker; lists the sets)
//   scope "secrets/tokens/<connection>", key = token name
//
// Every value read or written is registered with the Redactor, so it is masked in any log line
// that might later quote it. Error texts name sets, connections and fields, never values.
// Thread-safe when the backend is.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry/host/common/redaction.hpp"
#include "ferry/host/secrets/backend.hpp"
#include "ferry/host/secrets/cipher.hpp"
#include "ferry/sdk/host.hpp"

namespace ferry::host {

using CredentialValues = std::map<std::string, std::string>;

class Vault {
 public:
  Vault(SecretBackend& backend, const MasterKey& key,
        std::shared_ptr<Redactor> redactor = processRedactor());

  // ---- credential sets ----
  // Names: 1-128 characters of [A-Za-z0-9._-]; field names the same. Values may be empty.
  // Replaces the whole set. Several backend writes: a crash midway leaves some fields updated,
  // never a half-written value.
  sdk::Status putCredentials(const std::string& set, const CredentialValues& values);
  // Adds or overwrites the given fields, keeping the others (creates the set if needed).
  sdk::Status updateCredentials(const std::string& set, const CredentialValues& values);
  sdk::Result<CredentialValues> credentials(const std::string& set);  // kNotFound when absent
  sdk::Result<std::optional<std::string>> credential(const std::string& set,
                                                     const std::string& field);
  // Field names only: what the admin API may show about a set.
  sdk::Result<std::vector<std::string>> credentialFields(const std::string& set);
  sdk::Result<std::vector<std::string>> credentialSets();
  sdk::Result<bool> hasCredentials(const std::string& set);
  sdk::Status deleteCredentials(const std::string& set);  // kNotFound when absent

  // ---- connection tokens ----
  sdk::Result<std::optional<std::string>> token(const std::string& connection,
                                                const std::string& name);
  sdk::Status putToken(const std::string& connection, const std::string& name,
                       const std::string& value);
  sdk::Status eraseToken(const std::string& connection, const std::string& name);
  sdk::Status clearTokens(const std::string& connection);

  // The sdk::SecretStore lent to one connection: get() looks in the connection's tokens, then
  // in its credential set (empty = none); put()/erase() act on tokens only, so a connector can
  // never alter what the operator configured. The vault must outlive the store.
  std::unique_ptr<sdk::SecretStore> secretStore(std::string connection, std::string credentialSet);

  // Decrypts every credential value once and registers it with the redactor (call at start-up
  // so operator secrets are masked before anything reads them; tokens are registered when a
  // connector reads or writes them). Returns how many values it saw.
  sdk::Result<std::size_t> registerCredentialsWithRedactor();

  const std::string& keyFingerprint() const noexcept { return fingerprint_; }

 private:
  sdk::Result<std::optional<std::string>> read(const std::string& scope, const std::string& key,
                                               const std::string& what);
  sdk::Status write(const std::string& scope, const std::string& key, const std::string& value);
  sdk::Status writeSet(const std::string& set, const CredentialValues& values, bool replace);

  SecretBackend& backend_;
  SecretCipher cipher_;
  std::shared_ptr<Redactor> redactor_;
  std::string fingerprint_;
  std::mutex writeMutex_;  // read-modify-write of a credential set
};

// Valid set/connection/field name per the rules above.
bool validSecretName(std::string_view name) noexcept;

}  // namespace ferry::host
