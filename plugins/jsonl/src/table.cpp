#include "table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "line_reader.hpp"
#include "records.hpp"

namespace ferry::plugins::jsonl {

namespace {

sdk::Error ioError(const std::string& what, const std::filesystem::path& file) {
  return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                          what + " " + file.string() + ": " + std::strerror(errno), true);
}

// Closes a file descriptor on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

sdk::Status Table::refresh(sdk::Logger* logger) {
  std::error_code ec;
  const auto size = std::filesystem::exists(entity_.file, ec)
                        ? std::filesystem::file_size(entity_.file, ec)
                        : std::uintmax_t{0};
  if (ec) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "cannot stat " + entity_.file.string() + ": " + ec.message(), true);
  }
  if (size < offset_) {  // truncated or replaced: start over
    records_.clear();
    indexes_.clear();
    offset_ = 0;
  }
  if (size == offset_) return {};
  auto reader = LineReader::open(entity_.file, offset_);
  if (!reader.ok()) return reader.takeError();
  while (true) {
    auto line = reader->next();
    if (!line.ok()) return line.takeError();
    if (!line.value()) break;
    ParsedLine parsed = parseLine(**line, entity_);
    switch (parsed.kind) {
      case ParsedLine::Kind::kUpsert:
        apply(parsed.id, std::move(parsed.fields));
        break;
      case ParsedLine::Kind::kDelete:
        apply(parsed.id, std::nullopt);
        break;
      case ParsedLine::Kind::kBlank:
        break;
      case ParsedLine::Kind::kInvalid:
        ++invalidLines_;
        if (logger != nullptr) {
          logger->warn(entity_.file.filename().string() + ": skipped line at byte " +
                       std::to_string(reader->lineStart()) + ": " + parsed.error);
        }
        break;
    }
  }
  offset_ = reader->offset();
  return {};
}

const sdk::Object* Table::get(const std::string& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<std::string> Table::find(const std::string& field, const sdk::Value& value) {
  auto [it, created] = indexes_.try_emplace(field);
  auto& index = it->second;
  const sdk::FieldSchema* schema = entity_.schema.field(field);
  if (created) {
    for (const auto& [id, record] : records_) {
      if (const sdk::Value* v = sdk::findPath(record, field); v != nullptr && !v->isNull()) {
        index[indexKey(schema, *v)].push_back(id);
      }
    }
  }
  auto found = index.find(indexKey(schema, coerce(schema, value)));
  if (found == index.end()) return {};
  std::vector<std::string> ids = found->second;
  std::sort(ids.begin(), ids.end());  // deterministic order for callers
  return ids;
}

void Table::indexInsert(const std::string& id, const sdk::Object& record) {
  for (auto& [field, index] : indexes_) {
    if (const sdk::Value* v = sdk::findPath(record, field); v != nullptr && !v->isNull()) {
      index[indexKey(entity_.schema.field(field), *v)].push_back(id);
    }
  }
}

void Table::indexErase(const std::string& id, const sdk::Object& record) {
  for (auto& [field, index] : indexes_) {
    const sdk::Value* v = sdk::findPath(record, field);
    if (v == nullptr || v->isNull()) continue;
    auto it = index.find(indexKey(entity_.schema.field(field), *v));
    if (it == index.end()) continue;
    auto& ids = it->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) index.erase(it);
  }
}

void Table::apply(const std::string& id, std::optional<sdk::Object> record) {
  auto it = records_.find(id);
  if (it != records_.end()) {
    indexErase(id, it->second);
    if (!record) {
      records_.erase(it);
      return;
    }
    it->second = std::move(*record);
    indexInsert(id, it->second);
  } else if (record) {
    auto [inserted, ok] = records_.emplace(id, std::move(*record));
    indexInsert(id, inserted->second);
  }
}

sdk::Status Table::append(const std::vector<Change>& changes) {
  if (changes.empty()) return {};
  std::string text;
  for (const auto& c : changes) {
    text += c.record ? formatRecord(*c.record) : formatDelete(entity_, c.id);
  }

  Fd file{::open(entity_.file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)};
  if (file.fd < 0) return ioError("cannot open", entity_.file);
  struct stat before {};
  if (::fstat(file.fd, &before) != 0) return ioError("cannot stat", entity_.file);
  // A crash may have left a line without its newline; end it so ours start on a fresh line
  // (the fragment then reads as one invalid, skipped line).
  if (before.st_size > 0) {
    char last = '\n';
    if (::pread(file.fd, &last, 1, before.st_size - 1) != 1) {
      return ioError("cannot read the end of", entity_.file);
    }
    if (last != '\n') text.insert(text.begin(), '\n');
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(file.fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot append to", entity_.file);
    }
    written += static_cast<std::size_t>(n);
  }
  if (fsync_ && ::fsync(file.fd) != 0) return ioError("cannot fsync", entity_.file);
  struct stat after {};
  const bool statted = ::fstat(file.fd, &after) == 0;

  for (const auto& c : changes) apply(c.id, c.record);
  // Skip re-reading our own lines when nobody else wrote in between; otherwise refresh() reads
  // everything after offset_ again, in file order (re-applying our lines is harmless).
  if (statted && static_cast<std::uint64_t>(before.st_size) == offset_ &&
      static_cast<std::uint64_t>(after.st_size) == offset_ + text.size()) {
    offset_ += text.size();
  }
  return {};
}

}  // namespace ferry::plugins::jsonl
