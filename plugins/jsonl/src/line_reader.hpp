// Streams the complete lines of a file from a byte offset. Memory stays bounded by the buffer
// (64 KiB) plus the longest line, whatever the file size. A last line without '\n' is not
// returned: it may still be being written, and the offset stays in front of it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <ferry/sdk/result.hpp>

namespace ferry::plugins::jsonl {

class LineReader {
 public:
  static constexpr std::size_t kMaxLineBytes = 64u << 20;  // a longer line is an error

  // Opens `file` positioned at `offset`. A missing file reads as empty.
  static sdk::Result<LineReader> open(const std::filesystem::path& file, std::uint64_t offset);

  // The next complete line, without its "\n" or "\r\n"; nullopt when no complete line is left.
  // The view is valid until the next call.
  sdk::Result<std::optional<std::string_view>> next();

  // Offset just past the last line returned (where the next read starts).
  std::uint64_t offset() const noexcept { return offset_; }
  // Offset where the line last returned started.
  std::uint64_t lineStart() const noexcept { return lineStart_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  LineReader(std::unique_ptr<std::FILE, Closer> file, std::filesystem::path path,
             std::uint64_t offset);
  bool fill();  // reads more bytes; false at end of file

  std::unique_ptr<std::FILE, Closer> file_;
  std::filesystem::path path_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unread data is buffer_[begin_, end_)
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t lineStart_ = 0;
  bool eof_ = false;
};

}  // namespace ferry::plugins::jsonl
