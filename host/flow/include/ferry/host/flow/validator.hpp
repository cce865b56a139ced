// Checks flow and connection specs against connector schemas and compiles them: all problems are
// reported at once, each at its file:line:column. A FlowDef comes back only when there were no
// errors (warnings do not block).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/flow.hpp"
#include "ferry/host/flow/parser.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/host/flow/spec.hpp"

namespace ferry::host {

// Connections a flow may name.
class ConnectionSet {
 public:
  void add(ConnectionDef connection);  // replaces one of the same name
  const ConnectionDef* find(std::string_view name) const noexcept;
  std::vector<std::string> names() const;
  const std::vector<ConnectionDef>& all() const noexcept { return items_; }

 private:
  std::vector<ConnectionDef> items_;
};

// A secretRef setting given as ${NAME} names the secret "env.NAME": the host's secret store
// for the connection answers it from environment variable NAME.
inline constexpr std::string_view kEnvSecretPrefix = "env.";

// Validates a connection spec against its plugin's settings schema: ${ENV} references first (an
// unset variable is an error naming it), then the plugins module's validateSettings (unknown and
// missing settings, kinds, enum words, URLs, durations; defaults filled in, durations in ms).
// A secretRef setting must be a reference, never the secret: `{ secret: name }` (a field of the
// connection's credential set) or `${NAME}` (see kEnvSecretPrefix); a literal is an error.
std::optional<ConnectionDef> resolveConnection(const ConnectionSpec& spec,
                                               const SchemaProvider& provider, const EnvLookup& env,
                                               Diagnostics& diags);
std::optional<ConnectionDef> loadConnection(std::string_view text, const std::string& file,
                                            const SchemaProvider& provider, const EnvLookup& env,
                                            Diagnostics& diags);

// Validates a flow spec against its connections' entity schemas and compiles its mapping.
std::optional<FlowDef> compileFlow(const FlowSpec& spec, const ConnectionSet& connections,
                                   const SchemaProvider& provider, Diagnostics& diags);
// parseFlowSpec + compileFlow.
std::optional<FlowDef> loadFlow(std::string_view text, const std::string& file,
                                const ConnectionSet& connections, const SchemaProvider& provider,
                                Diagnostics& diags);

}  // namespace ferry::host
