// The jsonl connector: source and sink over JSON-lines files, one file per entity.
//
// Source: read() streams <directory>/<Entity>.jsonl from the cursor (the byte offset of the next
// unread line), so memory is bounded by the batch, not the file. {"_deleted":true,"<id>":...}
// lines are deletes. Sink: an append-only log; create/update/delete append a line and the latest
// line per id wins. Lookups work on any field (indexed on disk on first use, see table.hpp;
// emails compare case-insensitively).
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>

#include <ferry/sdk/connector.hpp>

#include "config.hpp"
#include "table.hpp"

namespace ferry::plugins::jsonl {

class JsonlConnector final : public sdk::Connector, public sdk::Source, public sdk::Sink {
 public:
  JsonlConnector(Config config, const sdk::HostContext& context);

  // Connector
  sdk::Status start() override;
  void stop() noexcept override;
  sdk::Result<std::vector<sdk::EntitySchema>> describe() override;
  sdk::Source* source() override { return this; }
  sdk::Sink* sink() override { return this; }

  // Source
  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override;

  // Sink
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields) override;
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string& entity,
                                                   const std::vector<sdk::WriteOp>& ops) override;
  std::size_t maxBatch(const std::string& entity) const override { return config_.maxBatch; }

 private:
  sdk::Result<const EntityConfig*> entity(const std::string& name) const;
  sdk::Result<Table*> table(const EntityConfig& entity);
  sdk::Result<sdk::ReadBatch> readImpl(const sdk::ReadRequest& request);
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookupImpl(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields);
  sdk::Result<std::vector<sdk::WriteResult>> writeImpl(const std::string& entity,
                                                       const std::vector<sdk::WriteOp>& ops);
  sdk::Result<std::string> newId(Table& table);
  std::int64_t nowMs();
  void warn(const std::string& message);

  Config config_;
  sdk::HostContext context_;
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace ferry::plugins::jsonl
