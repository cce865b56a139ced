// OAuth bodies, authorize URL, token responses and the RS256 assertion (verified with the
// matching public key).
#include <gtest/gtest.h>

#include <sstream>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "ferry/plugins/salesforce/oauth.hpp"

namespace ferry::plugins::salesforce {
namespace {

TEST(OAuth, TokenResponseFromReference) {
  auto t = parseTokenResponse(
      R"({ "access_token": "00D5g000004XyZa!AQ0AQH3kqT5", "refresh_token": "5Aep861TSESvWeug",
    "signature": "KJ6m0oLDc3bY1nV0mQZq5jz7V1k6a6b1Qm2yXo0pP9s=", "scope": "refresh_token api",
    "instance_url": "https://acme.my.salesforce.com/", "token_type": "Bearer", "issued_at": "1709647629000",
    "id": "https://login.salesforce.com/id/00D5g000004XyZaEAK/0055g00000AbCdEAAV" })");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->accessToken, "00D5g000004XyZa!AQ0AQH3kqT5");
  EXPECT_EQ(t->refreshToken, "5Aep861TSESvWeug");
  EXPECT_EQ(t->instanceUrl, "https://acme.my.salesforce.com");
  EXPECT_EQ(t->issuedAtMs, 1709647629000);
  EXPECT_FALSE(parseTokenResponse(R"({"access_token":"x"})"));  // no instance_url
  EXPECT_FALSE(parseTokenResponse(R"({"access_token":"x","instance_url":"javascript:1"})"));
  EXPECT_FALSE(parseTokenResponse("{"));
}

TEST(OAuth, SignatureVerifiesWithTheClientSecret) {
  // HMAC-SHA256("https://login.salesforce.com/id/00Dx/005x" + "1709647629000", key "secret"),
  // Base64: computed independently with `openssl dgst -sha256 -hmac secret -binary | base64`.
  TokenResponse t;
  t.identityUrl = "https://login.salesforce.com/id/00Dx/005x";
  t.issuedAt = "1709647629000";
  t.signature = "RvVLjjgRTr/nzLtQwTJCJez2siBOKqGUr4s3HE1QI98=";
  EXPECT_TRUE(signatureValid(t, "secret"));
  EXPECT_FALSE(signatureValid(t, "other-secret"));
  t.issuedAt = "1709647629001";
  EXPECT_FALSE(signatureValid(t, "secret"));
  t.signature.clear();
  EXPECT_FALSE(signatureValid(t, "secret"));
}

TEST(OAuth, TokenErrorsNeverEchoSecrets) {
  const auto e = tokenError(
      400, R"({"error":"invalid_grant","error_description":"expired access/refresh token"})");
  EXPECT_EQ(e.code, sdk::ErrorCode::kUnauthenticated);
  EXPECT_EQ(e.remoteCode, "invalid_grant");
  EXPECT_NE(e.message.find("expired access/refresh token"), std::string::npos);
  const auto busy = tokenError(503, "");
  EXPECT_EQ(busy.code, sdk::ErrorCode::kUnavailable);
  EXPECT_TRUE(busy.retriable);
}

TEST(OAuth, Bodies) {
  EXPECT_EQ(refreshTokenBody("5Aep/861", "3MVG9", "F00"),
            "grant_type=refresh_token&refresh_token=5Aep%2F861&client_id=3MVG9&client_secret=F00");
  EXPECT_EQ(refreshTokenBody("r", "c", ""), "grant_type=refresh_token&refresh_token=r&client_id=c");
  EXPECT_EQ(clientCredentialsBody("c", "s"),
            "grant_type=client_credentials&client_id=c&client_secret=s");
  EXPECT_EQ(authorizationCodeBody("aPrx", "c", "s", "https://x.example.com/cb"),
            "grant_type=authorization_code&code=aPrx&client_id=c&client_secret=s&redirect_uri="
            "https%3A%2F%2Fx.example.com%2Fcb");
  EXPECT_EQ(jwtBearerBody("a.b.c"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
  EXPECT_NE(passwordBody("u@x.com", "pw+tok", "c", "s").find("password=pw%2Btok"),
            std::string::npos);
}

TEST(OAuth, AuthorizeUrl) {
  EXPECT_EQ(
      authorizeUrl("https://login.salesforce.com", "3MVG9", "https://x.example.com/cb", "st8"),
      "https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id="
      "3MVG9&redirect_uri=https%3A%2F%2Fx.example.com%2Fcb&scope=api%20refresh_token%20"
      "offline_access&state=st8");
}

TEST(OAuth, JwtAssertionVerifiesWithPublicKey) {
  Poco::Crypto::RSAKey generated(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::ostringstream pub, priv;
  generated.save(&pub, &priv);
  const std::int64_t now = 1'709'647'629'000;
  auto jwt = jwtAssertion("3MVG9", "integration@acme.com", "https://login.salesforce.com",
                          priv.str(), now);
  ASSERT_TRUE(jwt) << jwt.error().message;

  std::istringstream pubIn(pub.str());
  Poco::SharedPtr<Poco::Crypto::RSAKey> verifyKey(new Poco::Crypto::RSAKey(&pubIn));
  Poco::JWT::Signer verifier(verifyKey);
  verifier.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  const Poco::JWT::Token token = verifier.verify(*jwt);
  EXPECT_EQ(token.getIssuer(), "3MVG9");
  EXPECT_EQ(token.getSubject(), "integration@acme.com");
  EXPECT_EQ(token.getAudience(), std::vector<std::string>{"https://login.salesforce.com"});
  EXPECT_EQ(token.getExpiration().epochTime(), now / 1000 + 180);
  EXPECT_EQ(token.getAlgorithm(), "RS256");
}

TEST(OAuth, BadKeyIsAClearErrorWithoutTheKey) {
  auto jwt = jwtAssertion("c", "u", "https://login.salesforce.com", "-----BEGIN nonsense", 0);
  ASSERT_FALSE(jwt);
  EXPECT_EQ(jwt.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_EQ(jwt.error().message.find("nonsense"), std::string::npos);
}

}  // namespace
}  // namespace ferry::plugins::salesforce
