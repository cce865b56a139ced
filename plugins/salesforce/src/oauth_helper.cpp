// OAuth helper functions behind the exported `ferry_oauth_helper` alias.
#include "ferry/plugins/salesforce/oauth_helper.hpp"

#include "ferry/plugins/salesforce/session.hpp"
#include "ferry/sdk/version.hpp"

namespace ferry::plugins::salesforce {

namespace {

sdk::Result<std::string> helperAuthorizeUrl(const sdk::HostContext& context,
                                            const std::string& redirectUri,
                                            const std::string& state) {
  return sdk::guard("salesforce authorizeUrl", [&]() -> sdk::Result<std::string> {
    auto settings = parseSettings(context.settings);
    if (!settings) return settings.takeError();
    Session session(context, std::move(*settings));
    return session.authorizeUrl(redirectUri, state);
  });
}

sdk::Status helperExchangeCode(const sdk::HostContext& context, const std::string& code,
                               const std::string& redirectUri) {
  return sdk::guard("salesforce exchangeCode", [&]() -> sdk::Status {
    auto settings = parseSettings(context.settings);
    if (!settings) return settings.takeError();
    Session session(context, std::move(*settings));
    session.open();
    return session.exchangeCode(code, redirectUri);
  });
}

}  // namespace

const OAuthHelper* oauthHelper() {
  static const OAuthHelper helper{sdk::kAbiVersion, &helperAuthorizeUrl, &helperExchangeCode};
  return &helper;
}

}  // namespace ferry::plugins::salesforce
