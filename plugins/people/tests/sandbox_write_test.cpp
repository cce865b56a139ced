// Writes, lookups, custom attributes and companies against the People sandbox.
#include "sandbox_fixture.hpp"

namespace ferry::plugins::people::testing {
namespace {

using Outcome = sdk::WriteResult::Outcome;
using sdk::List;
using sdk::Object;

Object contacts(List emails, List phones = {}) {
  Object o;
  if (!emails.empty()) o.set("email", std::move(emails));
  if (!phones.empty()) o.set("phone", std::move(phones));
  return o;
}

TEST_F(PeopleSandboxTest, UpsertCreatesUpdatesAndReplaysAsNotModified) {
  auto& c = connect();
  const std::vector<sdk::WriteOp> ops = {
      create({{"firstName", "Ana"},
              {"lastName", "Horvat"},
              {"contactInformation", contacts({"ana@example.com"}, {"+385911234567"})}},
             "sf-003A"),
      create({{"externalId", "sf-003B"}, {"lastName", "Kovač"}, {"tags", List{"VIP"}}},
             "ignored-key")};
  auto first = c.write("Customer", ops);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].outcome, Outcome::kCreated);
  EXPECT_EQ((*first)[1].outcome, Outcome::kCreated);
  const std::string ana = (*first)[0].id;

  const auto stored = person(ana);
  EXPECT_EQ(*at(stored, "externalId"),
            sdk::Value("sf-003A"));  // the source key, as no externalId was mapped
  EXPECT_EQ(*at(stored, "type"), sdk::Value("CUSTOMER"));
  EXPECT_EQ(at(stored, "contactInformation")->toJson(),
            R"({"email":[{"address":"ana@example.com"}],"phone":[{"number":"385911234567"}]})");
  EXPECT_EQ(*at(person((*first)[1].id), "externalId"), sdk::Value("sf-003B"));

  // A replayed batch (crash after the write, before the commit) changes nothing.
  auto replay = c.write("Customer", ops);
  ASSERT_TRUE(replay);
  EXPECT_EQ((*replay)[0].outcome, Outcome::kUnchanged);
  EXPECT_EQ((*replay)[0].id, ana);
  EXPECT_EQ((*replay)[1].outcome, Outcome::kUnchanged);

  auto changed =
      c.write("Customer", {update(ana, {{"externalId", "sf-003A"}, {"city", "Zagreb"}})});
  ASSERT_TRUE(changed);
  EXPECT_EQ((*changed)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ(*at(person(ana), "city"), sdk::Value("Zagreb"));
  EXPECT_EQ(*at(person(ana), "firstName"), sdk::Value("Ana"));  // partial: untouched
}

TEST_F(PeopleSandboxTest, InvalidContactsAreRejectedWithTheirFieldOthersWritten) {
  auto& c = connect();
  auto results = c.write(
      "Customer", {create({{"externalId", "e1"}, {"contactInformation", contacts({"joe@@bad"})}}),
                   create({{"externalId", "e2"}, {"contactInformation", contacts({}, {"+12"})}}),
                   create({{"externalId", "e3"}, {"lastName", "Fine"}})});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ((*results)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*results)[0].field, "contactInformation.email");
  EXPECT_EQ((*results)[0].error->code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_FALSE((*results)[0].error->retriable);
  EXPECT_EQ((*results)[0].error->remoteCode, "400100");
  ASSERT_EQ((*results)[1].outcome, Outcome::kRejected);
  EXPECT_EQ((*results)[1].field, "contactInformation.phone");
  EXPECT_EQ((*results)[2].outcome, Outcome::kCreated);
}

TEST_F(PeopleSandboxTest, UniquenessConflictNamesTheOtherPerson) {
  auto& c = connect();
  auto made = c.write(
      "Customer",
      {create({{"externalId", "a"}, {"contactInformation", contacts({"ana@example.com"})}}),
       create({{"externalId", "b"}, {"contactInformation", contacts({"bo@example.com"})}})});
  ASSERT_TRUE(made);
  const std::string anaId = (*made)[0].id;
  const std::string boId = (*made)[1].id;
  // Bo takes Ana's email: the identifiers point at two persons.
  auto clash = c.write(
      "Customer",
      {update(boId, {{"externalId", "b"}, {"contactInformation", contacts({"ANA@example.com"})}})});
  ASSERT_TRUE(clash);
  const auto& r = (*clash)[0];
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.error->code, sdk::ErrorCode::kConflict);
  EXPECT_FALSE(r.error->retriable);
  EXPECT_EQ(r.conflictingId, anaId);
  EXPECT_NE(r.error->message.find(anaId), std::string::npos) << r.error->message;
}

