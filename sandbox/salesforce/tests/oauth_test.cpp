#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "test_support.hpp"

namespace ferry::sandbox::salesforce::testing {
namespace {

std::string base64(const unsigned char* data, size_t size, bool url) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, url ? Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING : 0);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  encoder.close();
  return out.str();
}

std::string queryValue(const std::string& url, const std::string& name) {
  Poco::URI uri(url);
  for (const auto& [key, value] : uri.getQueryParameters())
    if (key == name) return value;
  return "";
}

class OAuthTest : public SalesforceTest {
 protected:
  Reply authorize(const std::string& extra) {
    return call(
        "GET", "/services/oauth2/authorize?response_type=code&client_id=" + enc(options_.clientId) +
                   "&redirect_uri=" + enc("https://app.example/cb") + extra);
  }
  std::string codeFrom(const Reply& reply) { return queryValue(reply.header("Location"), "code"); }
};

TEST_F(OAuthTest, PasswordGrantReturnsTheReferenceFields) {
  Reply reply =
      form("/services/oauth2/token", "grant_type=password&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret) +
                                         "&username=" + enc(options_.username) +
                                         "&password=" + enc(options_.password));
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto json = reply.object();
  EXPECT_EQ(json->getValue<std::string>("issued_at"), std::to_string(kStart));  // ms, as a string
  EXPECT_TRUE(json->get("issued_at").isString());
  EXPECT_EQ(json->getValue<std::string>("instance_url"), server_->baseUrl());
  EXPECT_EQ(json->getValue<std::string>("token_type"), "Bearer");
  EXPECT_FALSE(json->has("expires_in"));
  EXPECT_FALSE(json->has("refresh_token"));
  std::string id = json->getValue<std::string>("id");
  EXPECT_NE(id.find("/id/00D"), std::string::npos);
  // signature = Base64(HMAC-SHA256(client_secret, id + issued_at))
  std::string message = id + json->getValue<std::string>("issued_at");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), options_.clientSecret.data(), static_cast<int>(options_.clientSecret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  EXPECT_EQ(json->getValue<std::string>("signature"), base64(digest, length, false));
  EXPECT_EQ(reply.header("Sforce-Limit-Info"), "");  // OAuth responses carry no API usage
}

TEST_F(OAuthTest, BadPasswordAndWrongContentTypeAreRejected) {
  Reply bad =
      form("/services/oauth2/token", "grant_type=password&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret) +
                                         "&username=" + enc(options_.username) + "&password=nope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.object()->getValue<std::string>("error"), "invalid_grant");
  Reply json = call("POST", "/services/oauth2/token", R"({"grant_type":"password"})");
  EXPECT_EQ(json.status, 400);
  EXPECT_EQ(json.object()->getValue<std::string>("error"), "invalid_request");
  Reply grant = form("/services/oauth2/token", "grant_type=magic");
  EXPECT_EQ(grant.object()->getValue<std::string>("error"), "unsupported_grant_type");
  EXPECT_EQ(call("GET", "/services/oauth2/token").status, 405);
}

TEST_F(OAuthTest, AuthorizeRedirectsWithCodeAndStateAndTheCodeIsSingleUse) {
  Reply redirect = authorize("&state=" + enc("xyz 1") + "&scope=" + enc("api refresh_token"));
  ASSERT_EQ(redirect.status, 302) << redirect.body;
  EXPECT_EQ(redirect.header("Location").rfind("https://app.example/cb?code=", 0), 0u);
  EXPECT_EQ(queryValue(redirect.header("Location"), "state"), "xyz 1");
  std::string code = codeFrom(redirect);
  std::string exchange = "grant_type=authorization_code&code=" + enc(code) +
                         "&client_id=" + enc(options_.clientId) +
                         "&client_secret=" + enc(options_.clientSecret) +
                         "&redirect_uri=" + enc("https://app.example/cb");
  Reply first = form("/services/oauth2/token", exchange);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(first.object()->has("refresh_token"));
  EXPECT_EQ(first.object()->getValue<std::string>("scope"), "api refresh_token");
  Reply again = form("/services/oauth2/token", exchange);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.object()->getValue<std::string>("error"), "invalid_grant");
}

