// Evaluates a flow's record filter (sdk::Condition, ANDed) on a record as read. Sources may push
// conditions into their queries; the engine applies them again so that pushing down is only an
// optimisation.
#pragma once

#include <vector>

#include "ferry/sdk/connector.hpp"

namespace ferry::host::engine {

// Ordering for kGt/kGe/kLt/kLe: numbers by value, strings lexicographically, dates and datetimes
// chronologically. Values of different kinds (or null) never satisfy an ordering condition.
bool matchesCondition(const sdk::Object& record, const sdk::Condition& condition);
bool matchesAll(const sdk::Object& record, const std::vector<sdk::Condition>& conditions);

}  // namespace ferry::host::engine
