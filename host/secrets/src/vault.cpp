#include "ferry/host/secrets/vault.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>

namespace ferry::host {
namespace {

using sdk::Error;
using sdk::ErrorCode;

const std::string kSetIndexScope = "secrets/credential-sets";
const std::string kSetPrefix = "secrets/credentials/";
const std::string kTokenPrefix = "secrets/tokens/";

std::string setScope(const std::string& set) { return kSetPrefix + set; }
std::string tokenScope(const std::string& connection) { return kTokenPrefix + connection; }

// Binds a value to its place: moving a ciphertext to another scope or key breaks the tag.
std::string associatedData(const std::string& scope, const std::string& key) {
  std::string aad = "ferry-secret\n";
  aad += scope;
  aad += '\n';
  aad += key;
  return aad;
}

Error badName(const char* what, const std::string& name) {
  return Error::make(ErrorCode::kInvalidArgument, std::string("invalid ") + what + " name '" +
                                                      name +
                                                      "' (1-128 characters of A-Z a-z 0-9 . _ -)");
}

void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

class VaultSecretStore final : public sdk::SecretStore {
 public:
  VaultSecretStore(Vault& vault, std::string connection, std::string credentialSet)
      : vault_(vault), connection_(std::move(connection)), set_(std::move(credentialSet)) {}

  sdk::Result<std::string> get(std::string_view name) override {
    const std::string n(name);
    auto token = vault_.token(connection_, n);
    if (!token.ok()) return token.takeError();
    if (token->has_value()) return std::move(**token);
    if (!set_.empty()) {
      auto field = vault_.credential(set_, n);
      if (!field.ok()) return field.takeError();
      if (field->has_value()) return std::move(**field);
    }
    return Error::make(ErrorCode::kNotFound,
                       "secret '" + n + "' is not set for connection '" + connection_ + "'" +
                           (set_.empty() ? std::string(" (no credential set configured)")
                                         : " (credential set '" + set_ + "')"));
  }

  sdk::Status put(std::string_view name, std::string_view value) override {
    return vault_.putToken(connection_, std::string(name), std::string(value));
  }

  sdk::Status erase(std::string_view name) override {
    return vault_.eraseToken(connection_, std::string(name));
  }

