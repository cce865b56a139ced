#include "ferry/sandbox/json_writer.hpp"

#include <charconv>
#include <cmath>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace ferry::sandbox {

namespace {

// Length of the valid UTF-8 sequence starting at text[i] (lead byte >= 0x80), or 0 when invalid.
size_t utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  unsigned char second = byte(i + 1);
  if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) ||
      (c == 0xF0 && second < 0x90) || (c == 0xF4 && second > 0x8F))
    return 0;  // overlong forms, UTF-16 surrogates, beyond U+10FFFF
  return length;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) < 0x80) continue;
    const size_t length = utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length - 1;
  }
  return true;
}

void appendJsonString(std::string& out, std::string_view text) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
    if (c >= 0x80) {
      // Valid UTF-8 passes through; invalid bytes (echoed client input) become U+FFFD so the
      // document stays valid JSON.
      size_t length = utf8SequenceLength(text, i);
      if (length > 0) {
        i += length - 1;
        continue;
      }
      out.append(text.data() + run, i - run);
      run = i + 1;
      out += "\xEF\xBF\xBD";
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

std::string jsonQuote(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

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
  appendJsonString(out_, name);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  appendJsonString(out_, text);
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
