// Flow fixtures (`ferry test`): input records with their expected mapped output, in either
// direction, or the expected rejection, so users unit-test a mapping before deploying it.
//
//   flow: contacts-to-customers.yaml        # relative to this file
//   cases:
//     - name: a contact becomes a customer
//       source: { FirstName: Ana, Email: " Ana@Example.com " }
//       sink:   { firstName: Ana, contactInformation.email: [ana@example.com] }
//     - name: back to Salesforce
//       direction: reverse                  # forward (default) | reverse | both
//       sink:   { firstName: Ana }
//       source: { FirstName: Ana }
//     - name: a bad email is rejected
//       source: { Email: not-an-email }
//       reject: not a valid email address   # a part of the rejection message
//
// Output must equal the expectation field by field; output fields the case does not list must
// be null (so an unexpected value fails the case too).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/flow.hpp"
#include "ferry/host/flow/spec.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {

struct FixtureCase {
  enum class Direction { kForward, kReverse, kBoth };
  std::string name;
  Direction direction = Direction::kForward;
  std::optional<sdk::Object> source;
  std::optional<sdk::Object> sink;
  std::optional<std::string> reject;
  SourcePos pos;
};

struct FixtureFile {
  Located<std::string> flow;  // path of the flow file, relative to the fixture file
  std::vector<FixtureCase> cases;
};

std::optional<FixtureFile> parseFixtures(std::string_view text, const std::string& file,
                                         Diagnostics& diags);

struct CaseResult {
  std::string name;
  std::string direction;  // "forward", "reverse"
  bool passed = false;
  std::string detail;  // the diff or the unexpected error, one item per line
  SourcePos pos;
};

struct FixtureReport {
  std::vector<CaseResult> results;
  std::size_t failed() const;
  // "PASS name (forward)" / "FAIL name (forward) at file:line" lines with indented diffs, and a
  // summary line.
  std::string format() const;
};

FixtureReport runFixtures(const FixtureFile& fixtures, const FlowDef& flow);

// Readable differences between an expected and an actual record ("" when they agree under the
// rules above): "  ~ field: expected X, got Y", "  - field: expected X, missing",
// "  + field: not expected, got Y".
std::string diffRecords(const sdk::Object& expected, const sdk::Object& actual);

}  // namespace ferry::host
