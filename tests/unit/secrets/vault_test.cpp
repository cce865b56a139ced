#include "ferry/host/secrets/vault.hpp"

#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "ferry/host/common/logging.hpp"

namespace ferry::host {
namespace {

struct VaultTest : ::testing::Test {
  MemorySecretBackend backend;
  MasterKey key = MasterKey::generate();
  std::shared_ptr<Redactor> redactor = std::make_shared<Redactor>();
  Vault vault{backend, key, redactor};

  const CredentialValues salesforce{{"client_id", "3MVG9-client-id"},
                                    {"client_secret", "S3CR3T-client-secret"},
                                    {"refresh_token", "5Aep-refresh-token"}};

  // True when no stored value contains any of the plaintexts.
  void expectNoPlaintextIn(const std::vector<std::string>& values) {
    for (const auto& [where, stored] : backend.contents()) {
      EXPECT_TRUE(SecretCipher::looksSealed(stored)) << where.first << "/" << where.second;
      for (const auto& v : values) {
        EXPECT_EQ(stored.find(v), std::string::npos) << v << " stored in plaintext";
        EXPECT_EQ(where.second.find(v), std::string::npos);
      }
    }
  }
};

TEST_F(VaultTest, CredentialSetsRoundTrip) {
  ASSERT_TRUE(vault.putCredentials("salesforce-prod", salesforce).ok());
  const auto read = vault.credentials("salesforce-prod");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, salesforce);
  EXPECT_EQ(vault.credentialFields("salesforce-prod").value(),
            (std::vector<std::string>{"client_id", "client_secret", "refresh_token"}));
  EXPECT_EQ(vault.credentialSets().value(), std::vector<std::string>{"salesforce-prod"});
  EXPECT_EQ(vault.credential("salesforce-prod", "client_secret").value(),
            std::optional<std::string>("S3CR3T-client-secret"));
  EXPECT_FALSE(vault.credential("salesforce-prod", "password").value().has_value());
}

TEST_F(VaultTest, NothingReachesTheBackendInPlaintext) {
  ASSERT_TRUE(vault.putCredentials("salesforce-prod", salesforce).ok());
  ASSERT_TRUE(vault.putToken("sf", "access_token", "00D-access-token-value").ok());
  expectNoPlaintextIn(
      {"3MVG9-client-id", "S3CR3T-client-secret", "5Aep-refresh-token", "00D-access-token-value"});
  EXPECT_EQ(backend.contents().size(), 5u);  // 3 fields + set index + 1 token
}

TEST_F(VaultTest, UpdateMergesAndPutReplaces) {
  ASSERT_TRUE(
      vault.putCredentials("ib", {{"api_key", "key-one-1111"}, {"base_url", "https://x"}}).ok());
  ASSERT_TRUE(vault.updateCredentials("ib", {{"api_key", "key-two-2222"}}).ok());
  EXPECT_EQ(vault.credentials("ib").value(),
            (CredentialValues{{"api_key", "key-two-2222"}, {"base_url", "https://x"}}));
  ASSERT_TRUE(vault.putCredentials("ib", {{"api_key", "key-three-3333"}}).ok());
  EXPECT_EQ(vault.credentials("ib").value(), (CredentialValues{{"api_key", "key-three-3333"}}));
}

TEST_F(VaultTest, DeleteRemovesEverythingOfTheSet) {
  ASSERT_TRUE(vault.putCredentials("a", {{"k", "value-aaaa"}}).ok());
  ASSERT_TRUE(vault.putCredentials("b", {{"k", "value-bbbb"}}).ok());
  ASSERT_TRUE(vault.deleteCredentials("a").ok());
  EXPECT_EQ(vault.credentialSets().value(), std::vector<std::string>{"b"});
  const auto gone = vault.credentials("a");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, sdk::ErrorCode::kNotFound);
  EXPECT_EQ(vault.deleteCredentials("a").error().code, sdk::ErrorCode::kNotFound);
  EXPECT_EQ(backend.contents().size(), 2u);
}

TEST_F(VaultTest, ValueMovedToAnotherKeyFailsToOpen) {
  ASSERT_TRUE(vault.putToken("sf", "access_token", "token-for-sf-0001").ok());
  ASSERT_TRUE(vault.putToken("other", "access_token", "token-for-other-2").ok());
  // An attacker with database access copies sf's token into another connection's slot.
  const auto stolen = backend.get("secrets/tokens/sf", "access_token").value().value();
  ASSERT_TRUE(backend.put("secrets/tokens/other", "access_token", stolen).ok());
  const auto read = vault.token("other", "access_token");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, sdk::ErrorCode::kPermissionDenied);
  EXPECT_NE(read.error().message.find("token 'access_token' of connection 'other'"),
            std::string::npos)
      << read.error().message;
  EXPECT_EQ(read.error().message.find("token-for"), std::string::npos);
}

