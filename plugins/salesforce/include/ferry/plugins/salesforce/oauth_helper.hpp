// The OAuth web-server flow entry points the admin API calls, exported from the plugin library
// next to the descriptor (the SDK's Connector interface has no OAuth role):
//
//   auto helper = boost::dll::import_alias<ferry::plugins::salesforce::OAuthHelperFn>(
//       library, ferry::plugins::salesforce::kOAuthHelperSymbol);
//   const auto* h = (*helper)();
//   if (h->abiVersion != ferry::sdk::kAbiVersion) ...;
//   auto url = h->authorizeUrl(context, "https://ferry.example.com/oauth/callback", state);
//   ... browser consents, the callback receives ?code=...&state=... (check state first) ...
//   auto status = h->exchangeCode(context, code, "https://ferry.example.com/oauth/callback");
//
// `context` is the connection's HostContext (settings, HTTP client, secret store, ...); the
// exchange stores access_token, refresh_token and instance_url in its SecretStore, where the
// connector picks them up. Neither call throws.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/sdk/host.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/version.hpp"

namespace ferry::plugins::salesforce {

struct OAuthHelper {
  std::uint32_t abiVersion;  // ferry::sdk::kAbiVersion of the plugin; check before use
  sdk::Result<std::string> (*authorizeUrl)(const sdk::HostContext& context,
                                           const std::string& redirectUri,
                                           const std::string& state);
  sdk::Status (*exchangeCode)(const sdk::HostContext& context, const std::string& code,
                              const std::string& redirectUri);
};

inline constexpr const char* kOAuthHelperSymbol = "ferry_oauth_helper";
using OAuthHelperFn = const OAuthHelper*();

// The helper as compiled into this library (what the exported alias returns).
const OAuthHelper* oauthHelper();

}  // namespace ferry::plugins::salesforce
