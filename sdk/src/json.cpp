// Value <-> JSON text. Parsing uses Poco::JSON's parser with a handler that builds Values
// directly (no intermediate Dynamic::Var tree); writing is a small direct serialiser.
#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/Parser.h>

#include "ferry/sdk/json_text.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::sdk {

namespace {

void appendDecimal(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  const std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
  out += text;
  // Keep decimals recognisable as decimals when the text is read back.
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void appendJson(std::string& out, const Value& v);

void appendObjectJson(std::string& out, const Object& object) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, item] : object) {
    if (!first) out.push_back(',');
    first = false;
    appendJsonString(out, key);
    out.push_back(':');
    appendJson(out, item);
  }
  out.push_back('}');
}

void appendJson(std::string& out, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      out += "null";
      break;
    case ValueKind::kBool:
      out += v.asBool() ? "true" : "false";
      break;
    case ValueKind::kInteger: {
      char buf[24];
      const auto res = std::to_chars(buf, buf + sizeof buf, v.asInteger());
      out.append(buf, res.ptr);
      break;
    }
    case ValueKind::kDecimal:
      appendDecimal(out, v.asDecimal());
      break;
    case ValueKind::kString:
      appendJsonString(out, v.asString());
      break;
    case ValueKind::kDate:
      appendJsonString(out, v.asDate().toIso());
      break;
    case ValueKind::kDateTime:
      appendJsonString(out, v.asDateTime().toIso());
      break;
    case ValueKind::kList: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.asList()) {
        if (!first) out.push_back(',');
        first = false;
        appendJson(out, item);
      }
      out.push_back(']');
      break;
    }
    case ValueKind::kObject: {
      appendObjectJson(out, v.asObject());
      break;
    }
  }
}

// Builds a Value while Poco's parser walks the text.
class ValueBuilder final : public Poco::JSON::Handler {
 public:
  void reset() override {
    stack_.clear();
    keys_.clear();
    result_ = Value{};
  }
  void startObject() override { open(Object{}); }
  void endObject() override { close(); }
  void startArray() override { open(List{}); }
  void endArray() override { close(); }
  void key(const std::string& k) override { keys_.back() = k; }
  void null() override { add(Value{}); }
  void value(int v) override { add(Value(static_cast<std::int64_t>(v))); }
  void value(unsigned v) override { add(Value(static_cast<std::int64_t>(v))); }
  void value(Poco::Int64 v) override { add(Value(static_cast<std::int64_t>(v))); }
  // Beyond int64: keep the magnitude as a decimal rather than wrapping around.
  void value(Poco::UInt64 v) override { add(Value(static_cast<double>(v))); }
  void value(const std::string& v) override { add(Value(v)); }
  void value(double d) override { add(Value(d)); }
  void value(bool b) override { add(Value(b)); }

  Value take() { return std::move(result_); }

 private:
  void open(Value container) {
    stack_.push_back(std::move(container));
    keys_.emplace_back();
  }
  void close() {
    Value done = std::move(stack_.back());
    stack_.pop_back();
    keys_.pop_back();
    add(std::move(done));
  }
  void add(Value v) {
    if (stack_.empty()) {
      result_ = std::move(v);
    } else if (stack_.back().isList()) {
      stack_.back().asList().push_back(std::move(v));
    } else {
      stack_.back().asObject().set(std::move(keys_.back()), std::move(v));  // last duplicate wins
    }
  }

  std::vector<Value> stack_;
  std::vector<std::string> keys_;
  Value result_;
};

}  // namespace

std::string Value::toJson() const {
  std::string out;
  appendJson(out, *this);
  return out;
}

std::string Object::toJson() const {
  std::string out;
  appendObjectJson(out, *this);
  return out;
}

std::optional<Value> Value::fromJson(std::string_view text, std::string* error) {
  Poco::JSON::Handler::Ptr handler = new ValueBuilder;
  Poco::JSON::Parser parser(handler);
  try {
    parser.parse(std::string(text));
  } catch (const Poco::Exception& e) {
    if (error != nullptr) *error = e.displayText();
    return std::nullopt;
  } catch (const std::exception& e) {
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
  return static_cast<ValueBuilder&>(*handler).take();
}

}  // namespace ferry::sdk