TEST_F(VaultTest, WrongMasterKeyFailsCleanly) {
  ASSERT_TRUE(vault.putCredentials("sf", salesforce).ok());
  Vault other(backend, MasterKey::generate(), redactor);
  const auto read = other.credentials("sf");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, sdk::ErrorCode::kPermissionDenied);
  EXPECT_NE(read.error().message.find("master key " + other.keyFingerprint()), std::string::npos);
  for (const auto& [field, value] : salesforce) {
    EXPECT_EQ(read.error().message.find(value), std::string::npos);
  }
}

TEST_F(VaultTest, InvalidNamesAreRejected) {
  EXPECT_EQ(vault.putCredentials("", {{"a", "b"}}).error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(vault.putCredentials("a/b", {{"a", "b"}}).error().code,
            sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(vault.putCredentials("ok", {{"bad field", "b"}}).error().code,
            sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(vault.putToken("conn\n", "t", "v").error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(backend.contents().empty());
}

TEST_F(VaultTest, SecretStoreReadsTokensThenCredentialsAndWritesTokensOnly) {
  ASSERT_TRUE(vault.putCredentials("salesforce-prod", salesforce).ok());
  auto store = vault.secretStore("sf-prod", "salesforce-prod");
  EXPECT_EQ(store->get("client_secret").value(), "S3CR3T-client-secret");
  // A connector rotating the refresh token shadows the operator's value for this connection...
  ASSERT_TRUE(store->put("refresh_token", "rotated-refresh-token").ok());
  EXPECT_EQ(store->get("refresh_token").value(), "rotated-refresh-token");
  // ...without touching the credential set itself.
  EXPECT_EQ(vault.credential("salesforce-prod", "refresh_token").value(),
            std::optional<std::string>("5Aep-refresh-token"));
  ASSERT_TRUE(store->erase("refresh_token").ok());
  EXPECT_EQ(store->get("refresh_token").value(), "5Aep-refresh-token");
  ASSERT_TRUE(store->erase("client_secret").ok());  // only tokens are erasable: a no-op here
  EXPECT_EQ(store->get("client_secret").value(), "S3CR3T-client-secret");

  const auto missing = store->get("password");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, sdk::ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("'password'"), std::string::npos);
  EXPECT_NE(missing.error().message.find("'sf-prod'"), std::string::npos);

  auto noSet = vault.secretStore("jsonl", "");
  EXPECT_EQ(noSet->get("anything").error().code, sdk::ErrorCode::kNotFound);
}

TEST_F(VaultTest, TokensAreScopedPerConnectionAndClearable) {
  ASSERT_TRUE(vault.putToken("a", "access_token", "token-a-1234").ok());
  ASSERT_TRUE(vault.putToken("a", "instance_url", "https://a.example").ok());
  ASSERT_TRUE(vault.putToken("b", "access_token", "token-b-5678").ok());
  EXPECT_EQ(vault.token("b", "access_token").value(), std::optional<std::string>("token-b-5678"));
  ASSERT_TRUE(vault.clearTokens("a").ok());
  EXPECT_FALSE(vault.token("a", "access_token").value().has_value());
  EXPECT_FALSE(vault.token("a", "instance_url").value().has_value());
  EXPECT_TRUE(vault.token("b", "access_token").value().has_value());
}

TEST_F(VaultTest, ValuesAreRedactedFromLogsOnceTheVaultHasSeenThem) {
  ASSERT_TRUE(vault.putCredentials("sf", salesforce).ok());
  // A fresh process: a new redactor, primed from the stored credentials at start-up.
  auto fresh = std::make_shared<Redactor>();
  Vault restarted(backend, key, fresh);
  EXPECT_EQ(restarted.registerCredentialsWithRedactor().value(), 3u);
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "t", std::make_shared<RedactingSink>(std::make_shared<spdlog::sinks::ostream_sink_mt>(out),
                                           LogFormat::kJson, fresh));
  logger->error("token refresh failed for client_secret=S3CR3T-client-secret body={}",
                "refresh_token=5Aep-refresh-token");
  EXPECT_EQ(out.str().find("S3CR3T"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("5Aep-refresh"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("client_secret=***"), std::string::npos) << out.str();
  // Tokens written through a SecretStore are registered too.
  auto store = restarted.secretStore("sf", "sf");
  ASSERT_TRUE(store->put("access_token", "fresh-access-token-99").ok());
  EXPECT_TRUE(fresh->contains("fresh-access-token-99"));
}

}  // namespace
}  // namespace ferry::host
