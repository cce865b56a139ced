#include "ferry/testing/json_access.hpp"

namespace ferry::testing {

sdk::Value json(const std::string& text) {
  auto value = sdk::Value::fromJson(text);
  return value ? *value : sdk::Value();
}

sdk::Value json(const HttpAnswer& answer) { return json(answer.body); }

const sdk::Value* at(const sdk::Value& value, std::initializer_list<const char*> path) {
  const sdk::Value* current = &value;
  for (const char* key : path) {
    if (!current->isObject()) return nullptr;
    current = current->asObject().find(key);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string text(const sdk::Value* value) {
  return value != nullptr && value->isString() ? value->asString() : std::string();
}

}  // namespace ferry::testing
