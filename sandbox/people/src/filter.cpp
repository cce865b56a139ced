#include "filter.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace ferry::sandbox::people {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using Kind = PersonFilter::Kind;
using Node = PersonFilter::Node;
using Op = Node::Op;

struct FilterError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<Op> comparisonOp(const std::string& name) {
  static const std::pair<const char*, Op> kOps[] = {
      {"#eq", Op::kEq},
      {"#ne", Op::kNe},
      {"#contains", Op::kContains},
      {"#notContain", Op::kNotContain},
      {"#startsWith", Op::kStartsWith},
      {"#endsWith", Op::kEndsWith},
      {"#gt", Op::kGt},
      {"#lt", Op::kLt},
      {"#gte", Op::kGte},
      {"#lte", Op::kLte},
  };
  for (const auto& [text, op] : kOps) {
    if (name == text) return op;
  }
  return std::nullopt;
}

Kind kindOf(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return Kind::kString;
    case AttributeType::kDecimal:
      return Kind::kDecimal;
    case AttributeType::kInteger:
      return Kind::kInteger;
    case AttributeType::kBoolean:
      return Kind::kBoolean;
    case AttributeType::kDate:
      return Kind::kDate;
    case AttributeType::kDateTime:
      return Kind::kDateTime;
    case AttributeType::kListOfObjects:
      break;
  }
  throw FilterError("LIST_OF_OBJECTS attributes cannot be filtered");
}

// Resolves a filter field name to what it reads from a person.
void resolveField(Node& node, const std::string& name, const AttributeDefs& defs) {
  static const std::string kCustomPrefix = "customAttributes.";
  std::string attribute = name;
  if (name.rfind(kCustomPrefix, 0) == 0) {
    attribute = name.substr(kCustomPrefix.size());
  } else {
    node.field = name;
    if (name == "id") {
      node.kind = Kind::kInteger;
      return;
    }
    if (name == "createdAt" || name == "modifiedAt") {
      node.kind = Kind::kDateTime;
      return;
    }
    if (name == "birthDate") {
      node.kind = Kind::kDate;
      return;
    }
    if (name == "tags") {
      node.kind = Kind::kList;
      return;
    }
    if (name == "email" || name == "contactInformation.email") {
      node.field = "email";
      node.kind = Kind::kEmail;
      return;
    }
    if (name == "phone" || name == "contactInformation.phone") {
      node.field = "phone";
      node.kind = Kind::kPhone;
      return;
    }
    if (name == "origin" || name == "modifiedFrom" ||
        (findPersonField(name) != nullptr && name != "nickName")) {
      node.kind = Kind::kString;
      return;
    }
  }
  const auto def = defs.find(attribute);
  if (def == defs.end()) throw FilterError("Unknown attribute '" + name + "' in filter");
  node.field = attribute;
  node.customAttribute = true;
  node.kind = kindOf(def->second.type);
}

void checkOperand(const Node& node, const std::string& opName) {
  const Var& v = node.value;
  const bool ordering =
      node.op == Op::kGt || node.op == Op::kLt || node.op == Op::kGte || node.op == Op::kLte;
  const bool text = node.op == Op::kStartsWith || node.op == Op::kEndsWith;
  const bool contains = node.op == Op::kContains || node.op == Op::kNotContain;
  if (ordering && node.kind != Kind::kInteger && node.kind != Kind::kDecimal &&
      node.kind != Kind::kDate && node.kind != Kind::kDateTime) {
    throw FilterError(opName + " is not supported for attribute '" + node.field + "'");
  }
  if ((text || contains) && node.kind != Kind::kString && node.kind != Kind::kList &&
      node.kind != Kind::kEmail && node.kind != Kind::kPhone) {
    throw FilterError(opName + " is not supported for attribute '" + node.field + "'");
  }
  if (text && node.kind == Kind::kList) {
    throw FilterError(opName + " is not supported for attribute '" + node.field + "'");
  }
  if (v.isEmpty()) {
    if (node.op != Op::kEq && node.op != Op::kNe) throw FilterError(opName + " needs a value");
    return;
  }
  const std::string bad = "Invalid value for attribute '" + node.field + "' in filter";
  switch (node.kind) {
    case Kind::kString:
    case Kind::kEmail:
    case Kind::kPhone:
    case Kind::kList:
      if (!v.isString()) throw FilterError(bad);
      break;
    case Kind::kDate:
      if (!v.isString() || !isValidDate(v.extract<std::string>())) throw FilterError(bad);
      break;
    case Kind::kDateTime: {
      if (!v.isString()) throw FilterError(bad);
      const auto s = v.extract<std::string>();
      if (!(s.size() == 19 && isValidDateTime(s)) && !isValidDate(s)) throw FilterError(bad);
      break;
    }
    case Kind::kInteger:
      if (v.isBoolean() || !v.isInteger()) throw FilterError(bad);
      break;
    case Kind::kDecimal:
      if (v.isBoolean() || v.isString() || !v.isNumeric()) throw FilterError(bad);
      break;
    case Kind::kBoolean:
      if (!v.isBoolean()) throw FilterError(bad);
      break;
  }
}

