#include "ferry/sdk/plugin_support.hpp"

#include <array>

namespace ferry::sdk {

std::optional<SettingType> settingTypeFromString(std::string_view name) noexcept {
  static constexpr std::array kTypes = {
      SettingType::kString, SettingType::kInteger, SettingType::kBoolean,   SettingType::kDuration,
      SettingType::kUrl,    SettingType::kEnum,    SettingType::kSecretRef, SettingType::kObject};
  for (const SettingType type : kTypes) {
    if (name == toString(type)) return type;
  }
  return std::nullopt;
}

Result<std::vector<SettingSchema>> settingsSchemaFromJson(std::string_view json) {
  std::string parseError;
  const auto parsed = Value::fromJson(json, &parseError);
  if (!parsed) {
    return Error::make(ErrorCode::kInvalidArgument, "settings schema is not JSON: " + parseError);
  }
  if (!parsed->isList()) {
    return Error::make(ErrorCode::kInvalidArgument, "settings schema must be a JSON array");
  }
  std::vector<SettingSchema> out;
  std::vector<std::string> problems;
  std::size_t index = 0;
  for (const Value& item : parsed->asList()) {
    const std::string where = "entry " + std::to_string(index++);
    if (!item.isObject()) {
      problems.push_back(where + " is not an object");
      continue;
    }
    const Object& o = item.asObject();
    for (const auto& [key, value] : o) {
      if (key != "name" && key != "type" && key != "description" && key != "required" &&
          key != "default" && key != "enum") {
        problems.push_back(where + ": unknown key '" + key + "'");
      }
    }
    // A mistyped text key is a problem, and so is a missing one the schema needs.
    const auto text = [&](const char* key, bool required) {
      const Value* v = o.find(key);
      if (v != nullptr && v->isString()) return v->asString();
      if (v != nullptr || required) problems.push_back(where + ": '" + key + "' must be a string");
      return std::string();
    };
    SettingSchema s;
    s.name = text("name", true);
    const std::string type = text("type", true);
    if (const auto t = settingTypeFromString(type)) {
      s.type = *t;
    } else if (!type.empty()) {
      problems.push_back(where + ": unknown setting type '" + type + "'");
    }
    s.description = text("description", false);
    if (const Value* r = o.find("required")) {
      if (r->isBool()) {
        s.required = r->asBool();
      } else {
        problems.push_back(where + ": 'required' must be true or false");
      }
    }
    if (const Value* d = o.find("default")) s.defaultValue = *d;
    if (const Value* e = o.find("enum")) {
      bool strings = e->isList();
      if (strings) {
        for (const Value& v : e->asList()) {
          if (v.isString()) {
            s.enumValues.push_back(v.asString());
          } else {
            strings = false;
          }
        }
      }
      if (!strings) problems.push_back(where + ": 'enum' must be a list of strings");
    }
    out.push_back(std::move(s));
  }
  if (!problems.empty()) return settingsError("settings schema: ", problems);
  return out;
}

bool isHttpUrl(std::string_view url) noexcept {
  const auto rest = [&](std::string_view scheme) {
    return url.substr(0, scheme.size()) == scheme && url.size() > scheme.size();
  };
  return (rest("https://") || rest("http://")) &&
         url.find_first_of(" \t\r\n?#") == std::string_view::npos;
}

Error settingsError(std::string_view prefix, const std::vector<std::string>& problems) {
  std::string message(prefix);
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) message += "; ";
    message += problems[i];
  }
  return Error::make(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace ferry::sdk
