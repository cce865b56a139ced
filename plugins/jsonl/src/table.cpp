#include "table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "line_reader.hpp"
#include "records.hpp"

namespace ferry::plugins::jsonl {

namespace {

// Bumped when the index's tables change meaning; an index of another format is rebuilt.
constexpr std::int64_t kIndexFormat = 1;
// Lines applied per transaction while catching up with a file, so the journal stays small.
constexpr std::size_t kLinesPerCommit = 20000;
// Bytes before the applied offset whose hash tells an appended file from a rewritten one.
constexpr std::uint64_t kTailBytes = 64;
// Marks an index found out of step with its file (rebuilt like a corrupt one).
constexpr const char* kStaleIndex = "JSONL_INDEX_STALE";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records(
  id TEXT PRIMARY KEY, offset INTEGER NOT NULL, length INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS indexed(field TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys(
  field TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY(field, key, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_by_id ON keys(id);
)sql";

sdk::Error ioError(const std::string& what, const std::filesystem::path& file) {
  return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                          what + " " + file.string() + ": " + std::strerror(errno), true);
}

bool needsRebuild(const sdk::Error& error) {
  return Database::isCorruption(error) || error.remoteCode == kStaleIndex;
}

// Closes a file descriptor on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::uint64_t fnv1a(const char* data, std::size_t size) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

// What stat() says of the data file.
struct Table::FileState {
  bool exists = false;
  std::uint64_t size = 0;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;

  static sdk::Result<FileState> of(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT) return FileState{};
      return ioError("cannot stat", file);
    }
    return FileState{true, static_cast<std::uint64_t>(st.st_size),
                     static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  }
};

struct Table::Statements {
  Statement readMeta;
  Statement writeMeta;
  Statement getRecord;
  Statement upsertRecord;
  Statement deleteRecord;
  Statement deleteKeys;
  Statement insertKey;
  Statement findKeys;
  Statement listIndexed;
  Statement addIndexed;
  Statement allRecords;
  Statement countRecords;
};

std::filesystem::path Table::indexPath(const std::filesystem::path& file) {
  std::string name(1, '.');
  name += file.filename().string();
  name += ".index";
  return file.parent_path() / name;
}

Table::Table(const EntityConfig& entity, bool fsync, sdk::Logger* logger)
    : entity_(entity), fsync_(fsync), logger_(logger), indexFile_(indexPath(entity.file)) {}

Table::~Table() {
  sql_.reset();  // statements before their database
  db_.reset();
  if (dataFd_ >= 0) ::close(dataFd_);
}

sdk::Result<std::unique_ptr<Table>> Table::open(const EntityConfig& entity, bool fsync,
                                                sdk::Logger* logger) {
  std::unique_ptr<Table> table(new Table(entity, fsync, logger));
  auto status = table->openIndex();
  if (!status && needsRebuild(status.error())) {
    status = table->recreateIndex(status.error().message);
  }
  if (!status) return status.takeError();
  return table;
}

sdk::Status Table::openIndex() {
  auto db = Database::open(indexFile_);
  if (!db) return db.takeError();
  db_.emplace(std::move(*db));
  // The index can always be rebuilt from the file, so it only pays for durability when the user
  // asked the data to survive power loss. WAL lets lookups read while another process appends.
  const char* pragmas = fsync_ ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                               : "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
  if (auto s = db_->exec(pragmas); !s) return s;
  // A bounded page cache: memory does not grow with the index; nor does the write-ahead log
  // stay at the size of the largest transaction (a field index built over a big file).
  if (auto s = db_->exec("PRAGMA cache_size=-8192; PRAGMA mmap_size=0; "
                         "PRAGMA journal_size_limit=16777216;");
      !s) {
    return s;
  }
  if (auto s = db_->exec(kSchema); !s) return s;

  auto format = db_->prepare("SELECT value FROM meta WHERE key = 'format'", "read format");
  if (!format) return format.takeError();
  auto row = format->step();
  if (!row) return row.takeError();
  const std::int64_t found = *row ? format->integer(0) : 0;
  format->reset();
  if (found != kIndexFormat) {
    if (found != 0) {
      // Another format: start afresh (the file is the truth).
      if (auto s = db_->exec("DROP TABLE keys; DROP TABLE indexed; DROP TABLE records; "
                             "DROP TABLE meta;");
          !s) {
        return s;
      }
      if (auto s = db_->exec(kSchema); !s) return s;
    }
    const std::string set = "INSERT INTO meta(key, value) VALUES('format', " +
                            std::to_string(kIndexFormat) +
                            ") ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    if (auto s = db_->exec(set.c_str()); !s) return s;
  }

  auto sql = std::make_unique<Statements>();
  struct Spec {
    Statement Statements::*member;
    const char* text;
    const char* what;
  };
  const Spec specs[] = {
      {&Statements::readMeta, "SELECT key, value FROM meta", "read position"},
      {&Statements::writeMeta,
       "INSERT INTO meta(key, value) VALUES(?, ?) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
       "save position"},
      {&Statements::getRecord, "SELECT offset, length FROM records WHERE id = ?", "get record"},
      {&Statements::upsertRecord,
       "INSERT INTO records(id, offset, length) VALUES(?, ?, ?) "
       "ON CONFLICT(id) DO UPDATE SET offset = excluded.offset, length = excluded.length",
       "index record"},
      {&Statements::deleteRecord, "DELETE FROM records WHERE id = ?", "delete record"},
      {&Statements::deleteKeys, "DELETE FROM keys WHERE id = ?", "delete keys"},
      {&Statements::insertKey, "INSERT OR IGNORE INTO keys(field, key, id) VALUES(?, ?, ?)",
       "index key"},
      {&Statements::findKeys, "SELECT id FROM keys WHERE field = ? AND key = ? ORDER BY id",
       "find by key"},
      {&Statements::listIndexed, "SELECT field FROM indexed", "list indexed fields"},
      {&Statements::addIndexed, "INSERT OR IGNORE INTO indexed(field) VALUES(?)",
       "add indexed field"},
      {&Statements::allRecords, "SELECT id, offset, length FROM records", "scan records"},
      {&Statements::countRecords, "SELECT COUNT(*) FROM records", "count records"},
  };
  for (const auto& spec : specs) {
    auto statement = db_->prepare(spec.text, spec.what);
    if (!statement) return statement.takeError();
    (*sql).*spec.member = std::move(*statement);
  }
  sql_ = std::move(sql);
  return loadIndexedFields();
}

sdk::Status Table::recreateIndex(const std::string& why) {
  if (logger_ != nullptr) {
    logger_->warn(indexFile_.filename().string() + " rebuilt from " +
                  entity_.file.filename().string() + ": " + why);
  }
  sql_.reset();
  db_.reset();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ignored;
    std::filesystem::remove(indexFile_.string() + suffix, ignored);
  }
  indexedFields_.clear();
  if (auto s = openIndex(); !s) return s;
  // Catch up with the whole file now, so the caller's retry finds every record.
  auto file = FileState::of(entity_.file);
  if (!file) return file.takeError();
  auto tx = Transaction::begin(*db_);
  if (!tx) return tx.takeError();
  if (auto s = refreshLocked(*file); !s) return s;
  return tx->commit();
}

// Runs fn; when the index turns out corrupt or out of step with the file, rebuilds it and runs
// fn once more. fn must not have changed the file.
template <typename Fn>
auto Table::recovering(Fn&& fn) -> decltype(fn()) {
  if (rebuildPending_) {
    rebuildPending_ = false;
    if (auto s = recreateIndex(rebuildReason_); !s) return s.takeError();
  }
  auto result = fn();
  if (result.ok() || !needsRebuild(result.error())) return result;
  if (inTransaction_) {
    // Not under a caller's transaction: the next call outside one rebuilds.
    rebuildPending_ = true;
    rebuildReason_ = result.error().message;
    return result;
  }
  if (auto s = recreateIndex(result.error().message); !s) return s.takeError();
  return fn();
}

sdk::Status Table::loadIndexedFields() {
  ResetGuard guard(sql_->listIndexed);
  std::set<std::string> fields;
  while (true) {
    auto row = sql_->listIndexed.step();
    if (!row) return row.takeError();
    if (!*row) break;
    fields.emplace(sql_->listIndexed.text(0));
  }
  indexedFields_ = std::move(fields);
  return {};
}

sdk::Status Table::reopenData(const FileState& file) {
  if (dataFd_ >= 0 && (!file.exists || file.inode != dataInode_)) {
    ::close(dataFd_);
    dataFd_ = -1;
  }
  if (dataFd_ < 0 && file.exists) {
    dataFd_ = ::open(entity_.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (dataFd_ < 0) return ioError("cannot open", entity_.file);
    dataInode_ = file.inode;
  }
  return {};
}

sdk::Status Table::saveFilePosition(const FileState& file, std::uint64_t offset) {
  std::uint64_t tail = 0;
  if (offset > 0) {
    char bytes[kTailBytes];
    const std::uint64_t n = std::min(offset, kTailBytes);
    if (::pread(dataFd_, bytes, n, static_cast<off_t>(offset - n)) != static_cast<ssize_t>(n)) {
      return ioError("cannot read", entity_.file);
    }
    tail = fnv1a(bytes, n);
  }
  const std::pair<const char*, std::uint64_t> values[] = {
      {"offset", offset}, {"device", file.device}, {"inode", file.inode}, {"tail", tail}};
  for (const auto& [key, value] : values) {
    // Stored as the same 64 bits: SQLite integers are signed.
    auto s = sql_->writeMeta.bind(1, key).bind(2, static_cast<std::int64_t>(value)).run();
    if (!s) return s;
  }
  return {};
}

sdk::Result<Table::Position> Table::readPosition() {
  ResetGuard guard(sql_->readMeta);
  Position p;
  while (true) {
    auto row = sql_->readMeta.step();
    if (!row) return row.takeError();
    if (!*row) break;
    const std::string_view key = sql_->readMeta.text(0);
    const auto value = static_cast<std::uint64_t>(sql_->readMeta.integer(1));
    if (key == "offset") p.offset = value;
    if (key == "device") p.device = value;
    if (key == "inode") p.inode = value;
    if (key == "tail") p.tail = value;
  }
  return p;
}

// True when the file still starts with what the index applied: same file, not shorter, and
// the same bytes just before the applied offset (a rewrite in place changes them).
bool Table::describes(const Position& p, const FileState& file) const {
  if (p.offset == 0) return true;
  if (!file.exists || file.device != p.device || file.inode != p.inode || file.size < p.offset) {
    return false;
  }
  char bytes[kTailBytes];
  const std::uint64_t n = std::min(p.offset, kTailBytes);
  return ::pread(dataFd_, bytes, n, static_cast<off_t>(p.offset - n)) == static_cast<ssize_t>(n) &&
         fnv1a(bytes, n) == p.tail;
}

sdk::Status Table::refresh() {
  return recovering([&]() -> sdk::Status {
    auto file = FileState::of(entity_.file);
    if (!file) return file.takeError();
    if (auto s = reopenData(*file); !s) return s;
    // Cheap check first: most calls find nothing new and need no lock.
    auto position = readPosition();
    if (!position) return position.takeError();
    if (position->offset == file->size && describes(*position, *file)) return {};
    auto tx = Transaction::begin(*db_);
    if (!tx) return tx.takeError();
    if (auto s = loadIndexedFields(); !s) return s;
    if (auto s = refreshLocked(*file); !s) return s;
    return tx->commit();
  });
}

sdk::Status Table::refreshLocked(const FileState& file) {
  if (auto s = reopenData(file); !s) return s;
  auto position = readPosition();
  if (!position) return position.takeError();
  std::uint64_t offset = position->offset;
  if (!describes(*position, file)) {
    // Replaced, truncated or rewritten: what the index knows no longer describes the file.
    if (logger_ != nullptr) {
      logger_->info(entity_.file.filename().string() +
                    " was replaced or truncated; re-indexing it from the start");
    }
    if (auto s = db_->exec("DELETE FROM keys; DELETE FROM records;"); !s) return s;
    offset = 0;
  }
  if (!file.exists || file.size == offset) return saveFilePosition(file, offset);

  auto reader = LineReader::open(entity_.file, offset);
  if (!reader) return reader.takeError();
  std::size_t applied = 0;
  while (true) {
    auto line = reader->next();
    if (!line) return line.takeError();
    if (!*line) break;
    ParsedLine parsed = parseLine(**line, entity_);
    sdk::Status status;
    switch (parsed.kind) {
      case ParsedLine::Kind::kUpsert:
        status = applyUpsert(parsed.id, parsed.fields, reader->lineStart(), (*line)->size());
        break;
      case ParsedLine::Kind::kDelete:
        status = applyDelete(parsed.id);
        break;
      case ParsedLine::Kind::kBlank:
        break;
      case ParsedLine::Kind::kInvalid:
        ++invalidLines_;
        if (logger_ != nullptr) {
          logger_->warn(entity_.file.filename().string() + ": skipped line at byte " +
                        std::to_string(reader->lineStart()) + ": " + parsed.error);
        }
        break;
    }
    if (!status) return status;
    if (++applied % kLinesPerCommit == 0) {
      // Keep progress and the journal bounded on big catch-ups; the lock is re-taken at once.
      if (auto s = saveFilePosition(file, reader->offset()); !s) return s;
      if (auto s = db_->exec("COMMIT; BEGIN IMMEDIATE"); !s) return s;
    }
  }
  return saveFilePosition(file, reader->offset());
}

sdk::Status Table::applyUpsert(const std::string& id, const sdk::Object& record,
                               std::uint64_t offset, std::uint64_t length) {
  auto s = sql_->upsertRecord.bind(1, id)
               .bind(2, static_cast<std::int64_t>(offset))
               .bind(3, static_cast<std::int64_t>(length))
               .run();
  if (!s || indexedFields_.empty()) return s;
  if (auto d = sql_->deleteKeys.bind(1, id).run(); !d) return d;
  return insertKeys(id, record, indexedFields_);
}

sdk::Status Table::applyDelete(const std::string& id) {
  if (auto s = sql_->deleteRecord.bind(1, id).run(); !s) return s;
  return sql_->deleteKeys.bind(1, id).run();
}

sdk::Status Table::insertKeys(const std::string& id, const sdk::Object& record,
                              const std::set<std::string>& fields) {
  for (const auto& field : fields) {
    const sdk::Value* v = sdk::findPath(record, field);
    if (v == nullptr || v->isNull()) continue;
    const std::string key = indexKey(entity_.schema.field(field), *v);
    if (auto s = sql_->insertKey.bind(1, field).bind(2, key).bind(3, id).run(); !s) return s;
  }
  return {};
}

sdk::Result<std::optional<sdk::Object>> Table::readRecord(std::uint64_t offset,
                                                          std::uint64_t length) {
  if (length > LineReader::kMaxLineBytes) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable, "implausible line length in index", true,
                            kStaleIndex);
  }
  std::string line(length, '\0');
  const ssize_t n =
      dataFd_ < 0 ? -1 : ::pread(dataFd_, line.data(), length, static_cast<off_t>(offset));
  ParsedLine parsed;
  if (n == static_cast<ssize_t>(length)) parsed = parseLine(line, entity_);
  if (parsed.kind != ParsedLine::Kind::kUpsert) {
    return sdk::Error::make(sdk::ErrorCode::kUnavailable,
                            "the index of " + entity_.file.filename().string() +
                                " is out of step with the file at byte " + std::to_string(offset),
                            true, kStaleIndex);
  }
  return std::optional<sdk::Object>(std::move(parsed.fields));
}

sdk::Result<std::optional<sdk::Object>> Table::get(const std::string& id) {
  return recovering([&]() -> sdk::Result<std::optional<sdk::Object>> {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    {
      ResetGuard guard(sql_->getRecord);
      auto row = sql_->getRecord.bind(1, id).step();
      if (!row) return row.takeError();
      if (!*row) return std::optional<sdk::Object>();
      offset = static_cast<std::uint64_t>(sql_->getRecord.integer(0));
      length = static_cast<std::uint64_t>(sql_->getRecord.integer(1));
    }
    return readRecord(offset, length);
  });
}

sdk::Result<bool> Table::contains(const std::string& id) {
  ResetGuard guard(sql_->getRecord);
  return sql_->getRecord.bind(1, id).step();
}

sdk::Status Table::buildFieldIndex(const std::string& field) {
  auto tx = Transaction::begin(*db_);
  if (!tx) return tx.takeError();
  if (auto s = loadIndexedFields(); !s) return s;
  if (indexedFields_.contains(field)) return tx->commit();  // another process built it
  {
    ResetGuard guard(sql_->allRecords);
    while (true) {
      auto row = sql_->allRecords.step();
      if (!row) return row.takeError();
      if (!*row) break;
      const std::string id(sql_->allRecords.text(0));
      auto record = readRecord(static_cast<std::uint64_t>(sql_->allRecords.integer(1)),
                               static_cast<std::uint64_t>(sql_->allRecords.integer(2)));
      if (!record) return record.takeError();
      if (auto s = insertKeys(id, **record, {field}); !s) return s;
    }
  }
  if (auto s = sql_->addIndexed.bind(1, field).run(); !s) return s;
  if (auto s = tx->commit(); !s) return s;
  indexedFields_.insert(field);
  return {};
}

sdk::Status Table::ensureIndexed(const std::set<std::string>& fields) {
  return recovering([&]() -> sdk::Status {
    if (auto s = loadIndexedFields(); !s) return s;
    for (const auto& field : fields) {
      if (indexedFields_.contains(field)) continue;
      if (inTransaction_) {
        return sdk::Error::make(
            sdk::ErrorCode::kInternal,
            "jsonl: the index of field '" + field + "' must be built before a read transaction");
      }
      if (auto s = buildFieldIndex(field); !s) return s;
    }
    return {};
  });
}

sdk::Status Table::read(const std::function<sdk::Status()>& fn) {
  // One snapshot for many lookups: cheaper than a read lock per statement, and consistent.
  auto tx = db_->exec("BEGIN");
  if (!tx) return tx;
  inTransaction_ = true;
  sdk::Status status = fn();
  inTransaction_ = false;
  const auto end = db_->exec(status ? "COMMIT" : "ROLLBACK");
  if (status && !end) status = end;
  return status;
}

sdk::Result<std::vector<std::string>> Table::find(const std::string& field,
                                                  const sdk::Value& value) {
  return recovering([&]() -> sdk::Result<std::vector<std::string>> {
    if (!indexedFields_.contains(field)) {
      if (auto s = ensureIndexed({field}); !s) return s.takeError();
    }
    const std::string key =
        indexKey(entity_.schema.field(field), coerce(entity_.schema.field(field), value));
    ResetGuard guard(sql_->findKeys);
    sql_->findKeys.bind(1, field).bind(2, key);
    std::vector<std::string> ids;
    while (true) {
      auto row = sql_->findKeys.step();
      if (!row) return row.takeError();
      if (!*row) break;
      ids.emplace_back(sql_->findKeys.text(0));
    }
    return ids;
  });
}

sdk::Result<std::uint64_t> Table::size() {
  ResetGuard guard(sql_->countRecords);
  auto row = sql_->countRecords.step();
  if (!row) return row.takeError();
  return static_cast<std::uint64_t>(sql_->countRecords.integer(0));
}

sdk::Status Table::append(const std::vector<Change>& changes) {
  if (changes.empty()) return {};
  return write([&]() -> sdk::Result<std::vector<Change>> { return changes; });
}

sdk::Status Table::write(const Decide& decide) {
  // Take the write lock and bring the index up to the end of the file first: then what decide()
  // reads is current, and the lines about to be written land exactly where the index expects.
  std::optional<Transaction> tx;
  std::uint64_t indexedUpTo = 0;
  auto ready = recovering([&]() -> sdk::Status {
    tx.reset();
    auto file = FileState::of(entity_.file);
    if (!file) return file.takeError();
    auto begun = Transaction::begin(*db_);
    if (!begun) return begun.takeError();
    tx.emplace(std::move(*begun));
    sdk::Status s = loadIndexedFields();
    if (s) s = refreshLocked(*file);
    if (!s) {
      tx.reset();
      return s;
    }
    auto position = readPosition();
    if (!position) {
      tx.reset();
      return position.takeError();
    }
    indexedUpTo = position->offset;
    return {};
  });
  if (!ready) return ready;

  inTransaction_ = true;
  auto decided = decide();
  inTransaction_ = false;
  if (!decided) return decided.takeError();  // the transaction rolls back
  const std::vector<Change>& changes = *decided;
  if (changes.empty()) return tx->commit();
  std::vector<std::size_t> lengths;  // of each change's line, '\n' included
  std::string text;
  for (const auto& c : changes) {
    const std::size_t before = text.size();
    text += c.record ? formatRecord(*c.record) : formatDelete(entity_, c.id);
    lengths.push_back(text.size() - before);
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
    if (last != '\n') text = '\n' + text;
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

  // The lines are in the file, which is the truth: from here an indexing failure only means
  // the next call indexes them (the transaction rolls back, the saved offset stays before them).
  auto indexed = [&]() -> sdk::Status {
    auto now = FileState::of(entity_.file);
    if (!now) return now.takeError();
    if (auto s = reopenData(*now); !s) return s;
    struct stat after {};
    const bool ours = ::fstat(file.fd, &after) == 0 &&
                      static_cast<std::uint64_t>(before.st_size) == indexedUpTo &&
                      static_cast<std::uint64_t>(after.st_size) == indexedUpTo + text.size();
    if (!ours) return refreshLocked(*now);  // someone else wrote too: read it all back in order
    std::uint64_t offset = indexedUpTo;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const auto& c = changes[i];
      sdk::Status s =
          c.record ? applyUpsert(c.id, *c.record, offset, lengths[i] - 1) : applyDelete(c.id);
      if (!s) return s;
      offset += lengths[i];
    }
    return saveFilePosition(*now, offset);
  }();
  if (indexed) indexed = tx->commit();
  tx.reset();
  if (!indexed) {
    if (logger_ != nullptr) {
      logger_->warn("appended to " + entity_.file.filename().string() +
                    " but could not index the lines yet: " + indexed.error().message);
    }
    if (needsRebuild(indexed.error())) (void)recreateIndex(indexed.error().message);
  }
  return {};
}

}  // namespace ferry::plugins::jsonl
