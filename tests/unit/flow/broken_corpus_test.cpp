// Every file in broken/ starts with "# expect: LINE: TEXT": loading it must fail with an error
// at that line whose message contains TEXT, printed as file:line:column.
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "ferry/host/flow/validator.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

namespace fs = std::filesystem;
using testing::fixtureConnections;
using testing::fixtureSchemas;

struct Expectation {
  int line = 0;
  std::string text;
};

Expectation expectationOf(const std::string& content) {
  static const std::regex header(R"(^# expect: (\d+): (.*)\n)");
  std::smatch m;
  if (!std::regex_search(content, m, header)) return {};
  return {std::stoi(m[1]), m[2]};
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(testing::testDataPath("broken"))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FlowBrokenCorpus, HasAtLeastFortyFiles) { EXPECT_GE(corpus().size(), 40u); }

TEST(FlowBrokenCorpus, EachFileFailsWithItsMessageAtItsLine) {
  for (const auto& path : corpus()) {
    SCOPED_TRACE(path.filename().string());
    const std::string content = testing::readFile(path.string());
    const Expectation want = expectationOf(content);
    ASSERT_GT(want.line, 0) << "missing '# expect: LINE: TEXT' header";
    Diagnostics diags;
    const std::string file = path.filename().string();
    const auto flow = loadFlow(content, file, fixtureConnections(), fixtureSchemas(), diags);
    EXPECT_FALSE(flow.has_value());
    bool found = false;
    for (const auto& d : diags.all()) {
      if (d.severity == Diagnostic::Severity::kError && d.pos.line == want.line &&
          d.message.find(want.text) != std::string::npos) {
        found = true;
        // The printed form names file, line and column.
        const std::string prefix = file + ":" + std::to_string(want.line) + ":";
        EXPECT_EQ(d.format().rfind(prefix, 0), 0u) << d.format();
        EXPECT_GT(d.pos.column, 0);
      }
    }
    EXPECT_TRUE(found) << "expected at line " << want.line << ": " << want.text << "\ngot:\n"
                       << diags.format();
  }
}

}  // namespace
}  // namespace ferry::host
