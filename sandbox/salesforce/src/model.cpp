#include "model.hpp"

#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "ferry/sandbox/http_util.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr const char* kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Field builders keep the schema table below readable.
FieldDef field(std::string name, std::string label, FieldType type, int length = 0) {
  FieldDef def;
  def.name = std::move(name);
  def.label = std::move(label);
  def.type = type;
  def.length = length;
  def.custom = def.name.size() > 3 && def.name.ends_with("__c");
  switch (type) {
    case FieldType::kId:
    case FieldType::kReference:
      def.length = 18;
      break;
    case FieldType::kEmail:
      if (!def.length) def.length = 80;
      break;
    case FieldType::kPhone:
      if (!def.length) def.length = 40;
      break;
    case FieldType::kUrl:
      if (!def.length) def.length = 255;
      break;
    case FieldType::kPicklist:
      if (!def.length) def.length = 255;
      break;
    case FieldType::kBoolean:
      def.nillable = false;
      def.defaultedOnCreate = true;
      break;
    case FieldType::kTextarea:
      def.sortable = def.filterable = def.length <= 255;
      break;
    default:
      break;
  }
  return def;
}

FieldDef readOnly(FieldDef def) {
  def.createable = false;
  def.updateable = false;
  return def;
}

FieldDef required(FieldDef def) {
  def.nillable = false;
  return def;
}

FieldDef reference(std::string name, std::string label, std::string target,
                   std::string relationship) {
  FieldDef def = field(std::move(name), std::move(label), FieldType::kReference);
  def.referenceTo = {std::move(target)};
  def.relationshipName = std::move(relationship);
  return def;
}

FieldDef picklist(std::string name, std::string label, std::vector<std::string> values,
                  std::string defaultValue = "") {
  FieldDef def = field(std::move(name), std::move(label), FieldType::kPicklist);
  for (auto& value : values) def.picklist.push_back({value, value == defaultValue});
  return def;
}

FieldDef number(std::string name, std::string label, FieldType type, int precision, int scale) {
  FieldDef def = field(std::move(name), std::move(label), type);
  if (type == FieldType::kInt)
    def.digits = precision;
  else {
    def.precision = precision;
    def.scale = scale;
  }
  return def;
}

FieldDef externalIdField(std::string name, std::string label, bool unique) {
  FieldDef def = field(std::move(name), std::move(label), FieldType::kString, 255);
  def.externalId = true;
  def.idLookup = true;
  def.unique = unique;
  return def;
}

// Fields every object carries (reference §10): Id, owner, audit fields, delete/merge markers.
void addSystemFields(std::vector<FieldDef>& fields, const std::string& objectName) {
  FieldDef id = readOnly(field("Id", objectName + " ID", FieldType::kId));
  id.nillable = false;
  id.defaultedOnCreate = true;
  id.idLookup = true;
  fields.insert(fields.begin(), id);
  FieldDef deleted = readOnly(field("IsDeleted", "Deleted", FieldType::kBoolean));
  fields.push_back(deleted);
  fields.push_back(
      readOnly(reference("MasterRecordId", "Master Record ID", objectName, "MasterRecord")));
  FieldDef owner = reference("OwnerId", "Owner ID", "User", "Owner");
  owner.nillable = false;
  owner.defaultedOnCreate = true;
  fields.push_back(owner);
  fields.push_back(field("Description", "Description", FieldType::kTextarea, 32000));
  for (const char* name : {"CreatedDate", "LastModifiedDate", "SystemModstamp"}) {
    FieldDef stamp = readOnly(field(name, name, FieldType::kDateTime));
    stamp.nillable = false;
    stamp.defaultedOnCreate = true;
    fields.push_back(stamp);
  }
  fields.back().label = "System Modstamp";
  for (const char* name : {"CreatedById", "LastModifiedById"}) {
    FieldDef user = readOnly(
        reference(name, name, "User", std::string(name).substr(0, std::string(name).size() - 2)));
    user.nillable = false;
    user.defaultedOnCreate = true;
    fields.push_back(user);
  }
}

void addAddress(std::vector<FieldDef>& fields, const std::string& prefix) {
  std::string label = prefix.empty() ? "" : prefix + " ";
  fields.push_back(field(prefix + "Street", label + "Street", FieldType::kTextarea, 255));
  fields.push_back(field(prefix + "City", label + "City", FieldType::kString, 40));
  fields.push_back(field(prefix + "State", label + "State/Province", FieldType::kString, 80));
  fields.push_back(field(prefix + "PostalCode", label + "Zip/Postal Code", FieldType::kString, 20));
  fields.push_back(field(prefix + "Country", label + "Country", FieldType::kString, 80));
}

