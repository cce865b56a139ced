#include "line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ferry::plugins::jsonl {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
}

LineReader::LineReader(std::unique_ptr<std::FILE, Closer> file, std::filesystem::path path,
                       std::uint64_t offset)
    : file_(std::move(file)), path_(std::move(path)), offset_(offset), lineStart_(offset) {
  buffer_.resize(kChunk);
  eof_ = file_ == nullptr;
}

sdk::Result<LineReader> LineReader::open(const std::filesystem::path& file, std::uint64_t offset) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      if (offset != 0) {
        return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                                "cursor " + std::to_string(offset) + " given but " +
                                    file.filename().string() + " does not exist");
      }
      return LineReader(nullptr, file, 0);
    }
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "cannot read " + file.string() + ": " + ec.message(), true);
  }
  if (offset > size) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "cursor " + std::to_string(offset) + " is past the end of " +
                                file.filename().string() + " (" + std::to_string(size) +
                                " bytes): the file was truncated or replaced; reset the cursor");
  }
  std::unique_ptr<std::FILE, Closer> f(std::fopen(file.c_str(), "rb"));
  if (!f) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "cannot open " + file.string() + ": " + std::strerror(errno), true);
  }
  if (offset > 0 && fseeko(f.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "cannot seek in " + file.string() + ": " + std::strerror(errno), true);
  }
  return LineReader(std::move(f), file, offset);
}

bool LineReader::fill() {
  if (eof_) return false;
  // Keep the unread tail; grow only when one line fills the whole buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  const std::size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_.get());
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

sdk::Result<std::optional<std::string_view>> LineReader::next() {
  while (true) {
    const char* start = buffer_.data() + begin_;
    const void* newline = std::memchr(start, '\n', end_ - begin_);
    if (newline != nullptr) {
      const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
      lineStart_ = offset_;
      offset_ += length + 1;
      begin_ += length + 1;
      std::string_view line(start, length);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return std::optional<std::string_view>(line);
    }
    if (end_ - begin_ > kMaxLineBytes) {
      return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                              "line at byte " + std::to_string(offset_) + " of " +
                                  path_.filename().string() + " is longer than " +
                                  std::to_string(kMaxLineBytes) + " bytes");
    }
    if (!fill()) {
      if (file_ && std::ferror(file_.get())) {
        return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                                "read error in " + path_.string() + ": " + std::strerror(errno),
                                true);
      }
      return std::optional<std::string_view>();
    }
  }
}

}  // namespace ferry::plugins::jsonl