TEST_F(PeopleSandboxTest, ReplacedEmailRemovedPhoneAndDroppedTagAreRemoved) {
  auto& c = connect();
  const Object before{{"externalId", "x1"},
                      {"tags", List{"A", "B"}},
                      {"contactInformation", contacts({"old@example.com"}, {"+385911111111"})}};
  auto made = c.write("Customer", {create(before)});
  ASSERT_TRUE(made);
  const std::string id = (*made)[0].id;
  const Object after{
      {"externalId", "x1"},
      {"tags", List{"B"}},
      {"contactInformation", Object{{"email", List{"new@example.com"}}, {"phone", List{}}}}};
  auto written = c.write("Customer", {update(id, after, before)});
  ASSERT_TRUE(written);
  ASSERT_EQ((*written)[0].outcome, Outcome::kUpdated) << (*written)[0].error->message;
  const auto stored = person(id);
  EXPECT_EQ(at(stored, "contactInformation.email")->toJson(), R"([{"address":"new@example.com"}])");
  const auto* phones = at(stored, "contactInformation.phone");
  EXPECT_TRUE(phones == nullptr || (phones->isList() && phones->asList().empty()))
      << phones->toJson();
  EXPECT_EQ(at(stored, "tags")->toJson(), R"(["B"])");
  // The old email is free again.
  auto reuse = c.write(
      "Customer",
      {create({{"externalId", "x2"}, {"contactInformation", contacts({"old@example.com"})}})});
  ASSERT_TRUE(reuse);
  EXPECT_EQ((*reuse)[0].outcome, Outcome::kCreated);
}

