// Request bodies → validated person changes. Both body shapes (v2 `IamPersonV2` and the v3 upsert
// person) end up as a PersonInput; applying it to a stored person gives the PUT (replace) or
// PATCH (merge) result.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "model.hpp"

namespace ferry::sandbox::people {

// One rejected property: path in the request (e.g. "contactInformation.email[0].address") and why.
struct Violation {
  std::string property;
  std::string message;
};

struct PersonInput {
  // Present standard attributes; nullopt is an explicit null (clears the attribute).
  std::map<std::string, std::optional<std::string>> fields;
  std::optional<std::vector<std::string>> tags;
  // Present custom attributes; an empty Var is an explicit null.
  std::optional<std::map<std::string, Poco::Dynamic::Var>> customAttributes;
  std::optional<std::vector<Contact>> emails;
  std::optional<std::vector<Contact>> phones;
};

enum class BodyShape { kV2, kV3 };
enum class WriteMode { kReplace, kMerge };

using AttributeDefs = std::map<std::string, AttributeDef>;

// prefix is prepended to every property path ("" or "persons[3].").
PersonInput parsePersonInput(const Poco::JSON::Object& body, BodyShape shape,
                             const std::string& prefix, const AttributeDefs& defs,
                             std::vector<Violation>& violations);

// {"phone":[{"number"}],"email":[{"address"}]} (v2) → emails/phones of a PersonInput.
void parseContactInformationV2(const Poco::Dynamic::Var& value, const std::string& path,
                               PersonInput& input, std::vector<Violation>& violations);

// Checks one custom attribute value against its definition; returns the problem or "".
std::string checkAttributeValue(const AttributeDef& def, const Poco::Dynamic::Var& value);

// PUT (kReplace): omitted attributes, tags and contacts are cleared. PATCH (kMerge): given values
// replace, tags and contacts are appended.
Person applyInput(const Person& base, const PersonInput& input, WriteMode mode);

// Adds contacts not already present (emails compared case-insensitively); a primary newcomer
// takes the primary flag from the others.
void appendContacts(std::vector<Contact>& target, const std::vector<Contact>& added, bool email);

bool sameContact(const Contact& a, const Contact& b, bool email);

}  // namespace ferry::sandbox::people
