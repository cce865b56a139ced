// The CLI's subcommand framework (the binary itself is exercised in tests/integration/cli).
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/host/cli/command.hpp"

namespace ferry::host::cli {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    table.add(Command{
        .name = "describe",
        .summary = "Describe a plugin",
        .description = "Long text.",
        .positionals = {{"plugin", "Plugin name", true, false}, {"entity", "Entity", false, false}},
        .options = {{"--json", "", "JSON output", false},
                    {"--plugin-dir", "DIR", "Extra dir", true}},
        .run = [this](const Args& a, Context& c) {
          seen = a;
          c.out << "ran describe\n";
          return kExitOk;
        }});
    table.add(Command{.name = "sandbox start",
                      .summary = "Start the emulators",
                      .description = "",
                      .positionals = {{"apis", "Which", false, true}},
                      .options = {{"--port", "N", "Port", false}},
                      .run = [this](const Args& a, Context&) {
                        seen = a;
                        return 7;
                      }});
    table.add(Command{.name = "sandbox stop",
                      .summary = "Stop the emulators",
                      .description = "",
                      .positionals = {},
                      .options = {},
                      .run = [](const Args&, Context&) { return kExitOk; }});
  }

  Outcome run(std::vector<std::string> argv) {
    std::ostringstream out, err;
    Context context{out, err};
    const int status = table.dispatch(argv, context);
    return Outcome{status, out.str(), err.str()};
  }

  CommandTable table;
  Args seen;
};

TEST_F(CliTest, ParsesOptionsAndPositionalsInAnyOrder) {
  const auto r =
      run({"describe", "--plugin-dir", "/a", "jsonl", "--json", "--plugin-dir=/b", "Contact"});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out, "ran describe\n");
  EXPECT_TRUE(seen.flag("--json"));
  EXPECT_EQ(seen.values("--plugin-dir"), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(seen.value("--plugin-dir"), "/b");
  EXPECT_EQ(seen.positional(0), "jsonl");
  EXPECT_EQ(seen.positional(1), "Contact");
  EXPECT_EQ(seen.positional(2, "none"), "none");
}

TEST_F(CliTest, LongestCommandNameWinsAndVariadicTakesTheRest) {
  const auto r = run({"sandbox", "start", "salesforce", "people", "--port", "0", "--", "--x"});
  EXPECT_EQ(r.status, 7);
  EXPECT_EQ(seen.positionals(), (std::vector<std::string>{"salesforce", "people", "--x"}));
  EXPECT_EQ(seen.value("--port"), "0");
  EXPECT_EQ(run({"sandbox", "start", "-5"}).status, 7);  // a negative number is a value
}

TEST_F(CliTest, HelpWorksEverywhere) {
  const auto help = run({"describe", "--help"});  // required argument missing: still help
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_THAT(help.out, HasSubstr("Usage: ferry describe <plugin> [entity] [options]"));
  EXPECT_THAT(help.out, HasSubstr("--plugin-dir DIR  Extra dir (repeatable)"));
  EXPECT_THAT(help.out, HasSubstr("-h, --help"));
  EXPECT_EQ(run({"help", "describe"}).out, help.out);
  EXPECT_EQ(run({"describe", "-h"}).out, help.out);

  const auto top = run({"--help"});
  EXPECT_EQ(top.status, kExitOk);
  EXPECT_THAT(top.out, HasSubstr("describe       Describe a plugin"));
  EXPECT_THAT(top.out, HasSubstr("sandbox start  Start the emulators"));
  const auto none = run({});
  EXPECT_EQ(none.status, kExitUsage);
  EXPECT_EQ(none.err, top.out);

  const auto group = run({"sandbox", "--help"});
  EXPECT_EQ(group.status, kExitOk);
  EXPECT_THAT(group.out, HasSubstr("sandbox stop"));
  const auto bare = run({"sandbox"});
  EXPECT_EQ(bare.status, kExitUsage);
  EXPECT_THAT(bare.err, HasSubstr("sandbox start"));
  EXPECT_THAT(run({"sandbox", "restart"}).err, HasSubstr("unknown command 'sandbox restart'"));
}

TEST_F(CliTest, UsageErrorsSayWhatIsWrong) {
  auto r = run({"describe", "jsonl", "--jsn"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("ferry describe: unknown option '--jsn' (did you mean '--json'?)"));
  EXPECT_THAT(r.err, HasSubstr("Run 'ferry describe --help'"));
  EXPECT_THAT(run({"describe"}).err, HasSubstr("missing argument <plugin>"));
  EXPECT_THAT(run({"describe", "a", "b", "c"}).err, HasSubstr("unexpected argument 'c'"));
  EXPECT_THAT(run({"describe", "a", "--plugin-dir"}).err,
              HasSubstr("option --plugin-dir needs a value DIR"));
  EXPECT_THAT(run({"describe", "a", "--json=yes"}).err, HasSubstr("--json takes no value"));
  EXPECT_THAT(run({"describe", "a", "--json", "--json"}).err, HasSubstr("given more than once"));
  r = run({"descirbe"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'descirbe' (did you mean 'describe'?)"));
}

TEST_F(CliTest, BadRegistrationsFailLoudly) {
  auto noop = [](const Args&, Context&) { return 0; };
  EXPECT_THROW(table.add(Command{"describe", "", "", {}, {}, noop}), std::logic_error);
  EXPECT_THROW(table.add(Command{"Bad Name", "", "", {}, {}, noop}), std::logic_error);
  EXPECT_THROW(table.add(Command{"x", "", "", {}, {{"-x", "", "", false}}, noop}),
               std::logic_error);
  EXPECT_THROW(table.add(Command{"y", "", "", {}, {{"--help", "", "", false}}, noop}),
               std::logic_error);
  EXPECT_THROW(
      table.add(Command{"z", "", "", {{"a", "", false, false}, {"b", "", true, false}}, {}, noop}),
      std::logic_error);
  EXPECT_THROW(table.add(Command{"w", "", "", {}, {}, nullptr}), std::logic_error);
}

TEST(RenderTableTest, AlignsColumnsAndTrimsTrailingSpace) {
  EXPECT_EQ(renderTable({{"NAME", "VERSION", "X"}, {"jsonl", "1.0.0", ""}, {"a", "2", "z"}}),
            "NAME   VERSION  X\n"
            "jsonl  1.0.0\n"
            "a      2        z\n");
}

}  // namespace
}  // namespace ferry::host::cli
