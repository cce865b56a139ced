// Every OAuth flow against the sandbox, token expiry mid-run, and re-authorisation status.
#include <sstream>

#include <Poco/Crypto/RSAKey.h>

#include "ferry/plugins/salesforce/oauth.hpp"
#include "ferry/plugins/salesforce/oauth_helper.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

using sdk::ConnectionHealth;
using sdk::ErrorCode;

class SandboxAuthTest : public SandboxTest {
 protected:
  // Step 1 of the web-server flow as a browser would do it: the authorize URL redirects to the
  // callback with ?code=...&state=...
  std::string authorizeCode(SalesforceConnector& c, const std::string& redirect,
                            const std::string& state) {
    auto url = c.authorizationUrl(redirect, state);
    EXPECT_TRUE(url) << url.error().message;
    sdk::HttpRequest request;
    request.url = *url;
    auto response = http_->send(request);
    EXPECT_TRUE(response);
    EXPECT_EQ(response->status, 302) << response->body;
    const auto* location = response->header("Location");
    EXPECT_NE(location, nullptr);
    if (location == nullptr) return {};
    EXPECT_EQ(location->rfind(redirect, 0), 0u);
    EXPECT_NE(location->find("state=" + state), std::string::npos);
    const auto at = location->find("code=");
    EXPECT_NE(at, std::string::npos);
    auto end = location->find('&', at);
    return location->substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
  }
};

TEST_F(SandboxAuthTest, PasswordFlow) {
  auto c = connect();
  auto d = c->describe();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->size(), 3u);
  EXPECT_EQ(*host_.secrets.get("instance_url"), baseUrl());
  EXPECT_FALSE(host_.secrets.get("access_token")->empty());
}

TEST_F(SandboxAuthTest, WebServerFlowThenRefreshTokenFlow) {
  auto c = connect({{"auth_method", "web_server"}});
  // Not authorised yet: a clear status, no crash, nothing sent to the data API.
  auto early = c->describeObject("Contact");
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(early.error().message.find("web-server flow"), std::string::npos);
  EXPECT_EQ(host_.healthReports().back().health, ConnectionHealth::kNeedsReauthorization);

  const std::string redirect = "https://ferry.example.com/oauth/callback";
  const std::string code = authorizeCode(*c, redirect, "csrf-123");
  ASSERT_FALSE(code.empty());
  ASSERT_TRUE(c->exchangeAuthorizationCode(code, redirect));
  EXPECT_FALSE(host_.secrets.get("refresh_token")->empty());
  EXPECT_EQ(host_.healthReports().back().health, ConnectionHealth::kOk);
  ASSERT_TRUE(c->describeObject("Contact"));
  // A code is single-use.
  EXPECT_FALSE(c->exchangeAuthorizationCode(code, redirect));

  // The stored refresh token serves the refresh_token flow after the access token is gone.
  (void)host_.secrets.erase("access_token");
  auto r = connect({{"auth_method", "refresh_token"}});
  ASSERT_TRUE(r->describeObject("Lead")) << "refresh flow";
  EXPECT_GE(calls("POST /services/oauth2/token"), 3u);
}

TEST_F(SandboxAuthTest, ExportedOAuthHelperExchangesCode) {
  auto c = connect({{"auth_method", "web_server"}});
  const std::string redirect = "https://ferry.example.com/cb";
  const std::string code = authorizeCode(*c, redirect, "s1");
  const OAuthHelper* helper = oauthHelper();
  ASSERT_EQ(helper->abiVersion, sdk::kAbiVersion);
  auto url = helper->authorizeUrl(*contexts_.back(), redirect, "s2");
  ASSERT_TRUE(url);
  EXPECT_NE(url->find("scope=api%20refresh_token%20offline_access"), std::string::npos);
  ASSERT_TRUE(helper->exchangeCode(*contexts_.back(), code, redirect));
  EXPECT_FALSE(host_.secrets.get("refresh_token")->empty());
}

TEST_F(SandboxAuthTest, ClientCredentialsFlow) {
  auto c = connect({{"auth_method", "client_credentials"}});
  ASSERT_TRUE(c->describeObject("Contact"));
  EXPECT_EQ(calls("POST /services/oauth2/token"), 1u);
}

TEST_F(SandboxAuthTest, JwtBearerFlow) {
  Poco::Crypto::RSAKey key(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::ostringstream pub, priv;
  key.save(&pub, &priv);
  auto options = sfOptions_;
  options.jwtCertificatePem = pub.str();
  startSandbox(options);
  (void)host_.secrets.put("private_key", priv.str());
  auto c = connect({{"auth_method", "jwt_bearer"}});
  ASSERT_TRUE(c->describeObject("Contact"));

  // A key whose certificate is not uploaded is refused: re-authorisation needed.
  Poco::Crypto::RSAKey other(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::ostringstream otherPub, otherPriv;
  other.save(&otherPub, &otherPriv);
  (void)host_.secrets.put("private_key", otherPriv.str());
  (void)host_.secrets.erase("access_token");
  auto bad = connect({{"auth_method", "jwt_bearer"}});
  auto d = bad->describeObject("Lead");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(d.error().message.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(SandboxAuthTest, TokenExpiryMidRunRefreshesAndLosesNothing) {
  admin("POST", "seed", R"({"Contact":900})");
  auto c = connect({{"page_size", 200}});
  auto first = c->read(sdk::ReadRequest{"Contact", "", 200, {"Email"}, {}});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->hasMore);
  const auto tokensBefore = calls("POST /services/oauth2/token");
  admin("POST", "expire-tokens");
  auto rest = readAll(*c, "Contact", first->nextCursor, {"Email"}, 200);
  auto all = ids(first->changes);
  for (const auto& id : ids(rest.changes)) all.insert(id);
  EXPECT_EQ(all.size(), 900u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 900u);  // no repeats
  EXPECT_EQ(calls("POST /services/oauth2/token"), tokensBefore + 1);      // refreshed once
}

TEST_F(SandboxAuthTest, RefusedRefreshPausesWithNeedsReauthorization) {
  auto c = connect({{"auth_method", "password"}});
  ASSERT_TRUE(c->describeObject("Contact"));
  (void)host_.secrets.put("password", "changed-by-someone");
  admin("POST", "expire-tokens");
  auto r = c->read(sdk::ReadRequest{"Contact", "", 2000, {"Email"}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(r.error().retriable);
  EXPECT_EQ(host_.healthReports().back().health, ConnectionHealth::kNeedsReauthorization);
  EXPECT_EQ(r.error().message.find("changed-by-someone"), std::string::npos);
  EXPECT_FALSE(host_.logger.contains("changed-by-someone"));
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
