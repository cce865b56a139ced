// Minimal streaming JSON writer. Poco::JSON builds a tree of Dynamic::Var first, which is the
// dominant cost when a query page of 2000 records is serialised; this writes straight into a
// string. Commas are inserted automatically; strings are escaped by ferry/sdk/json_text.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace ferry::sandbox {

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
  JsonWriter& value(bool flag);
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(uint64_t number);
  JsonWriter& value(double number);
  JsonWriter& null();
  // Any value Poco::JSON parsed (objects, arrays, scalars), e.g. a custom attribute a client
  // sent. Object keys come out sorted, so equal values serialise to equal text.
  JsonWriter& value(const Poco::Dynamic::Var& var);
  // Inserts already-serialised JSON as one value.
  JsonWriter& raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool afterKey_ = false;
};

// The canonical text of a parsed JSON value (sorted keys): compares values a client sent.
std::string canonicalJson(const Poco::Dynamic::Var& var);

}  // namespace ferry::sandbox
