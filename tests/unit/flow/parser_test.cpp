#include <gtest/gtest.h>

#include "ferry/host/flow/parser.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {
namespace {

constexpr const char* kDesignExample = R"(flow: contacts-to-customers
description: Contacts both ways
source: { connection: salesforce, entity: Contact }
sink:   { connection: people, entity: Customer }
direction: two-way
schedule: { every: 10s }
batch_size: 500
match: [ { source: Email, sink: contactInformation.email }, MobilePhone ]
map:
  FirstName: firstName
  LastName:  lastName
  Email:     { to: contactInformation.email, transform: [trim, lower] }
  MobilePhone: { to: contactInformation.phone, transform: [{ e164: { default_region: US } }] }
  MailingCountry: { to: country, default: Unknown, reverse: false }
constants: { sink: { type: CUSTOMER }, source: { LeadSource: Other } }
defaults: { sink: { city: Unknown } }
conflicts: manual
deletes: { policy: tag, tag: Deleted }
errors: { max_attempts: 3, base_delay: 1s, max_delay: 2m }
filter:
  Status: { in: [Open, Working] }
  Birthdate: { ge: 2000-01-01, is_null: false }
  LeadSource: Web
)";

TEST(FlowParser, ReadsEveryPartOfAFlow) {
  Diagnostics diags;
  const auto spec = parseFlowSpec(kDesignExample, "f.yaml", diags);
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(diags.empty()) << diags.format();
  EXPECT_EQ(spec->name.value, "contacts-to-customers");
  EXPECT_EQ(spec->name.pos.line, 1);
  EXPECT_EQ(spec->name.pos.column, 7);
  EXPECT_EQ(spec->description, "Contacts both ways");
  EXPECT_EQ(spec->sourceConnection.value, "salesforce");
  EXPECT_EQ(spec->sinkEntity.value, "Customer");
  EXPECT_EQ(spec->sinkEntity.pos.line, 4);
  EXPECT_EQ(spec->mode.value, SyncMode::kTwoWay);
  EXPECT_EQ(spec->every.value, std::chrono::seconds(10));
  EXPECT_EQ(spec->batchSize.value, 500u);
  ASSERT_EQ(spec->match.size(), 2u);
  EXPECT_EQ(spec->match[0].sink->value, "contactInformation.email");
  EXPECT_EQ(spec->match[1].source.value, "MobilePhone");
  EXPECT_FALSE(spec->match[1].sink.has_value());
  ASSERT_EQ(spec->map.size(), 5u);
  EXPECT_EQ(spec->map[2].source.value, "Email");
  EXPECT_EQ(spec->map[2].target.value, "contactInformation.email");
  EXPECT_EQ(spec->map[2].pos.line, 12);
  ASSERT_EQ(spec->map[2].transforms.size(), 2u);
  EXPECT_EQ(spec->map[2].transforms[1].kind, TransformSpec::Kind::kLower);
  EXPECT_EQ(spec->map[3].transforms[0].text, "US");
  EXPECT_TRUE(spec->map[4].reverseDisabled);
  EXPECT_EQ(spec->map[4].defaultValue->value, sdk::Value("Unknown"));
  ASSERT_EQ(spec->constants.sink.size(), 1u);
  EXPECT_EQ(spec->constants.source[0].first.value, "LeadSource");
  EXPECT_EQ(spec->defaults.sink[0].second.value, sdk::Value("Unknown"));
  EXPECT_EQ(spec->conflicts.value, ConflictPolicy::kManual);
  EXPECT_EQ(spec->deletes.value, DeletePolicy::kTag);
  EXPECT_EQ(spec->deleteTag.value, "Deleted");
  EXPECT_EQ(spec->errors.maxAttempts, 3);
  EXPECT_EQ(spec->errors.maxDelay, std::chrono::minutes(2));
  ASSERT_EQ(spec->filter.size(), 4u);
  EXPECT_EQ(spec->filter[0].op, sdk::Condition::Op::kIn);
  EXPECT_EQ(spec->filter[0].values.size(), 2u);
  // Several operators on one field come out in operator-table order.
  EXPECT_EQ(spec->filter[1].op, sdk::Condition::Op::kNotNull);
  EXPECT_EQ(spec->filter[2].op, sdk::Condition::Op::kGe);
  EXPECT_EQ(spec->filter[3].op, sdk::Condition::Op::kEq);
  EXPECT_EQ(spec->definitionText, kDesignExample);
}

TEST(FlowParser, ReportsEveryProblemAtOnce) {
  Diagnostics diags;
  const auto spec = parseFlowSpec(R"(flow: Bad Name
sourc: { connection: salesforce, entity: Contact }
sink: { connection: people }
direction: sideways
map:
  A: { to: b, transform: [uppr] }
)",
                                  "bad.yaml", diags);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(diags.errorCount(), 6u) << diags.format();
  EXPECT_EQ(
      diags.format(),
      "bad.yaml:1:1: error: the flow needs the key \"source\"\n"
      "bad.yaml:1:7: error: flow name \"Bad Name\" is not a safe identifier: use lower-case "
      "letters, digits, '-' and '_', starting with a letter, at most 63 characters\n"
      "bad.yaml:2:1: error: unknown key \"sourc\" in the flow (did you mean \"source\"?)\n"
      "bad.yaml:3:7: error: \"sink\" needs the key \"entity\"\n"
      "bad.yaml:4:12: error: \"direction\" must be one of one-way, two-way, not \"sideways\"\n"
      "bad.yaml:6:27: error: unknown transform \"uppr\" (did you mean \"upper\"?)\n");
}

