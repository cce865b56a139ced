// SOQL subset: tokenizer, recursive-descent parser and binder (names resolved against the
// schema, literal types checked against field types, as the real query compiler does).
//
//   query      := SELECT (COUNT '(' ')' | field {',' field}) FROM object
//                 [WHERE orExpr] [ORDER BY order {',' order}] [LIMIT n] [OFFSET n]
//   orExpr     := andExpr {OR andExpr}      -- mixing AND and OR needs parentheses, as in SOQL
//   andExpr    := notExpr {AND notExpr}
//   notExpr    := NOT notExpr | '(' orExpr ')' | predicate
//   predicate  := field op literal | field [NOT] IN '(' literal {',' literal} ')' | field LIKE
//   string field      := name ['.' name]           -- one parent relationship level (Account.Name)
//   literal    := string | number | true | false | null | date | datetime
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model.hpp"

namespace ferry::sandbox::salesforce {

// code is the REST errorCode: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
// INVALID_QUERY_FILTER_OPERATOR or NUMBER_OUTSIDE_VALID_RANGE.
class SoqlError : public std::runtime_error {
 public:
  SoqlError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

struct Literal {
  enum class Kind { kNull, kBool, kNumber, kString, kDate, kDateTime };
  Kind kind = Kind::kNull;
  std::string text;  // string (unescaped), date "YYYY-MM-DD", or the number's source text
  double number = 0;
  bool flag = false;
  int64_t ms = 0;  // datetime
  size_t position = 0;
};

// A field reference after binding: a direct field, or a field of the parent record reached
// through a reference field (relationship).
struct BoundField {
  std::string path;           // canonical "Account.Name" / "Email"
  size_t index = 0;           // in the record's object, or in the parent object
  std::optional<size_t> via;  // reference field index on the queried object
  const ObjectDef* parent = nullptr;
  const FieldDef* def = nullptr;
  std::string relationshipName;  // canonical "Account"
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Condition {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kLike };
  Kind kind = Kind::kCompare;
  std::vector<std::unique_ptr<Condition>> children;
  std::string fieldText;
  size_t fieldPosition = 0;
  BoundField field;
  CompareOp op = CompareOp::kEq;
  bool negated = false;  // NOT IN
  std::vector<Literal> values;
  std::vector<Value> bound;  // literals converted to the field's value representation
};

struct OrderItem {
  std::string fieldText;
  size_t fieldPosition = 0;
  BoundField field;
  bool descending = false;
  bool nullsFirst = true;
};

struct SelectItem {
  std::string text;
  size_t position = 0;
  BoundField field;
};

struct Query {
  std::string source;
  bool count = false;
  std::vector<SelectItem> select;
  std::string objectName;
  size_t objectPosition = 0;
  const ObjectDef* object = nullptr;
  std::unique_ptr<Condition> where;
  std::vector<OrderItem> orderBy;
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;
};

// Throws SoqlError. The result is bound: every field resolved, every literal type-checked.
Query parseSoql(const std::string& text, const Schema& schema);

}  // namespace ferry::sandbox::salesforce
