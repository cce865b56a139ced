// The Salesforce connector: Source (incremental SOQL / Bulk API 2.0 reads), Sink (batched
// lookups, sObject Collections writes), describe-driven schemas and Outbound Message intake.
//
// Reads report, per change: upserts with the requested fields; deletions (IsDeleted rows from
// queryAll) as Op::kDelete, with Successor{kMerged, entity, MasterRecordId} for merge losers;
// converted Leads as Op::kUpsert carrying Successor{kConverted, "Contact", ConvertedContactId}.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/plugins/salesforce/api.hpp"
#include "ferry/plugins/salesforce/csv.hpp"
#include "ferry/plugins/salesforce/cursor.hpp"
#include "ferry/plugins/salesforce/describe.hpp"
#include "ferry/plugins/salesforce/session.hpp"
#include "ferry/plugins/salesforce/settings.hpp"
#include "ferry/sdk/connector.hpp"

namespace ferry::plugins::salesforce {

class SalesforceConnector final : public sdk::Connector,
                                  public sdk::Source,
                                  public sdk::Sink,
                                  public sdk::PushIntake {
 public:
  // Parses the settings; kInvalidArgument lists every bad setting.
  static sdk::Result<std::unique_ptr<SalesforceConnector>> create(const sdk::HostContext& context);

  // Connector
  sdk::Status start() override;
  void stop() noexcept override;
  sdk::Result<std::vector<sdk::EntitySchema>> describe() override;
  sdk::Source* source() override { return this; }
  sdk::Sink* sink() override { return this; }
  sdk::PushIntake* push() override { return this; }
  sdk::Status check() override;

  // Source
  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override;

  // Sink
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields) override;
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string& entity,
                                                   const std::vector<sdk::WriteOp>& ops) override;
  std::size_t maxBatch(const std::string& entity) const override;

  // PushIntake: Outbound Messages (SOAP); answers the Ack and wakes the notified entities.
  sdk::Result<sdk::PushResult> handlePush(const sdk::InboundRequest& request) override;

  // OAuth web-server flow, for the admin API's authorize/callback endpoints (also exported as
  // the plugin's `ferry_oauth_helper`, see oauth_helper.hpp).
  sdk::Result<std::string> authorizationUrl(const std::string& redirectUri,
                                            const std::string& state);
  sdk::Status exchangeAuthorizationCode(const std::string& code, const std::string& redirectUri);

  // The object's describe (cached in memory and in the KeyValueState for describe_ttl).
  sdk::Result<const ObjectDescription*> describeObject(const std::string& name);

 private:
  SalesforceConnector(const sdk::HostContext& context, Settings settings);

  struct ReadPlan;
  struct BulkChunk {
    std::string jobId;
    std::string locator;
    std::string nextLocator;
    std::vector<CsvRow> rows;  // header first
  };
  // Rows of the last fetched query page that the read limit left for the next read.
  struct PendingPage {
    std::string entity;
    std::vector<std::string> select;
    std::string cursor;  // the cursor handed out with the rows before these
    std::vector<sdk::Object> records;
    std::size_t next = 0;
    bool done = false;
    std::string nextRecordsUrl;
    std::int64_t totalSize = 0;
    bool freshQuery = false;  // the page was the first of its query (bulk switch decision)
  };
  struct CachedDescribe {
    ObjectDescription object;
    std::int64_t fetchedAtMs = 0;
  };

  sdk::Result<ReadPlan> planRead(const ObjectDescription& object, const sdk::ReadRequest& request);
  sdk::Result<sdk::ReadBatch> readRest(const ReadPlan& plan, Cursor cursor,
                                       const std::string& cursorText, std::size_t limit);
  sdk::Result<sdk::ReadBatch> readBulk(const ReadPlan& plan, Cursor cursor, std::size_t limit);
  sdk::Result<std::string> startBulkJob(const ReadPlan& plan, const PassState& pass);
  sdk::Result<const BulkChunk*> bulkChunk(const std::string& jobId, const std::string& locator);
  sdk::Result<sdk::HttpResponse> queryPage(const ReadPlan& plan, const std::string& soql,
                                           const std::string& nextUrl, std::size_t batchSize);
  sdk::Change toChange(const ReadPlan& plan, const sdk::Object& record,
                       const Position& position) const;

  // Writes ops[indices] (all of one kind) in Collections batches into results[index], setting
  // decided[index] for each result known.
  sdk::Status writeRecords(const ObjectDescription& object, const std::vector<sdk::WriteOp>& ops,
                           const std::vector<std::size_t>& indices, sdk::WriteOp::Kind kind,
                           bool upsert, std::vector<sdk::WriteResult>& results,
                           std::vector<bool>& decided);

  const sdk::HostContext& context_;
  Settings settings_;
  Session session_;
  std::map<std::string, CachedDescribe> describes_;  // by lower-cased name
  std::optional<BulkChunk> bulkChunk_;
  std::optional<PendingPage> pending_;
};

}  // namespace ferry::plugins::salesforce