TEST(FlowParser, MalformedYamlNamesItsLine) {
  Diagnostics diags;
  EXPECT_FALSE(parseFlowSpec("flow: x\nmap: { a: b\nsink: c\n", "m.yaml", diags));
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].code, "yaml-syntax");
  EXPECT_GE(diags.all()[0].pos.line, 2);
  EXPECT_NE(diags.all()[0].message.find("malformed YAML"), std::string::npos);
}

TEST(FlowParser, DiagnosticsHaveAMachineReadableForm) {
  Diagnostics diags;
  (void)parseFlowSpec("flow: ok\nsoruce: x\n", "j.yaml", diags);
  const auto json = sdk::Value::fromJson(diags.toJson());
  ASSERT_TRUE(json && json->isList());
  bool sawUnknown = false;
  for (const auto& item : json->asList()) {
    const auto& o = item.asObject();
    EXPECT_EQ(*o.find("file"), sdk::Value("j.yaml"));
    EXPECT_EQ(*o.find("severity"), sdk::Value("error"));
    if (*o.find("code") == sdk::Value("unknown-key")) {
      sawUnknown = true;
      EXPECT_EQ(*o.find("line"), sdk::Value(2));
      EXPECT_EQ(*o.find("column"), sdk::Value(1));
    }
  }
  EXPECT_TRUE(sawUnknown) << diags.toJson();
}

TEST(FlowParser, ScalarsAreTypedLikeYamlCore) {
  Diagnostics diags;
  const auto t = parseTransformText(
      R"({ values: { true: "yes", false: no, 1: one, "1": text-one, 2.5: half, ~: none } })", "t",
      diags);
  ASSERT_TRUE(t.has_value()) << diags.format();
  ASSERT_EQ(t->valueMap.size(), 6u);
  EXPECT_EQ(t->valueMap[0].first, sdk::Value(true));
  EXPECT_EQ(t->valueMap[0].second, sdk::Value("yes"));
  EXPECT_EQ(t->valueMap[2].first, sdk::Value(1));
  EXPECT_EQ(t->valueMap[3].first, sdk::Value("1"));
  EXPECT_EQ(t->valueMap[4].first, sdk::Value(2.5));
  EXPECT_TRUE(t->valueMap[5].first.isNull());
}

TEST(FlowParser, TransformArgumentsAreChecked) {
  struct Case {
    const char* text;
    const char* error;  // empty = valid
  };
  const Case cases[] = {
      {"trim", ""},
      {"{ e164: { default_region: HR } }", ""},
      {"e164", ""},
      {"{ datetime: { from: salesforce, to: people } }", ""},
      {"{ date: { from: \"dd.MM.yyyy\" } }", ""},
      {"{ concat: { with: LastName, separator: \", \" } }", ""},
      {"{ split: \";\" }", ""},
      {"{ values: { a: b, \"*\": c } }", ""},
      {"{ country: { from: alpha2, to: name } }", ""},
      {"{ prefix: sf- }", ""},
      {"{ constant: [a, b] }", ""},
      {"{ e164: { region: HR } }", "unknown key \"region\""},
      {"{ datetime: {} }", "needs \"from\", \"to\" or both"},
      {"{ date: { to: \"yyyy-MM-dd HH\" } }", "cannot contain time fields"},
      {"{ datetime: { to: \"yyyy-MM-dd'T\" } }", "unterminated quote"},
      {"{ datetime: { to: \"MM-dd\" } }", "needs yyyy, MM and dd"},
      {"{ concat: { separator: \" \" } }", "needs the key \"with\""},
      {"{ split: \"\" }", "non-empty separator"},
      {"{ values: {} }", "needs a mapping of values"},
      {"{ values: { a: [b] } }", "each entry maps one plain value"},
      {"{ country: { from: name, to: name } }", "the same form"},
      {"{ default: { a: 1 } }", "takes a plain value"},
      {"constant", "needs a value"},
      {"{ trim: 1, lower: 2 }", "one key"},
      {"[trim]", "a transform is a name or a mapping"},
      {"frobnicate", "unknown transform \"frobnicate\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Diagnostics diags;
    const auto t = parseTransformText(c.text, "t", diags);
    if (*c.error == '\0') {
      EXPECT_TRUE(t.has_value()) << diags.format();
      EXPECT_TRUE(diags.empty()) << diags.format();
    } else {
      EXPECT_FALSE(t.has_value());
      EXPECT_NE(diags.format().find(c.error), std::string::npos) << diags.format();
    }
  }
}

TEST(FlowParser, SafeIdentifiers) {
  EXPECT_TRUE(isSafeIdentifier("contacts-to-customers"));
  EXPECT_TRUE(isSafeIdentifier("a_1"));
  EXPECT_FALSE(isSafeIdentifier(""));
  EXPECT_FALSE(isSafeIdentifier("1abc"));
  EXPECT_FALSE(isSafeIdentifier("Contacts"));
  EXPECT_FALSE(isSafeIdentifier("a/b"));
  EXPECT_FALSE(isSafeIdentifier("a b"));
  EXPECT_FALSE(isSafeIdentifier(std::string(64, 'a')));
  EXPECT_TRUE(isSafeIdentifier(std::string(63, 'a')));
}

}  // namespace
}  // namespace ferry::host
