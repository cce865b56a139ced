// The vault over the real state store (SQLite): what operators run.
#include <gtest/gtest.h>

#include <Poco/TemporaryFile.h>

#include "ferry/host/secrets/vault.hpp"
#include "ferry/host/state/store.hpp"

namespace ferry::host {
namespace {

TEST(StateStoreSecretBackend, VaultPersistsEncryptedValuesInTheStateStore) {
  Poco::TemporaryFile db;
  const MasterKey key = MasterKey::generate();
  {
    auto store = openStateStore("sqlite://" + db.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    StateStoreSecretBackend backend(**store);
    Vault vault(backend, key, std::make_shared<Redactor>());
    ASSERT_TRUE(vault.putCredentials("people-prod", {{"api_key", "App 0123456789abcdef"}}).ok());
    ASSERT_TRUE(vault.putToken("people", "webhook_secret", "whsec-abcdef").ok());
    // What the database holds is sealed.
    const auto raw = (*store)->kvGet("secrets/credentials/people-prod", "api_key");
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw->has_value());
    EXPECT_TRUE(SecretCipher::looksSealed(**raw));
    EXPECT_EQ(raw->value().find("0123456789abcdef"), std::string::npos);
  }
  // Reopened (a restart): the same key reads everything back.
  auto store = openStateStore("sqlite://" + db.path());
  ASSERT_TRUE(store.ok());
  StateStoreSecretBackend backend(**store);
  Vault vault(backend, key, std::make_shared<Redactor>());
  EXPECT_EQ(vault.credentialSets().value(), std::vector<std::string>{"people-prod"});
  auto secrets = vault.secretStore("people", "people-prod");
  EXPECT_EQ(secrets->get("api_key").value(), "App 0123456789abcdef");
  EXPECT_EQ(secrets->get("webhook_secret").value(), "whsec-abcdef");
  ASSERT_TRUE(vault.deleteCredentials("people-prod").ok());
  EXPECT_TRUE(vault.credentialSets().value().empty());
}

}  // namespace
}  // namespace ferry::host
