// Internal: compiled transforms. A transform spec is compiled once, against the static type of
// its input, into Step objects; applying a step does no parsing of flow text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/host/flow/diagnostics.hpp"
#include "ferry/host/flow/spec.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::host::transforms {

// Static type of a value between steps. `any` = unknown (e.g. an undeclared custom attribute).
struct TypeInfo {
  sdk::FieldType type = sdk::FieldType::kString;
  sdk::FieldType item = sdk::FieldType::kString;  // for lists
  bool any = false;

  static TypeInfo of(const sdk::FieldSchema& f) { return {f.type, f.itemType, false}; }
  static TypeInfo anyType() { return {sdk::FieldType::kString, sdk::FieldType::kString, true}; }
  std::string describe() const;  // "boolean", "list of email", "any"
};

bool isTextual(sdk::FieldType t) noexcept;  // string, email, phone, reference
// Whether a value of type `from` may be written into a field of type `to`. A scalar fits a
// list of its type (it becomes a one-element list).
bool assignable(const TypeInfo& from, const TypeInfo& to) noexcept;

// Whether a literal from the flow file (constant, default, filter value) fits a type.
bool literalFits(const sdk::Value& v, const TypeInfo& t);
TypeInfo typeOfValue(const sdk::Value& v);

class Step {
 public:
  virtual ~Step() = default;
  // Changes v in place. false = this record is rejected, v is left as it was (lists may have
  // earlier items changed) and `why` says why (no field name: the caller adds it).
  virtual bool apply(sdk::Value& v, std::string& why) const = 0;
  // Called for null inputs too (default, constant); others never see null.
  virtual bool wantsNull() const noexcept { return false; }
};

enum class Invertibility {
  kBijective,    // an exact inverse exists (value maps without "*", prefix, formats, countries)
  kNormalizing,  // output is a cleaned form of the input; the inverse is identity (trim, lower)
  kLossy,        // information is lost (constant, many-to-one value maps)
};

struct Compiled {
  std::string name;
  SourcePos pos;
  std::unique_ptr<Step> forward;
  std::unique_ptr<Step> inverse;  // set for kBijective
  Invertibility invertibility = Invertibility::kLossy;
  TypeInfo output;
  std::string lossReason;  // for kLossy: why it cannot be inverted
};

// Compiles spec for input type `in`. Reports "does not apply" and bad arguments (e.g. an unknown
// region) against `subject` (the field being mapped) and returns nullopt.
std::optional<Compiled> compile(const TransformSpec& spec, const TypeInfo& in,
                                const std::string& subject, Diagnostics& diags);

}  // namespace ferry::host::transforms
