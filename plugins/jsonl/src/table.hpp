// The sink's view of one entity file: the latest line per id, and lookup indexes per field.
// Both live in an on-disk index beside the file (SQLite, `.<file name>.index`), so memory stays
// flat whatever the file's size; records are read back from the file by offset when needed.
//
// The file is the truth, the index a cache of it: the index remembers how far into the file it
// has applied lines (with the file's identity and the bytes just before that point), applies
// later lines from anyone on the next call, and is rebuilt from scratch when the file was
// replaced or truncated, or the index is missing, corrupt or of another format. Appends take the
// index's write lock first, so connectors in several processes can share one file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <ferry/sdk/host.hpp>
#include <ferry/sdk/result.hpp>
#include <ferry/sdk/value.hpp>

#include "config.hpp"
#include "sqlite.hpp"

namespace ferry::plugins::jsonl {

class Table {
 public:
  // Where the index of `file` lives.
  static std::filesystem::path indexPath(const std::filesystem::path& file);

  // Opens (creating or rebuilding) the index. `logger` may be null.
  static sdk::Result<std::unique_ptr<Table>> open(const EntityConfig& entity, bool fsync,
                                                  sdk::Logger* logger);
  ~Table();

  // Applies lines appended to the file since the index last saw it (by anyone). Invalid lines
  // are skipped and counted; the logger hears about each one.
  sdk::Status refresh();

  // The live record with this id, read back from the file.
  sdk::Result<std::optional<sdk::Object>> get(const std::string& id);
  sdk::Result<bool> contains(const std::string& id);
  // Ids of live records whose `field` equals `value`, sorted (a field's index is built on its
  // first use and kept).
  sdk::Result<std::vector<std::string>> find(const std::string& field, const sdk::Value& value);
  sdk::Result<std::uint64_t> size();
  // Lines this process skipped as invalid.
  std::size_t invalidLines() const noexcept { return invalidLines_; }

  // A change to make: the record's new full value, or nullopt for a delete.
  struct Change {
    std::string id;
    std::optional<sdk::Object> record;
  };
  // Decides a batch's changes under the index's write lock, then appends their lines in one
  // write and indexes them. decide() reads what it needs with get()/contains(), and what it
  // reads is current: other writers, in any process, wait for the lock. If indexing fails after
  // the write, the lines are indexed on the next call (the file is the truth); a partial line
  // left by a crash reads as one invalid line.
  using Decide = std::function<sdk::Result<std::vector<Change>>()>;
  sdk::Status write(const Decide& decide);
  // write() of changes decided beforehand.
  sdk::Status append(const std::vector<Change>& changes);

  // Builds the key indexes of these fields now (find() would on first use), so that lookups can
  // then run inside read().
  sdk::Status ensureIndexed(const std::set<std::string>& fields);
  // Runs fn, which calls get()/contains()/find() on already indexed fields, in one read
  // snapshot of the index.
  sdk::Status read(const std::function<sdk::Status()>& fn);

 private:
  struct Statements;
  struct FileState;
  // How far into which file the index has applied lines.
  struct Position {
    std::uint64_t offset = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t tail = 0;  // hash of the bytes just before `offset`
  };
  Table(const EntityConfig& entity, bool fsync, sdk::Logger* logger);

  sdk::Status openIndex();
  sdk::Status recreateIndex(const std::string& why);
  template <typename Fn>
  auto recovering(Fn&& fn) -> decltype(fn());

  sdk::Result<Position> readPosition();
  bool describes(const Position& position, const FileState& file) const;
  sdk::Status refreshLocked(const FileState& file);
  sdk::Status applyUpsert(const std::string& id, const sdk::Object& record, std::uint64_t offset,
                          std::uint64_t length);
  sdk::Status applyDelete(const std::string& id);
  sdk::Status insertKeys(const std::string& id, const sdk::Object& record,
                         const std::set<std::string>& fields);
  sdk::Status loadIndexedFields();
  sdk::Status buildFieldIndex(const std::string& field);
  sdk::Status saveFilePosition(const FileState& file, std::uint64_t offset);
  sdk::Result<std::optional<sdk::Object>> readRecord(std::uint64_t offset, std::uint64_t length);
  sdk::Status reopenData(const FileState& file);

  const EntityConfig& entity_;
  bool fsync_;
  sdk::Logger* logger_;
  std::filesystem::path indexFile_;
  std::optional<Database> db_;
  std::unique_ptr<Statements> sql_;
  std::set<std::string> indexedFields_;
  int dataFd_ = -1;  // the file, open for reading records back
  std::uint64_t dataInode_ = 0;
  std::size_t invalidLines_ = 0;
  bool inTransaction_ = false;   // a caller's read() or write() holds the index
  bool rebuildPending_ = false;  // found broken inside a transaction: rebuild on the next call
  std::string rebuildReason_;
};

}  // namespace ferry::plugins::jsonl
