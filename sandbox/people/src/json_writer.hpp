// Small streaming JSON writer: responses are built field by field in the API's key order,
// without the cost of a DOM per person (a 1000-person page is serialised on every list call).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace ferry::sandbox::people {

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(uint64_t number);
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // Any value parsed by Poco::JSON (objects, arrays, scalars), e.g. a custom attribute value.
  JsonWriter& value(const Poco::Dynamic::Var& var);
  // Splices already serialised JSON in as one value.
  JsonWriter& raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();  // comma between siblings

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool afterKey_ = false;
};

// Appends text as a JSON string; bytes that are not well-formed UTF-8 become U+FFFD.
void appendJsonString(std::string& out, std::string_view text);
bool isValidUtf8(std::string_view text);

// Canonical serialisation of a parsed JSON value (used to compare custom attribute values).
std::string toJson(const Poco::Dynamic::Var& var);

}  // namespace ferry::sandbox::people
