// The account's persons with their unique indexes (externalId, email case-insensitively, phone),
// plus custom attribute definitions, tags and companies, and the whole state as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/sandbox/json_writer.hpp"
#include "model.hpp"

namespace ferry::sandbox::people {

// The `type` of an identifier query (§4).
enum class IdentifierType { kId, kExternalId, kEmail, kPhone, kChannel };
std::optional<IdentifierType> parseIdentifierType(const std::string& type);

// An identifier of a candidate person that another person already holds.
struct Conflict {
  std::string kind;  // externalId | email | phone
  std::string value;
  int64_t personId = 0;
  std::string message() const;  // "Destination(email) ana@example.com already exists."
};

class PeopleStore {
 public:
  const Person* find(int64_t id) const;
  // Single-person lookup by identifier; channel identifiers never match (no channel data here).
  const Person* find(IdentifierType type, const std::string& identifier) const;
  // The first identifier of `candidate` held by a person other than candidate.id.
  std::optional<Conflict> findConflict(const Person& candidate) const;
  // Ids of persons holding any identifier of `candidate` (externalId, emails, phones), ascending.
  std::vector<int64_t> holdersOf(const Person& candidate) const;

  // Stores a new person (id assigned unless restoring) and indexes its identifiers. The caller has
  // checked findConflict.
  const Person& insert(Person person);
  const Person& replace(const Person& person);
  void erase(int64_t id);
  const std::map<int64_t, Person>& persons() const { return persons_; }

  std::map<std::string, AttributeDef>& attributes() { return attributes_; }
  const std::map<std::string, AttributeDef>& attributes() const { return attributes_; }
  void eraseAttribute(const std::string& name);  // definition and every stored value

  const std::map<std::string, Tag>& tags() const { return tags_; }
  const Tag* findTag(const std::string& name) const;
  // Creates the tag definition on first use (persons may carry new tags on any write).
  const Tag& ensureTag(const std::string& name, const std::string& now);
  void eraseTag(const std::string& name);  // definition and the tag on every person

  const std::map<int64_t, Company>& companies() const { return companies_; }
  const Company* findCompany(int64_t id) const;
  const Company* findCompanyByName(const std::string& name) const;  // case-insensitive
  const Company* findCompanyByExternalId(const std::string& externalId) const;
  const Company* findCompanyByDomain(const std::string& domain) const;
  const Company& insertCompany(Company company);
  const Company& replaceCompany(const Company& company);
  void eraseCompany(int64_t id);  // also unlinks its persons
  void linkPerson(int64_t personId, std::optional<int64_t> companyId);

  void clear();
  std::string toJson() const;
  // Replaces the whole state; throws std::runtime_error (naming the problem) on bad input and
  // leaves the store unchanged.
  void fromJson(const std::string& json);

 private:
  void index(const Person& person);
  void unindex(const Person& person);

  std::map<int64_t, Person> persons_;
  std::unordered_map<std::string, int64_t> byExternalId_;
  std::unordered_map<std::string, int64_t> byEmail_;  // lower-cased
  std::unordered_map<std::string, int64_t> byPhone_;
  std::map<std::string, AttributeDef> attributes_;
  std::map<std::string, Tag> tags_;
  std::map<int64_t, Company> companies_;
  int64_t nextPersonId_ = 1000001;
  int64_t nextTagId_ = 1;
  int64_t nextCompanyId_ = 5000001;
};

// Person as the v2 API returns it (§5), also used inside snapshots and webhooks' dumps.
void writePersonV2(JsonWriter& writer, const Person& person);
void writeAttributeDef(JsonWriter& writer, const AttributeDef& def);
void writeTag(JsonWriter& writer, const Tag& tag);
void writeCompany(JsonWriter& writer, const Company& company);

// Company attributes with their documented maximum lengths, in output order.
const std::vector<FieldSpec>& companyFieldSpecs();

}  // namespace ferry::sandbox::people
