// Connection files the `ferry serve` tests deploy against the sandboxes running in the test
// process. Header-only.
#pragma once

#include <string>

namespace ferry::testing {

// The `salesforce` connection: client-credentials OAuth with client_id and client_secret from the
// `salesforce` credentials (stored through the admin API), and the login URL from the environment
// variable `loginUrlVariable`, which the test sets to the sandbox's address when it starts ferry.
inline std::string salesforceSandboxConnection(const std::string& loginUrlVariable) {
  return "connection: salesforce\n"
         "plugin: salesforce\n"
         "credentials: salesforce\n"
         "settings:\n"
         "  login_url: ${" +
         loginUrlVariable +
         "}\n"
         "  auth_method: client_credentials\n"
         "  client_id: { secret: client_id }\n"
         "  client_secret: { secret: client_secret }\n";
}

}  // namespace ferry::testing