TEST_F(OAuthTest, AuthorizeErrors) {
  Reply badClient =
      call("GET", "/services/oauth2/authorize?response_type=code&client_id=nope&redirect_uri=x");
  EXPECT_EQ(badClient.status, 400);
  EXPECT_EQ(badClient.object()->getValue<std::string>("error"), "invalid_client_id");
  Reply wrongType = call(
      "GET", "/services/oauth2/authorize?response_type=token&client_id=" + enc(options_.clientId) +
                 "&redirect_uri=" + enc("https://app.example/cb") + "&state=s");
  ASSERT_EQ(wrongType.status, 302);
  EXPECT_EQ(queryValue(wrongType.header("Location"), "error"), "unsupported_response_type");
  EXPECT_EQ(queryValue(wrongType.header("Location"), "state"), "s");
  // The code is bound to its redirect_uri.
  std::string code = codeFrom(authorize(""));
  Reply mismatch =
      form("/services/oauth2/token", "grant_type=authorization_code&code=" + enc(code) +
                                         "&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret) +
                                         "&redirect_uri=" + enc("https://evil.example/cb"));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.object()->getValue<std::string>("error"), "redirect_uri_mismatch");
}

TEST_F(OAuthTest, PkceVerifierIsChecked) {
  std::string verifier = "a-verifier-that-is-long-enough-0123456789-abcdefghijkl";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  std::string challenge = base64(digest, sizeof digest, true);
  auto exchange = [&](const std::string& code, const std::string& extra) {
    return form("/services/oauth2/token", "grant_type=authorization_code&code=" + enc(code) +
                                              "&client_id=" + enc(options_.clientId) +
                                              "&redirect_uri=" + enc("https://app.example/cb") +
                                              extra);
  };
  std::string code = codeFrom(authorize("&code_challenge=" + challenge));
  Reply wrong = exchange(code, "&code_verifier=wrong");
  EXPECT_EQ(wrong.object()->getValue<std::string>("error"), "invalid_request");
  code = codeFrom(authorize("&code_challenge=" + challenge));
  Reply missing = exchange(code, "");
  EXPECT_EQ(missing.object()->getValue<std::string>("error"), "invalid_grant");
  code = codeFrom(authorize("&code_challenge=" + challenge));
  Reply good = exchange(code, "&code_verifier=" + enc(verifier));  // no secret needed with PKCE
  EXPECT_EQ(good.status, 200) << good.body;
}

TEST_F(OAuthTest, ExpiredTokenGets401ThenRefreshWorks) {
  std::string code = codeFrom(authorize(""));
  Reply tokens =
      form("/services/oauth2/token", "grant_type=authorization_code&code=" + enc(code) +
                                         "&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret) +
                                         "&redirect_uri=" + enc("https://app.example/cb"));
  token_ = tokens.object()->getValue<std::string>("access_token");
  std::string refresh = tokens.object()->getValue<std::string>("refresh_token");
  EXPECT_EQ(api("GET", "/limits").status, 200);
  advance(options_.tokenTtlSeconds * 1000);
  Reply expired = api("GET", "/limits");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body,
            R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  Reply refreshed =
      form("/services/oauth2/token", "grant_type=refresh_token&refresh_token=" + enc(refresh) +
                                         "&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_FALSE(refreshed.object()->has("refresh_token"));
  EXPECT_EQ(refreshed.object()->getValue<std::string>("issued_at"), std::to_string(clock_.load()));
  token_ = refreshed.object()->getValue<std::string>("access_token");
  EXPECT_EQ(api("GET", "/limits").status, 200);
}

TEST_F(OAuthTest, RevokingTheRefreshTokenKillsItsAccessTokens) {
  std::string code = codeFrom(authorize(""));
  Reply tokens =
      form("/services/oauth2/token", "grant_type=authorization_code&code=" + enc(code) +
                                         "&client_id=" + enc(options_.clientId) +
                                         "&client_secret=" + enc(options_.clientSecret) +
                                         "&redirect_uri=" + enc("https://app.example/cb"));
  token_ = tokens.object()->getValue<std::string>("access_token");
  std::string refresh = tokens.object()->getValue<std::string>("refresh_token");
  EXPECT_EQ(form("/services/oauth2/revoke", "token=" + enc(refresh)).status, 200);
  EXPECT_EQ(api("GET", "/limits").status, 401);
  Reply again =
      form("/services/oauth2/token", "grant_type=refresh_token&refresh_token=" + enc(refresh) +
                                         "&client_id=" + enc(options_.clientId));
  EXPECT_EQ(again.object()->getValue<std::string>("error"), "invalid_grant");
  Reply unknown = form("/services/oauth2/revoke", "token=nope");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.object()->getValue<std::string>("error"), "invalid_token");
}

