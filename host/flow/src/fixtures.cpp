#include "ferry/host/flow/fixtures.hpp"

#include "ferry/host/flow/parser.hpp"
#include "yaml_reader.hpp"

namespace ferry::host {

using yamlread::MapReader;
using yamlread::posOf;

std::optional<FixtureFile> parseFixtures(std::string_view text, const std::string& file,
                                         Diagnostics& diags) {
  const YAML::Node root = yamlread::load(text, file, diags);
  if (!root.IsDefined()) return std::nullopt;
  const std::size_t errorsBefore = diags.errorCount();
  MapReader r(root, file, diags, "the fixture file", keysOf("flow-test"));
  if (!r.ok()) {
    if (!root.IsMap()) return std::nullopt;
  }
  FixtureFile out;
  if (auto flow = r.requiredString("flow")) out.flow = *flow;
  r.require("cases");
  const YAML::Node cases = r.get("cases");
  if (cases.IsDefined() && (!cases.IsSequence() || cases.size() == 0)) {
    diags.error(posOf(cases, file), "bad-value", "\"cases\" must be a non-empty list");
  } else if (cases.IsDefined()) {
    for (const auto& node : cases) {
      MapReader c(node, file, diags, "a fixture case", keysOf("flow-test-case"));
      if (!c.ok()) continue;
      FixtureCase fc;
      fc.pos = posOf(node, file);
      if (auto name = c.requiredString("name")) fc.name = name->value;
      if (c.has("direction")) {
        if (auto d = c.string("direction")) {
          if (d->value == "forward")
            fc.direction = FixtureCase::Direction::kForward;
          else if (d->value == "reverse")
            fc.direction = FixtureCase::Direction::kReverse;
          else if (d->value == "both")
            fc.direction = FixtureCase::Direction::kBoth;
          else {
            diags.error(d->pos, "bad-value",
                        "\"direction\" must be forward, reverse or both, not \"" + d->value + "\"" +
                            didYouMean(d->value, keysOf("test-direction")));
          }
        }
      }
      for (const char* side : {"source", "sink"}) {
        const YAML::Node rec = c.get(side);
        if (!rec.IsDefined()) continue;
        if (!rec.IsMap()) {
          diags.error(posOf(rec, file), "bad-value",
                      "\"" + std::string(side) + "\" must be a record (a mapping of fields)");
          continue;
        }
        sdk::Value v = yamlread::toValue(rec);
        (std::string_view(side) == "source" ? fc.source : fc.sink) = std::move(v.asObject());
      }
      if (auto reject = c.string("reject")) fc.reject = reject->value;
      using D = FixtureCase::Direction;
      const bool needSource = fc.direction != D::kReverse;
      const bool needSink = fc.direction != D::kForward;
      if (needSource && !fc.source) {
        diags.error(fc.pos, "missing-key", "fixture \"" + fc.name + "\" needs a \"source\" record");
      }
      if (needSink && !fc.sink) {
        diags.error(fc.pos, "missing-key", "fixture \"" + fc.name + "\" needs a \"sink\" record");
      }
      if (fc.reject && fc.direction == D::kBoth) {
        diags.error(fc.pos, "bad-value",
                    "an expected rejection needs direction forward or reverse");
      }
      const bool expectsOutput = fc.direction == D::kForward   ? fc.sink.has_value()
                                 : fc.direction == D::kReverse ? fc.source.has_value()
                                                               : true;
      if (!fc.reject && !expectsOutput) {
        diags.error(fc.pos, "missing-key",
                    "fixture \"" + fc.name + "\" needs the expected record or \"reject\"");
      }
      if (fc.reject && fc.direction != D::kBoth &&
          (fc.direction == D::kForward ? fc.sink.has_value() : fc.source.has_value())) {
        diags.error(fc.pos, "bad-value",
                    "fixture \"" + fc.name + "\" expects both an output and a rejection");
      }
      out.cases.push_back(std::move(fc));
    }
  }
  if (diags.errorCount() != errorsBefore) return std::nullopt;
  return out;
}

namespace {

// Expected values come from YAML, where dates are text: compare them in the actual's terms.
bool sameValue(const sdk::Value& expected, const sdk::Value& actual) {
  if (expected == actual) return true;
  if (expected.isString() && actual.isDate()) return expected.asString() == actual.asDate().toIso();
  if (expected.isString() && actual.isDateTime()) {
    const auto t = sdk::DateTime::parseIso(expected.asString());
    return t && *t == actual.asDateTime();
  }
  if (expected.isList() && actual.isList()) {
    const auto& a = expected.asList();
    const auto& b = actual.asList();
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!sameValue(a[i], b[i])) return false;
    }
    return true;
  }
  if (expected.isObject() && actual.isObject()) {
    return diffRecords(expected.asObject(), actual.asObject()).empty();
  }
  return false;
}

}  // namespace

