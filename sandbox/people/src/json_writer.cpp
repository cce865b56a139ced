#include "json_writer.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace ferry::sandbox::people {

namespace {

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when it is malformed.
size_t utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char min = 0x80, max = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min = 0xA0;  // no overlong forms
    if (lead == 0xED) max = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min = 0x90;
    if (lead == 0xF4) max = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(i + 1) < min || byte(i + 1) > max) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
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
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
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
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else if (static_cast<unsigned char>(c) < 0x80) {
          out.push_back(c);
        } else if (const size_t length = utf8SequenceLength(text, i); length > 0) {
          out.append(text.substr(i, length));
          i += length - 1;
        } else {
          // Bytes that are not UTF-8 (echoed from a bad request) must not make the body invalid.
          out += "\\ufffd";
        }
    }
  }
  out.push_back('"');
}

void JsonWriter::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::beginObject() {
  separate();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  separate();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  appendJsonString(out_, name);
  out_.push_back(':');
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  appendJsonString(out_, text);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t number) {
  separate();
  out_ += std::to_string(number);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t number) {
  separate();
  out_ += std::to_string(number);
  return *this;
}

JsonWriter& JsonWriter::value(double number) {
  separate();
  if (!std::isfinite(number)) {
    out_ += "null";
    return *this;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", number);
  // Shortest form that round-trips keeps 12.5 as 12.5 rather than 12.500000000000000.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, number);
    if (std::strtod(shorter, nullptr) == number) {
      out_ += shorter;
      return *this;
    }
  }
  out_ += buffer;
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  separate();
  out_ += flag ? "true" : "false";
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

std::string toJson(const Poco::Dynamic::Var& var) {
  JsonWriter writer;
  writer.value(var);
  return writer.take();
}

}  // namespace ferry::sandbox::people