Node parseNode(const Var& var, const AttributeDefs& defs);

Node comparison(Op op, const std::string& opName, const Var& operand, const AttributeDefs& defs) {
  if (operand.type() != typeid(Object::Ptr)) {
    throw FilterError(opName + " expects an object {\"attribute\": value}");
  }
  const auto object = operand.extract<Object::Ptr>();
  if (object->size() != 1) throw FilterError(opName + " expects exactly one attribute");
  const auto& [name, value] = *object->begin();
  Node node;
  node.op = op;
  resolveField(node, name, defs);
  node.value = value;
  checkOperand(node, opName);
  return node;
}

Node parseNode(const Var& var, const AttributeDefs& defs) {
  if (var.type() != typeid(Object::Ptr))
    throw FilterError("Filter expressions must be JSON objects");
  const auto object = var.extract<Object::Ptr>();
  if (object->size() == 0) throw FilterError("Empty filter expression");
  std::vector<Node> terms;
  for (const auto& [name, value] : *object) {
    if (name == "#and" || name == "#or") {
      if (value.type() != typeid(Array::Ptr)) throw FilterError(name + " expects an array");
      const auto array = value.extract<Array::Ptr>();
      if (array->size() == 0) throw FilterError(name + " expects at least one expression");
      Node node;
      node.op = name == "#and" ? Op::kAnd : Op::kOr;
      for (size_t i = 0; i < array->size(); ++i)
        node.children.push_back(parseNode(array->get(i), defs));
      terms.push_back(std::move(node));
    } else if (const auto op = comparisonOp(name)) {
      terms.push_back(comparison(*op, name, value, defs));
    } else if (!name.empty() && name[0] == '#') {
      throw FilterError("Unknown filter operator '" + name + "'");
    } else {
      Object::Ptr single = new Object();
      single->set(name, value);
      terms.push_back(comparison(Op::kEq, "#eq", Var(single), defs));
    }
  }
  if (terms.size() == 1) return std::move(terms.front());
  Node node;  // several keys in one object: all must hold
  node.op = Op::kAnd;
  node.children = std::move(terms);
  return node;
}

// Values of a field on a person as strings/numbers; empty vector when unset.
std::vector<Var> valuesOf(const Node& node, const Person& person) {
  if (node.customAttribute) {
    const auto it = person.customAttributes.find(node.field);
    if (it == person.customAttributes.end()) return {};
    return {it->second};
  }
  if (node.field == "id") return {Var(person.id)};
  if (node.field == "createdAt") return {Var(person.createdAt)};
  if (node.field == "modifiedAt") return {Var(person.modifiedAt)};
  if (node.field == "origin") return {Var(person.origin)};
  if (node.field == "modifiedFrom") return {Var(person.modifiedFrom)};
  if (node.field == "type") return {Var(person.type())};
  std::vector<Var> out;
  if (node.field == "tags") {
    for (const auto& tag : person.tags) out.emplace_back(tag);
    return out;
  }
  if (node.field == "email" || node.field == "phone") {
    for (const auto& c : node.field == "email" ? person.emails : person.phones)
      out.emplace_back(c.value);
    return out;
  }
  const auto it = person.fields.find(node.field);
  if (it != person.fields.end()) out.emplace_back(it->second);
  return out;
}