const std::vector<std::string> kIndustries = {
    "Agriculture", "Banking", "Communications", "Consulting",     "Education",
    "Healthcare",  "Retail",  "Technology",     "Transportation", "Other"};
const std::vector<std::string> kLeadSources = {"Web", "Phone Inquiry", "Partner Referral",
                                               "Purchased List", "Other"};
const std::vector<std::string> kRatings = {"Hot", "Warm", "Cold"};
const std::vector<std::string> kSalutations = {"Mr.", "Ms.", "Mrs.", "Dr.", "Prof."};

ObjectDef finish(ObjectDef object) {
  for (size_t i = 0; i < object.fields.size(); ++i) {
    object.byLowerName[toLower(object.fields[i].name)] = i;
    if (!object.fields[i].relationshipName.empty())
      object.byLowerRelationship[toLower(object.fields[i].relationshipName)] = i;
  }
  object.isDeletedIndex = object.require("IsDeleted");
  return object;
}

ObjectDef accountObject() {
  ObjectDef object{"Account", "Account", "Accounts", "001", {}, {}, {}};
  auto& f = object.fields;
  f.push_back(required(field("Name", "Account Name", FieldType::kString, 255)));
  f.push_back(field("AccountNumber", "Account Number", FieldType::kString, 40));
  f.push_back(field("Site", "Account Site", FieldType::kString, 80));
  f.push_back(picklist("Type", "Account Type",
                       {"Prospect", "Customer - Direct", "Customer - Channel",
                        "Channel Partner / Reseller", "Other"}));
  f.push_back(picklist("Industry", "Industry", kIndustries));
  f.push_back(picklist("Rating", "Account Rating", kRatings));
  f.push_back(picklist("Ownership", "Ownership", {"Public", "Private", "Subsidiary", "Other"}));
  f.push_back(field("Phone", "Account Phone", FieldType::kPhone));
  f.push_back(field("Fax", "Account Fax", FieldType::kPhone));
  f.push_back(field("Website", "Website", FieldType::kUrl));
  addAddress(f, "Billing");
  addAddress(f, "Shipping");
  f.push_back(number("NumberOfEmployees", "Employees", FieldType::kInt, 8, 0));
  f.push_back(number("AnnualRevenue", "Annual Revenue", FieldType::kCurrency, 18, 0));
  f.push_back(reference("ParentId", "Parent Account ID", "Account", "Parent"));
  f.push_back(externalIdField("Ferry_External_Id__c", "Ferry External ID", true));
  addSystemFields(f, "Account");
  return finish(std::move(object));
}

ObjectDef contactObject() {
  ObjectDef object{"Contact", "Contact", "Contacts", "003", {}, {}, {}};
  auto& f = object.fields;
  f.push_back(required(field("LastName", "Last Name", FieldType::kString, 80)));
  f.push_back(field("FirstName", "First Name", FieldType::kString, 40));
  f.push_back(picklist("Salutation", "Salutation", kSalutations));
  f.push_back(readOnly(field("Name", "Full Name", FieldType::kString, 121)));
  f.back().nillable = false;
  f.back().calculated = true;
  f.push_back(reference("AccountId", "Account ID", "Account", "Account"));
  f.push_back(field("Email", "Email", FieldType::kEmail));
  f.back().idLookup = true;
  f.push_back(field("Title", "Title", FieldType::kString, 128));
  f.push_back(field("Department", "Department", FieldType::kString, 80));
  for (auto [name, label] : {std::pair{"Phone", "Business Phone"},
                             {"MobilePhone", "Mobile Phone"},
                             {"HomePhone", "Home Phone"},
                             {"OtherPhone", "Other Phone"},
                             {"Fax", "Business Fax"},
                             {"AssistantPhone", "Asst. Phone"}})
    f.push_back(field(name, label, FieldType::kPhone));
  addAddress(f, "Mailing");
  addAddress(f, "Other");
  f.push_back(field("Birthdate", "Birthdate", FieldType::kDate));
  f.push_back(field("HasOptedOutOfEmail", "Email Opt Out", FieldType::kBoolean));
  f.push_back(field("HasOptedOutOfFax", "Fax Opt Out", FieldType::kBoolean));
  f.push_back(field("DoNotCall", "Do Not Call", FieldType::kBoolean));
  f.push_back(picklist("LeadSource", "Lead Source", kLeadSources));
  f.push_back(reference("ReportsToId", "Reports To ID", "Contact", "ReportsTo"));
  f.push_back(externalIdField("Ferry_External_Id__c", "Ferry External ID", true));
  f.push_back(externalIdField("People_Person_Id__c", "People Person ID", false));
  addSystemFields(f, "Contact");
  return finish(std::move(object));
}