TEST_F(PeopleSandboxTest, LeadConversionTurnsTheSamePersonIntoACustomer) {
  auto& c = connect({{"reconcile_interval", 1000}});
  auto lead = c.write("Lead", {create({{"externalId", "sf-00Q1"},
                                       {"lastName", "Novak"},
                                       {"contactInformation", contacts({"novak@example.com"})}})});
  ASSERT_TRUE(lead);
  const std::string id = (*lead)[0].id;
  const auto baseline = readAll(c, "Lead", "");
  ASSERT_EQ(baseline.changes.size(), 1u);

  // The converted Contact arrives under its own Salesforce id, matched by the email.
  auto converted =
      c.write("Customer", {create({{"externalId", "sf-00Q1"},
                                   {"lastName", "Novak"},
                                   {"contactInformation", contacts({"novak@example.com"})}})});
  ASSERT_TRUE(converted);
  EXPECT_EQ((*converted)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ((*converted)[0].id, id);
  EXPECT_EQ(*at(person(id), "type"), sdk::Value("CUSTOMER"));

  // A later update from the Lead flow leaves the Customer a Customer.
  auto leadEdit =
      c.write("Lead", {update(id, {{"externalId", "sf-00Q1"}, {"lastName", "Novak-Horvat"}})});
  ASSERT_TRUE(leadEdit);
  EXPECT_EQ((*leadEdit)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ(*at(person(id), "type"), sdk::Value("CUSTOMER"));

  host_.clock.advance(std::chrono::seconds(2));  // reconciliation due
  const auto after = readAll(c, "Lead", baseline.cursor);
  ASSERT_EQ(after.changes.size(), 1u);
  EXPECT_EQ(after.changes[0].op, sdk::Change::Op::kDelete);
  ASSERT_TRUE(after.changes[0].successor);
  EXPECT_EQ(after.changes[0].successor->reason, sdk::Successor::Reason::kConverted);
  EXPECT_EQ(after.changes[0].successor->entity, "Customer");
  EXPECT_EQ(after.changes[0].successor->id, id);
}

TEST_F(PeopleSandboxTest, CustomAttributesMustBeDefinedUnlessProvisioned) {
  admin("POST", "customAttributes", R"({"name":"Loyalty Tier","dataType":"STRING"})");
  auto& strict = connect();
  auto schemas = strict.describe();
  ASSERT_TRUE(schemas) << schemas.error().message;
  const auto* tier = (*schemas)[0].field("customAttributes.Loyalty Tier");
  ASSERT_NE(tier, nullptr);
  EXPECT_EQ(tier->type, sdk::FieldType::kString);

  auto refused = strict.write(
      "Customer", {create({{"externalId", "c1"},
                           {"customAttributes", Object{{"Since", sdk::Date{2020, 5, 1}}}}})});
  ASSERT_TRUE(refused);
  ASSERT_EQ((*refused)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*refused)[0].field, "customAttributes.Since");

  auto& provisioning = connect({{"provision_custom_attributes", true}});
  auto written = provisioning.write(
      "Customer", {create({{"externalId", "c1"},
                           {"customAttributes",
                            Object{{"Since", sdk::Date{2020, 5, 1}}, {"Loyalty Tier", "Gold"}}}})});
  ASSERT_TRUE(written);
  ASSERT_EQ((*written)[0].outcome, Outcome::kCreated) << (*written)[0].error->message;
  EXPECT_EQ(at(person((*written)[0].id), "customAttributes")->toJson(),
            R"({"Loyalty Tier":"Gold","Since":"2020-05-01"})");
  auto refreshed = strict.describe();
  ASSERT_TRUE(refreshed);
  ASSERT_NE((*refreshed)[0].field("customAttributes.Since"), nullptr);
  EXPECT_EQ((*refreshed)[0].field("customAttributes.Since")->type, sdk::FieldType::kDate);
}

TEST_F(PeopleSandboxTest, CompaniesAreCreatedOnceAndPersonsLinked) {
  auto& c = connect();
  const auto op =
      create({{"externalId", "sf-001A"}, {"name", "Northwind"}, {"domains", "northwind.example"}});
  auto first = c.write("Company", {op});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ((*first)[0].outcome, Outcome::kCreated) << (*first)[0].error->message;
  auto replay = c.write("Company", {op});
  ASSERT_TRUE(replay);
  EXPECT_EQ((*replay)[0].outcome, Outcome::kUpdated);
  EXPECT_EQ((*replay)[0].id, (*first)[0].id);
  auto duplicate = c.write("Company", {create({{"name", "NORTHWIND"}})});
  ASSERT_TRUE(duplicate);
  EXPECT_EQ((*duplicate)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*duplicate)[0].error->code, sdk::ErrorCode::kConflict);

  auto linked = c.write(
      "Customer", {create({{"externalId", "p1"}, {"company", Object{{"externalId", "sf-001A"}}}}),
                   create({{"externalId", "p2"}, {"company", Object{{"externalId", "sf-404"}}}})});
  ASSERT_TRUE(linked);
  EXPECT_EQ((*linked)[0].outcome, Outcome::kCreated);
  ASSERT_EQ((*linked)[1].outcome, Outcome::kRejected);
  EXPECT_TRUE((*linked)[1].error->retriable);  // the company may be synced later
  EXPECT_EQ((*linked)[1].field, "company.externalId");
  const auto dump = admin("GET", "dump");
  EXPECT_NE(at(dump, "companyLinks")->toJson().find((*linked)[0].id), std::string::npos)
      << at(dump, "companyLinks")->toJson();

  auto companies = c.lookup("Company", {sdk::LookupQuery{{{"externalId", "sf-001A"}}}}, {});
  ASSERT_TRUE(companies) << companies.error().message;
  ASSERT_EQ((*companies)[0].size(), 1u);
  EXPECT_EQ(*(*companies)[0][0].fields.find("name"), sdk::Value("Northwind"));

  auto removed = c.write("Company", {remove((*first)[0].id)});
  ASSERT_TRUE(removed);
  EXPECT_EQ((*removed)[0].outcome, Outcome::kDeleted);
}