// -1, 0, 1 ordering of a stored value against the literal.
int compare(const Node& node, const Var& stored) {
  switch (node.kind) {
    case Kind::kInteger:
    case Kind::kDecimal: {
      const double a = stored.convert<double>(), b = node.value.convert<double>();
      return a < b ? -1 : (a > b ? 1 : 0);
    }
    case Kind::kBoolean:
      return stored.convert<bool>() == node.value.convert<bool>() ? 0 : 1;
    case Kind::kDateTime: {
      auto literal = node.value.extract<std::string>();
      if (literal.size() == 10) literal += "T00:00:00";
      const auto value = stored.convert<std::string>().substr(0, 19);
      return value.compare(literal) < 0 ? -1 : (value.compare(literal) > 0 ? 1 : 0);
    }
    case Kind::kEmail: {
      const auto a = lowerAscii(stored.convert<std::string>());
      const auto b = lowerAscii(node.value.extract<std::string>());
      return a.compare(b) < 0 ? -1 : (a.compare(b) > 0 ? 1 : 0);
    }
    default: {
      const auto a = stored.convert<std::string>();
      const auto b = node.value.convert<std::string>();
      return a.compare(b) < 0 ? -1 : (a.compare(b) > 0 ? 1 : 0);
    }
  }
}

bool evaluate(const Node& node, const Person& person) {
  switch (node.op) {
    case Op::kAnd:
      return std::all_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return evaluate(child, person); });
    case Op::kOr:
      return std::any_of(node.children.begin(), node.children.end(),
                         [&](const Node& child) { return evaluate(child, person); });
    default:
      break;
  }
  const auto values = valuesOf(node, person);
  const bool multi =
      node.kind == Kind::kList || node.kind == Kind::kEmail || node.kind == Kind::kPhone;
  if (node.value.isEmpty()) return (node.op == Op::kEq) == values.empty();
  auto any = [&](auto predicate) { return std::any_of(values.begin(), values.end(), predicate); };
  auto text = [&](const Var& v) {
    return node.kind == Kind::kEmail ? lowerAscii(v.convert<std::string>())
                                     : v.convert<std::string>();
  };
  const std::string literal = node.kind == Kind::kEmail
                                  ? lowerAscii(node.value.convert<std::string>())
                                  : node.value.convert<std::string>();
  switch (node.op) {
    case Op::kEq:
      return any([&](const Var& v) { return compare(node, v) == 0; });
    case Op::kNe:
      return !any([&](const Var& v) { return compare(node, v) == 0; });
    case Op::kContains:
      if (multi && node.kind == Kind::kList)
        return any([&](const Var& v) { return compare(node, v) == 0; });
      return any([&](const Var& v) { return text(v).find(literal) != std::string::npos; });
    case Op::kNotContain:
      if (multi && node.kind == Kind::kList)
        return !any([&](const Var& v) { return compare(node, v) == 0; });
      return !any([&](const Var& v) { return text(v).find(literal) != std::string::npos; });
    case Op::kStartsWith:
      return any([&](const Var& v) { return text(v).rfind(literal, 0) == 0; });
    case Op::kEndsWith:
      return any([&](const Var& v) {
        const auto s = text(v);
        return s.size() >= literal.size() &&
               s.compare(s.size() - literal.size(), literal.size(), literal) == 0;
      });
    case Op::kGt:
      return any([&](const Var& v) { return compare(node, v) > 0; });
    case Op::kLt:
      return any([&](const Var& v) { return compare(node, v) < 0; });
    case Op::kGte:
      return any([&](const Var& v) { return compare(node, v) >= 0; });
    case Op::kLte:
      return any([&](const Var& v) { return compare(node, v) <= 0; });
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<PersonFilter> PersonFilter::parse(const std::string& json,
                                                  const AttributeDefs& defs, std::string& error) {
  try {
    Poco::JSON::Parser parser;
    const Var parsed = parser.parse(json);
    auto filter = std::make_unique<PersonFilter>();
    filter->root_ = parseNode(parsed, defs);
    return filter;
  } catch (const FilterError& e) {
    error = e.what();
  } catch (const Poco::Exception& e) {
    error = "Filter is not valid JSON: " + e.message();
  }
  return nullptr;
}

bool PersonFilter::matches(const Person& person) const { return evaluate(root_, person); }

}  // namespace ferry::sandbox::people
