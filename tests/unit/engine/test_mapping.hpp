// A hand-written CompiledMapping for engine tests: field renames, an optional lower-casing of
// one field, sink constants, and a configurable mapping failure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/host/flow/flow.hpp"

namespace ferry::host::engine::testing {

class TestMapping final : public CompiledMapping {
 public:
  struct Pair {
    std::string source;
    std::string sink;
    bool lower = false;  // forward lower-cases the value (not invertible in general)
  };

  TestMapping(std::vector<Pair> pairs, sdk::Object constants = {})
      : pairs_(std::move(pairs)), constants_(std::move(constants)) {
    for (const auto& p : pairs_) {
      sourceFields_.push_back(p.source);
      sinkFields_.push_back(p.sink);
    }
    for (const auto& [k, v] : constants_) sinkFields_.push_back(k);
  }

  // A source record for which this returns a message fails to map with it.
  std::function<std::optional<std::string>(const sdk::Object&)> failWhen;

  sdk::Result<sdk::Object> forward(const sdk::Object& record) const override {
    if (failWhen) {
      if (auto why = failWhen(record)) {
        return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, *why);
      }
    }
    sdk::Object out;
    for (const auto& p : pairs_) {
      const sdk::Value* v = record.find(p.source);
      sdk::Value value = v != nullptr ? *v : sdk::Value();
      if (p.lower && value.isString()) {
        std::string s = value.asString();
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        value = s;
      }
      out.set(p.sink, std::move(value));
    }
    for (const auto& [k, v] : constants_) out.set(k, v);
    return out;
  }

  sdk::Result<sdk::Object> reverse(const sdk::Object& record) const override {
    sdk::Object out;
    for (const auto& p : pairs_) {
      const sdk::Value* v = record.find(p.sink);
      out.set(p.source, v != nullptr ? *v : sdk::Value());
    }
    return out;
  }

  const std::vector<std::string>& sourceFields() const override { return sourceFields_; }
  const std::vector<std::string>& sinkFields() const override { return sinkFields_; }
  std::vector<std::string> sourceFieldsFor(const std::string& sinkField) const override {
    for (const auto& p : pairs_) {
      if (p.sink == sinkField) return {p.source};
    }
    return {};
  }
  bool invertible() const override { return true; }

 private:
  std::vector<Pair> pairs_;
  sdk::Object constants_;
  std::vector<std::string> sourceFields_;
  std::vector<std::string> sinkFields_;
};

}  // namespace ferry::host::engine::testing