ObjectDef leadObject() {
  ObjectDef object{"Lead", "Lead", "Leads", "00Q", {}, {}, {}};
  auto& f = object.fields;
  f.push_back(required(field("LastName", "Last Name", FieldType::kString, 80)));
  f.push_back(field("FirstName", "First Name", FieldType::kString, 40));
  f.push_back(picklist("Salutation", "Salutation", kSalutations));
  f.push_back(field("MiddleName", "Middle Name", FieldType::kString, 40));
  f.push_back(field("Suffix", "Suffix", FieldType::kString, 40));
  f.push_back(readOnly(field("Name", "Full Name", FieldType::kString, 121)));
  f.back().nillable = false;
  f.back().calculated = true;
  f.push_back(required(field("Company", "Company", FieldType::kString, 255)));
  f.push_back(field("Title", "Title", FieldType::kString, 128));
  f.push_back(field("Email", "Email", FieldType::kEmail));
  f.back().idLookup = true;
  f.push_back(field("Phone", "Phone", FieldType::kPhone));
  f.push_back(field("MobilePhone", "Mobile Phone", FieldType::kPhone));
  f.push_back(field("Fax", "Fax", FieldType::kPhone));
  addAddress(f, "");
  f.push_back(field("Website", "Website", FieldType::kUrl));
  // Status: required, defaulted from the default LeadStatus value, restricted to the list.
  FieldDef status = picklist("Status", "Status",
                             {"Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                              "Closed - Not Converted"},
                             "Open - Not Contacted");
  status.nillable = false;
  status.defaultedOnCreate = true;
  status.restrictedPicklist = true;
  f.push_back(status);
  f.push_back(picklist("Industry", "Industry", kIndustries));
  f.push_back(picklist("LeadSource", "Lead Source", kLeadSources));
  f.push_back(picklist("Rating", "Rating", kRatings));
  f.push_back(number("AnnualRevenue", "Annual Revenue", FieldType::kCurrency, 18, 0));
  f.push_back(number("NumberOfEmployees", "Employees", FieldType::kInt, 8, 0));
  f.push_back(field("HasOptedOutOfEmail", "Email Opt Out", FieldType::kBoolean));
  f.push_back(field("HasOptedOutOfFax", "Fax Opt Out", FieldType::kBoolean));
  f.push_back(field("DoNotCall", "Do Not Call", FieldType::kBoolean));
  f.push_back(readOnly(field("IsConverted", "Converted", FieldType::kBoolean)));
  f.push_back(readOnly(field("ConvertedDate", "Converted Date", FieldType::kDate)));
  f.push_back(readOnly(
      reference("ConvertedAccountId", "Converted Account ID", "Account", "ConvertedAccount")));
  f.push_back(readOnly(
      reference("ConvertedContactId", "Converted Contact ID", "Contact", "ConvertedContact")));
  f.push_back(readOnly(reference("ConvertedOpportunityId", "Converted Opportunity ID",
                                 "Opportunity", "ConvertedOpportunity")));
  f.push_back(externalIdField("Ferry_External_Id__c", "Ferry External ID", true));
  f.push_back(externalIdField("People_Person_Id__c", "People Person ID", false));
  addSystemFields(f, "Lead");
  return finish(std::move(object));
}

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool digits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool validCalendar(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string formatDateTimeWith(int64_t ms, const char* zone) {
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rest = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buffer[96];  // room for any int64 year, which silences -Wformat-truncation
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lld%s",
                static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000), zone);
  return buffer;
}

}  // namespace

std::string_view fieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kId:
      return "id";
    case FieldType::kString:
      return "string";
    case FieldType::kTextarea:
      return "textarea";
    case FieldType::kEmail:
      return "email";
    case FieldType::kPhone:
      return "phone";
    case FieldType::kUrl:
      return "url";
    case FieldType::kPicklist:
      return "picklist";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kInt:
      return "int";
    case FieldType::kDouble:
      return "double";
    case FieldType::kCurrency:
      return "currency";
    case FieldType::kDate:
      return "date";
    case FieldType::kDateTime:
      return "datetime";
    case FieldType::kReference:
      return "reference";
  }
  return "string";
}

