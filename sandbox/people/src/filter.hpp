// The `filter` query language of GET /people/2/persons (§6): {"#and":[...]}, {"#or":[...]},
// {"#eq":{"field":value}} and the other comparisons, or {"field":value} for equality.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "model.hpp"
#include "person_input.hpp"

namespace ferry::sandbox::people {

class PersonFilter {
 public:
  // Parses and type-checks the filter against the attribute set; on failure returns null and
  // sets `error` to a message naming the offending part.
  static std::unique_ptr<PersonFilter> parse(const std::string& json, const AttributeDefs& defs,
                                             std::string& error);
  bool matches(const Person& person) const;

  enum class Kind {
    kString,
    kEmail,
    kPhone,
    kDate,
    kDateTime,
    kInteger,
    kDecimal,
    kBoolean,
    kList
  };
  struct Node {
    enum class Op {
      kAnd,
      kOr,
      kEq,
      kNe,
      kContains,
      kNotContain,
      kStartsWith,
      kEndsWith,
      kGt,
      kLt,
      kGte,
      kLte
    };
    Op op = Op::kAnd;
    std::vector<Node> children;  // kAnd / kOr
    std::string field;           // comparisons
    bool customAttribute = false;
    Kind kind = Kind::kString;
    Poco::Dynamic::Var value;  // empty: null literal
  };

 private:
  Node root_;
};

}  // namespace ferry::sandbox::people