std::string diffRecords(const sdk::Object& expected, const sdk::Object& actual) {
  std::string out;
  for (const auto& [key, want] : expected) {
    const sdk::Value* got = actual.find(key);
    if (got == nullptr) {
      if (!want.isNull()) out += "  - " + key + ": expected " + want.preview() + ", missing\n";
    } else if (!sameValue(want, *got)) {
      out += "  ~ " + key + ": expected " + want.preview() + ", got " + got->preview() + "\n";
    }
  }
  for (const auto& [key, got] : actual) {
    if (!expected.contains(key) && !got.isNull()) {
      out += "  + " + key + ": not expected, got " + got.preview() + "\n";
    }
  }
  return out;
}

std::size_t FixtureReport::failed() const {
  std::size_t n = 0;
  for (const auto& r : results) n += r.passed ? 0 : 1;
  return n;
}

std::string FixtureReport::format() const {
  std::string out;
  for (const auto& r : results) {
    out += (r.passed ? "PASS " : "FAIL ") + r.name + " (" + r.direction + ")";
    if (!r.passed && r.pos.line > 0) {
      out += " at " + r.pos.file + ":" + std::to_string(r.pos.line);
    }
    out += "\n";
    if (!r.passed) out += r.detail;
  }
  out += std::to_string(results.size() - failed()) + " passed, " + std::to_string(failed()) +
         " failed\n";
  return out;
}

namespace {

CaseResult runOne(const FixtureCase& c, const CompiledMapping& mapping, bool reverse) {
  CaseResult r;
  r.name = c.name;
  r.direction = reverse ? "reverse" : "forward";
  r.pos = c.pos;
  const sdk::Object& input = reverse ? *c.sink : *c.source;
  const auto result = reverse ? mapping.reverse(input) : mapping.forward(input);
  if (c.reject) {
    if (result.ok()) {
      r.detail = "  expected a rejection containing \"" + *c.reject +
                 "\", but the record mapped to " + sdk::Value(result.value()).preview(200) + "\n";
    } else if (result.error().message.find(*c.reject) == std::string::npos) {
      r.detail = "  expected a rejection containing \"" + *c.reject +
                 "\", got: " + result.error().message + "\n";
    } else {
      r.passed = true;
    }
    return r;
  }
  if (!result.ok()) {
    r.detail = "  rejected: " + result.error().message + "\n";
    return r;
  }
  r.detail = diffRecords(reverse ? *c.source : *c.sink, result.value());
  r.passed = r.detail.empty();
  return r;
}

}  // namespace

FixtureReport runFixtures(const FixtureFile& fixtures, const FlowDef& flow) {
  FixtureReport report;
  for (const FixtureCase& c : fixtures.cases) {
    using D = FixtureCase::Direction;
    if (c.direction != D::kReverse) report.results.push_back(runOne(c, *flow.mapping, false));
    if (c.direction != D::kForward) report.results.push_back(runOne(c, *flow.mapping, true));
  }
  return report;
}

}  // namespace ferry::host