std::string_view soapTypeName(FieldType type) {
  switch (type) {
    case FieldType::kId:
    case FieldType::kReference:
      return "tns:ID";
    case FieldType::kBoolean:
      return "xsd:boolean";
    case FieldType::kInt:
      return "xsd:int";
    case FieldType::kDouble:
    case FieldType::kCurrency:
      return "xsd:double";
    case FieldType::kDate:
      return "xsd:date";
    case FieldType::kDateTime:
      return "xsd:dateTime";
    default:
      return "xsd:string";
  }
}

const FieldDef* ObjectDef::field(std::string_view name) const {
  auto i = index(name);
  return i ? &fields[*i] : nullptr;
}

std::optional<size_t> ObjectDef::index(std::string_view name) const {
  auto it = byLowerName.find(toLower(name));
  if (it == byLowerName.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> ObjectDef::relationshipIndex(std::string_view name) const {
  auto it = byLowerRelationship.find(toLower(name));
  if (it == byLowerRelationship.end()) return std::nullopt;
  return it->second;
}

size_t ObjectDef::require(std::string_view name) const {
  auto i = index(name);
  if (!i) throw std::logic_error("schema lacks field " + std::string(name));
  return *i;
}

Schema::Schema() {
  objects_.push_back(accountObject());
  objects_.push_back(contactObject());
  objects_.push_back(leadObject());
}

const ObjectDef* Schema::object(std::string_view name) const {
  for (const auto& object : objects_)
    if (iequals(object.name, name)) return &object;
  return nullptr;
}

const ObjectDef* Schema::objectForId(std::string_view id) const {
  if (id.size() < 3) return nullptr;
  for (const auto& object : objects_)
    if (id.substr(0, 3) == object.keyPrefix) return &object;
  return nullptr;
}

std::string idChecksum(std::string_view id15) {
  static const char* kMap = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string suffix;
  for (int chunk = 0; chunk < 3; ++chunk) {
    int flags = 0;
    for (int i = 0; i < 5; ++i) {
      char c = id15[static_cast<size_t>(chunk * 5 + i)];
      if (c >= 'A' && c <= 'Z') flags |= 1 << i;
    }
    suffix += kMap[flags];
  }
  return suffix;
}

std::string makeId(std::string_view keyPrefix, uint64_t serial) {
  // prefix(3) + pod "5g" + "00000" + serial in base62 (5 chars): sorts in creation order.
  std::string tail(5, '0');
  for (int i = 4; i >= 0 && serial > 0; --i) {
    tail[static_cast<size_t>(i)] = kBase62[serial % 62];
    serial /= 62;
  }
  std::string id15 = std::string(keyPrefix) + "5g00000" + tail;
  return id15 + idChecksum(id15);
}

std::optional<std::string> normalizeId(std::string_view id) {
  if (id.size() != 15 && id.size() != 18) return std::nullopt;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  std::string id15(id.substr(0, 15));
  std::string checksum = idChecksum(id15);
  if (id.size() == 18 && !iequals(id.substr(15), checksum)) return std::nullopt;
  return id15 + checksum;
}

std::string formatDateTime(int64_t ms) { return formatDateTimeWith(ms, "+0000"); }
std::string formatDateTimeZ(int64_t ms) { return formatDateTimeWith(ms, "Z"); }
std::string formatDate(int64_t ms) { return formatDateTimeWith(ms, "").substr(0, 10); }

bool isValidDate(std::string_view text) {
  int y, m, d;
  return text.size() == 10 && digits(text, 0, 4, y) && text[4] == '-' && digits(text, 5, 2, m) &&
         text[7] == '-' && digits(text, 8, 2, d) && validCalendar(y, m, d);
}

std::optional<int64_t> parseDateTime(std::string_view text) {
  int y, mo, d, h, mi, s;
  if (text.size() < 20 || !isValidDate(text.substr(0, 10)) || (text[10] != 'T' && text[10] != 't'))
    return std::nullopt;
  digits(text, 0, 4, y);
  digits(text, 5, 2, mo);
  digits(text, 8, 2, d);
  if (!digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' ||
      !digits(text, 17, 2, s) || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  size_t pos = 19;
  int64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fraction += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offsetMinutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(text, pos + 1, 2, oh)) return std::nullopt;
    size_t next = pos + 3;
    if (next < text.size() && text[next] == ':') ++next;
    if (!digits(text, next, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offsetMinutes = sign * (oh * 60 + om);
    pos = next + 2;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi - offsetMinutes) * 60000 + s * 1000 + fraction;
}

}  // namespace ferry::sandbox::salesforce
