#include "ferry/sandbox/json_writer.hpp"

#include <charconv>
#include <cmath>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ferry/sdk/json_text.hpp"

namespace ferry::sandbox {

void JsonWriter::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::beginObject() {
  separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  sdk::appendJsonString(out_, name);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  sdk::appendJsonString(out_, text);
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  separate();
  out_ += flag ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(int64_t number) {
  separate();
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  out_.append(buffer, end);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t number) {
  separate();
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  out_.append(buffer, end);
  return *this;
}

JsonWriter& JsonWriter::value(double number) {
  separate();
  if (!std::isfinite(number)) {
    out_ += "null";  // JSON has no NaN/Infinity
    return *this;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  out_.append(buffer, end);
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::value(const Poco::Dynamic::Var& var) {
  if (var.isEmpty()) return null();
  if (var.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto object = var.extract<Poco::JSON::Object::Ptr>();
    beginObject();
    // Sorted keys: the canonical form must not depend on the order a client sent.
    std::vector<std::string> names;
    object->getNames(names);
    for (const auto& name : names) key(name).value(object->get(name));
    return endObject();
  }
  if (var.type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto array = var.extract<Poco::JSON::Array::Ptr>();
    beginArray();
    for (size_t i = 0; i < array->size(); ++i) value(array->get(i));
    return endArray();
  }
  if (var.type() == typeid(bool)) return value(var.extract<bool>());
  if (var.isString()) return value(var.extract<std::string>());
  if (var.isInteger()) {
    if (var.isSigned()) return value(var.convert<int64_t>());
    return value(var.convert<uint64_t>());
  }
  if (var.isNumeric()) return value(var.convert<double>());
  return value(var.convert<std::string>());
}

std::string canonicalJson(const Poco::Dynamic::Var& var) {
  JsonWriter writer;
  writer.value(var);
  return writer.take();
}

}  // namespace ferry::sandbox
