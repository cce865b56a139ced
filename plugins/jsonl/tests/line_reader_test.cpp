#include <gtest/gtest.h>

#include "line_reader.hpp"
#include "temp_dir.hpp"

namespace ferry::plugins::jsonl {
namespace {

using testing::TempDir;

std::vector<std::string> readAll(LineReader& reader) {
  std::vector<std::string> lines;
  while (true) {
    auto line = reader.next();
    EXPECT_TRUE(line.ok());
    if (!line.ok() || !line.value()) break;
    lines.emplace_back(**line);
  }
  return lines;
}

TEST(LineReaderTest, ReturnsCompleteLinesAndStopsBeforeAPartialOne) {
  TempDir dir;
  dir.write("a.jsonl", "one\r\ntwo\n\nthree-partial");
  auto reader = LineReader::open(dir.file("a.jsonl"), 0);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(readAll(*reader), (std::vector<std::string>{"one", "two", ""}));
  EXPECT_EQ(reader->offset(), 10u);  // before "three-partial"
  dir.write("a.jsonl", "\n", true);
  auto resumed = LineReader::open(dir.file("a.jsonl"), 10);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(readAll(*resumed), (std::vector<std::string>{"three-partial"}));
  EXPECT_EQ(resumed->lineStart(), 10u);
  EXPECT_EQ(resumed->offset(), 24u);
}

TEST(LineReaderTest, HandlesLinesLongerThanTheBuffer) {
  TempDir dir;
  const std::string longLine(200'000, 'x');
  dir.write("a.jsonl", "short\n" + longLine + "\nend\n");
  auto reader = LineReader::open(dir.file("a.jsonl"), 0);
  ASSERT_TRUE(reader.ok());
  const auto lines = readAll(*reader);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], longLine);
  EXPECT_EQ(lines[2], "end");
}

TEST(LineReaderTest, MissingFileIsEmptyUnlessACursorPointsIntoIt) {
  TempDir dir;
  auto reader = LineReader::open(dir.file("none.jsonl"), 0);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(readAll(*reader).empty());
  EXPECT_FALSE(LineReader::open(dir.file("none.jsonl"), 5).ok());
}

TEST(LineReaderTest, CursorPastTheEndIsAnError) {
  TempDir dir;
  dir.write("a.jsonl", "x\n");
  auto reader = LineReader::open(dir.file("a.jsonl"), 100);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find("truncated or replaced"), std::string::npos);
}

}  // namespace
}  // namespace ferry::plugins::jsonl