 private:
  Vault& vault_;
  std::string connection_;
  std::string set_;
};

}  // namespace

bool validSecretName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

Vault::Vault(SecretBackend& backend, const MasterKey& key, std::shared_ptr<Redactor> redactor)
    : backend_(backend),
      cipher_(key),
      redactor_(redactor ? std::move(redactor) : processRedactor()),
      fingerprint_(cipher_.key().fingerprint()) {}

sdk::Result<std::optional<std::string>> Vault::read(const std::string& scope,
                                                    const std::string& key,
                                                    const std::string& what) {
  auto stored = backend_.get(scope, key);
  if (!stored.ok()) return stored.takeError();
  if (!stored->has_value()) return std::optional<std::string>();
  auto plain = cipher_.open(**stored, associatedData(scope, key));
  if (!plain.ok()) {
    auto err = plain.takeError();
    err.message =
        "cannot decrypt " + what + ": " + err.message + " (master key " + fingerprint_ + ")";
    return err;
  }
  redactor_->add(*plain);
  return std::optional<std::string>(std::move(*plain));
}

sdk::Status Vault::write(const std::string& scope, const std::string& key,
                         const std::string& value) {
  redactor_->add(value);
  return backend_.put(scope, key, cipher_.seal(value, associatedData(scope, key)));
}

sdk::Status Vault::writeSet(const std::string& set, const CredentialValues& values, bool replace) {
  if (!validSecretName(set)) return badName("credential set", set);
  for (const auto& [field, value] : values) {
    if (!validSecretName(field)) return badName("credential field", field);
  }
  std::lock_guard lock(writeMutex_);
  const std::string scope = setScope(set);
  if (replace) {
    auto existing = backend_.keys(scope);
    if (!existing.ok()) return existing.takeError();
    for (const auto& field : *existing) {
      if (values.count(field) != 0) continue;
      if (auto st = backend_.erase(scope, field); !st.ok()) return st;
    }
  }
  for (const auto& [field, value] : values) {
    if (auto st = write(scope, field, value); !st.ok()) return st;
  }
  // The index entry is sealed too: nothing in the backend is plaintext.
  return backend_.put(kSetIndexScope, set, cipher_.seal("", associatedData(kSetIndexScope, set)));
}

sdk::Status Vault::putCredentials(const std::string& set, const CredentialValues& values) {
  return writeSet(set, values, true);
}

sdk::Status Vault::updateCredentials(const std::string& set, const CredentialValues& values) {
  return writeSet(set, values, false);
}

sdk::Result<bool> Vault::hasCredentials(const std::string& set) {
  if (!validSecretName(set)) return badName("credential set", set);
  auto marker = backend_.get(kSetIndexScope, set);
  if (!marker.ok()) return marker.takeError();
  return marker->has_value();
}

sdk::Result<std::vector<std::string>> Vault::credentialFields(const std::string& set) {
  auto exists = hasCredentials(set);
  if (!exists.ok()) return exists.takeError();
  if (!*exists) {
    return Error::make(ErrorCode::kNotFound, "credential set '" + set + "' does not exist");
  }
  return backend_.keys(setScope(set));
}

sdk::Result<CredentialValues> Vault::credentials(const std::string& set) {
  auto fields = credentialFields(set);
  if (!fields.ok()) return fields.takeError();
  CredentialValues out;
  for (const auto& field : *fields) {
    auto value =
        read(setScope(set), field, "field '" + field + "' of credential set '" + set + "'");
    if (!value.ok()) return value.takeError();
    if (value->has_value()) out.emplace(field, std::move(**value));
  }
  return out;
}

sdk::Result<std::optional<std::string>> Vault::credential(const std::string& set,
                                                          const std::string& field) {
  if (!validSecretName(set)) return badName("credential set", set);
  if (!validSecretName(field)) return badName("credential field", field);
  return read(setScope(set), field, "field '" + field + "' of credential set '" + set + "'");
}

sdk::Result<std::vector<std::string>> Vault::credentialSets() {
  return backend_.keys(kSetIndexScope);
}

sdk::Status Vault::deleteCredentials(const std::string& set) {
  auto fields = credentialFields(set);
  if (!fields.ok()) return fields.takeError();
  std::lock_guard lock(writeMutex_);
  for (const auto& field : *fields) {
    if (auto st = backend_.erase(setScope(set), field); !st.ok()) return st;
  }
  return backend_.erase(kSetIndexScope, set);
}

sdk::Result<std::optional<std::string>> Vault::token(const std::string& connection,
                                                     const std::string& name) {
  if (!validSecretName(connection)) return badName("connection", connection);
  if (!validSecretName(name)) return badName("secret", name);
  return read(tokenScope(connection), name,
              "token '" + name + "' of connection '" + connection + "'");
}

sdk::Status Vault::putToken(const std::string& connection, const std::string& name,
                            const std::string& value) {
  if (!validSecretName(connection)) return badName("connection", connection);
  if (!validSecretName(name)) return badName("secret", name);
  return write(tokenScope(connection), name, value);
}

sdk::Status Vault::eraseToken(const std::string& connection, const std::string& name) {
  if (!validSecretName(connection)) return badName("connection", connection);
  if (!validSecretName(name)) return badName("secret", name);
  return backend_.erase(tokenScope(connection), name);
}

sdk::Status Vault::clearTokens(const std::string& connection) {
  if (!validSecretName(connection)) return badName("connection", connection);
  auto names = backend_.keys(tokenScope(connection));
  if (!names.ok()) return names.takeError();
  for (const auto& name : *names) {
    if (auto st = backend_.erase(tokenScope(connection), name); !st.ok()) return st;
  }
  return {};
}

std::unique_ptr<sdk::SecretStore> Vault::secretStore(std::string connection,
                                                     std::string credentialSet) {
  return std::make_unique<VaultSecretStore>(*this, std::move(connection), std::move(credentialSet));
}

sdk::Result<std::size_t> Vault::registerCredentialsWithRedactor() {
  auto sets = credentialSets();
  if (!sets.ok()) return sets.takeError();
  std::size_t seen = 0;
  for (const auto& set : *sets) {
    auto values = credentials(set);  // read() registers each value
    if (!values.ok()) return values.takeError();
    seen += values->size();
    for (auto& [field, value] : *values) wipe(value);
  }
  return seen;
}

}  // namespace ferry::host
