// The schema, as an ordered list of migrations. A migration is never edited once released:
// changes go into a new one with the next version number.
#pragma once

#include <string_view>
#include <vector>

namespace ferry::host::state {

struct Migration {
  int version;
  std::string_view name;
  // One statement per entry (the PostgreSQL driver prepares statements singly). Column types
  // use the dialect tokens {identity}, {key} and {blob}.
  std::vector<std::string_view> statements;
};

const std::vector<Migration>& migrations();

}  // namespace ferry::host::state
