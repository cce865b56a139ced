// Reading JSON answers in tests without a chain of null checks: parse (null when it is not JSON),
// walk a path of object keys, take a string or nothing.
#pragma once

#include <initializer_list>
#include <string>

#include "ferry/sdk/value.hpp"
#include "ferry/testing/http_client.hpp"

namespace ferry::testing {

// The parsed text, or null when it is not JSON.
sdk::Value json(const std::string& text);
// The answer's body parsed, or null when it is not JSON.
sdk::Value json(const HttpAnswer& answer);

// The value under `path` (object keys, outermost first); nullptr when a step is missing or not an
// object.
const sdk::Value* at(const sdk::Value& value, std::initializer_list<const char*> path);

// The string `value` points to; empty when it is null or not a string.
std::string text(const sdk::Value* value);

}  // namespace ferry::testing