TEST_F(OAuthTest, ClientCredentialsAndBasicAuth) {
  Reply ok = form("/services/oauth2/token",
                  "grant_type=client_credentials&client_id=" + enc(options_.clientId) +
                      "&client_secret=" + enc(options_.clientSecret));
  ASSERT_EQ(ok.status, 200);
  EXPECT_FALSE(ok.object()->has("refresh_token"));
  std::string basic = base64(reinterpret_cast<const unsigned char*>(
                                 (options_.clientId + ":" + options_.clientSecret).data()),
                             options_.clientId.size() + 1 + options_.clientSecret.size(), false);
  Reply viaBasic = call(
      "POST", "/services/oauth2/token", "grant_type=client_credentials",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", "Basic " + basic}});
  EXPECT_EQ(viaBasic.status, 200) << viaBasic.body;
  Reply bad = form("/services/oauth2/token", "grant_type=client_credentials&client_id=" +
                                                 enc(options_.clientId) + "&client_secret=wrong");
  EXPECT_EQ(bad.object()->getValue<std::string>("error"), "invalid_client");
}

TEST_F(OAuthTest, ForcedExpiryKnob) {
  EXPECT_EQ(api("GET", "/limits").status, 200);
  EXPECT_EQ(call("POST", "/__sandbox/expire-tokens").status, 200);
  EXPECT_EQ(api("GET", "/limits").status, 401);
}

class JwtTest : public OAuthTest {
 protected:
  void SetUp() override {
    key_ = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
    std::ostringstream publicKey;
    key_->save(&publicKey);
    SalesforceOptions options;
    options.jwtCertificatePem = publicKey.str();
    start(options);
  }

  std::string assertion(Poco::SharedPtr<Poco::Crypto::RSAKey> key, int64_t expiresInSeconds,
                        const std::string& audience = "https://login.salesforce.com") {
    Poco::JWT::Token token;
    token.setIssuer(options_.clientId);
    token.setSubject(options_.username);
    token.setAudience(audience);
    token.setExpiration(Poco::Timestamp((clock_.load() + expiresInSeconds * 1000) * 1000));
    Poco::JWT::Signer signer(key);
    return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
  }

  Reply exchange(const std::string& jwt) {
    return form("/services/oauth2/token",
                "grant_type=" + enc("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                    "&assertion=" + enc(jwt));
  }

  Poco::SharedPtr<Poco::Crypto::RSAKey> key_;
};

TEST_F(JwtTest, ValidAssertionIsAccepted) {
  Reply reply = exchange(assertion(key_, 180));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_FALSE(reply.object()->has("refresh_token"));
  token_ = reply.object()->getValue<std::string>("access_token");
  EXPECT_EQ(api("GET", "/limits").status, 200);
}

TEST_F(JwtTest, WrongKeyExpiredAndWrongAudienceAreRejected) {
  Poco::SharedPtr<Poco::Crypto::RSAKey> other =
      new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  EXPECT_EQ(exchange(assertion(other, 180)).object()->getValue<std::string>("error"),
            "invalid_grant");
  EXPECT_EQ(exchange(assertion(key_, -10)).object()->getValue<std::string>("error"),
            "invalid_grant");
  EXPECT_EQ(exchange(assertion(key_, 180, "https://elsewhere.example"))
                .object()
                ->getValue<std::string>("error"),
            "invalid_grant");
  Poco::JWT::Token hs;
  hs.setIssuer(options_.clientId);
  hs.setSubject(options_.username);
  Poco::JWT::Signer hmac("shared-secret");
  EXPECT_EQ(exchange(hmac.sign(hs, Poco::JWT::Signer::ALGO_HS256)).status, 400);
  EXPECT_EQ(exchange("not.a.jwt").status, 400);
}

// Connected apps hold an X.509 certificate, not a bare key: a self-signed one made with OpenSSL.
TEST_F(JwtTest, CertificateIsAcceptedAsTheVerificationKey) {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  ASSERT_TRUE(pkey);
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
  X509_set_pubkey(certificate, pkey);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ferry-test"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  ASSERT_GT(X509_sign(certificate, pkey, EVP_sha256()), 0);
  auto toPem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(bio);
    return pem;
  };
  std::string certificatePem = toPem([&](BIO* bio) { PEM_write_bio_X509(bio, certificate); });
  std::string privatePem = toPem([&](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(certificate);
  EVP_PKEY_free(pkey);

  SalesforceOptions options;
  options.jwtCertificatePem = certificatePem;
  start(options);
  std::istringstream privateStream(privatePem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> signingKey =
      new Poco::Crypto::RSAKey(nullptr, &privateStream);
  Reply reply = exchange(assertion(signingKey, 180));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(exchange(assertion(key_, 180)).status, 400);  // a different key than the certificate's
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