// Companies have no batch lookup: many keys in a small account are answered from the listing
// (one call a 1000 companies) instead of a GET per key at 5/s; a couple of keys still use GETs.
TEST_F(PeopleSandboxTest, ManyCompanyLookupsReadTheListingInsteadOfOneCallPerKey) {
  auto& c = connect();
  std::vector<sdk::WriteOp> ops;
  for (int i = 0; i < 30; ++i) {
    const std::string n = std::to_string(i);
    ops.push_back(create(
        {{"externalId", "sf-" + n}, {"name", "Company " + n}, {"domains", "c" + n + ".example"}}));
  }
  auto made = c.write("Company", ops);
  ASSERT_TRUE(made) << made.error().message;
  std::vector<sdk::LookupQuery> queries;
  for (int i = 0; i < 20; ++i) {
    queries.push_back(sdk::LookupQuery{{{"externalId", "sf-" + std::to_string(i)}}});
  }
  queries.push_back(sdk::LookupQuery{{{"name", "COMPANY 25"}}});        // case-insensitive
  queries.push_back(sdk::LookupQuery{{{"domains", "C26.example"}}});    // a domain
  queries.push_back(sdk::LookupQuery{{{"id", (*made)[27].id}}});        // People's id
  queries.push_back(sdk::LookupQuery{{{"externalId", "sf-missing"}}});  // nothing
  const auto before = server_->counters().calls("people GET /people/2/companies");
  auto found = c.lookup("Company", queries, {});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(server_->counters().calls("people GET /people/2/companies") - before, 1u);
  ASSERT_EQ(found->size(), queries.size());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ((*found)[i].size(), 1u) << i;
    EXPECT_EQ((*found)[i][0].id, (*made)[i].id) << i;
  }
  ASSERT_EQ((*found)[20].size(), 1u);
  EXPECT_EQ((*found)[20][0].id, (*made)[25].id);
  ASSERT_EQ((*found)[21].size(), 1u);
  EXPECT_EQ((*found)[21][0].id, (*made)[26].id);
  ASSERT_EQ((*found)[22].size(), 1u);
  EXPECT_EQ((*found)[22][0].id, (*made)[27].id);
  EXPECT_TRUE((*found)[23].empty());

  const auto beforeFew = server_->counters().calls("people GET /people/2/companies");
  auto few = c.lookup("Company", {queries[0], queries[1]}, {});
  ASSERT_TRUE(few) << few.error().message;
  EXPECT_EQ(server_->counters().calls("people GET /people/2/companies") - beforeFew, 2u);
  ASSERT_EQ((*few)[1].size(), 1u);
  EXPECT_EQ((*few)[1][0].id, (*made)[1].id);
}

TEST_F(PeopleSandboxTest, LookupsMatchOnAnyIdentifier) {
  auto& c = connect();
  auto made =
      c.write("Customer",
              {create({{"externalId", "sf-1"},
                       {"lastName", "Horvat"},
                       {"contactInformation", contacts({"ana@example.com"}, {"+385911234567"})}})});
  ASSERT_TRUE(made);
  const std::string id = (*made)[0].id;
  const std::vector<sdk::LookupQuery> queries = {
      {{{"contactInformation.email", "ANA@Example.com"}}},
      {{{"contactInformation.phone", "+385911234567"}}},
      {{{"externalId", "sf-1"}, {"contactInformation.email", List{"ana@example.com"}}}},
      {{{"id", id}}},
      {{{"externalId", "nobody"}}}};
  auto found = c.lookup("Customer", queries, {"lastName"});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 5u);
  for (std::size_t q = 0; q < 4; ++q) {
    ASSERT_EQ((*found)[q].size(), 1u) << q;
    EXPECT_EQ((*found)[q][0].id, id);
    EXPECT_EQ(*(*found)[q][0].fields.find("lastName"), sdk::Value("Horvat"));
    EXPECT_GT((*found)[q][0].modifiedAtMs, 0);
  }
  EXPECT_TRUE((*found)[4].empty());
  auto bad = c.lookup("Customer", {{{{"city", "Zagreb"}}}}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, sdk::ErrorCode::kInvalidArgument);
}

TEST_F(PeopleSandboxTest, DeletesAreIdempotent) {
  auto& c = connect();
  auto made = c.write("Customer", {create({{"externalId", "d1"}})});
  ASSERT_TRUE(made);
  const sdk::WriteOp del = remove((*made)[0].id);
  for (int round = 0; round < 2; ++round) {
    auto gone = c.write("Customer", {del});
    ASSERT_TRUE(gone);
    EXPECT_EQ((*gone)[0].outcome, Outcome::kDeleted) << round;
  }
  EXPECT_TRUE(person((*made)[0].id).isNull());
}

TEST_F(PeopleSandboxTest, RefusedKeyIsUnauthenticatedAndOAuthRenewsExpiredTokens) {
  (void)host_.secrets.put("wrong_key", "nope");
  auto& bad = connect({{"api_key", "wrong_key"}});
  auto refused = bad.lookup("Customer", {{{{"externalId", "x"}}}}, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::kUnauthenticated);
  EXPECT_EQ(refused.error().message.find("nope"), std::string::npos);
  ASSERT_FALSE(host_.healthReports().empty());
  EXPECT_EQ(host_.healthReports().back().health, sdk::ConnectionHealth::kNeedsReauthorization);

  auto& oauth = connect({{"auth_method", "oauth_client_credentials"}});
  auto first = oauth.write("Customer", {create({{"externalId", "o1"}})});
  ASSERT_TRUE(first) << first.error().message;
  server_->expireTokens();
  auto second = oauth.write("Customer", {create({{"externalId", "o2"}})});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ((*second)[0].outcome, Outcome::kCreated);
}

}  // namespace
}  // namespace ferry::plugins::people::testing
