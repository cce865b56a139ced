// The StateStore over SQL, shared by both backends: every query is written here once; the
// Dialect supplies what differs (connections, placeholders, types, locking, error classes).
#pragma once

#include <memory>
#include <string>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include "dialect.hpp"
#include "ferry/host/state/store.hpp"
#include "session_pool.hpp"

namespace ferry::host::state {

class SqlStateStore final : public StateStore {
 public:
  // Connects and applies pending migrations.
  static Result<std::unique_ptr<StateStore>> open(std::unique_ptr<Dialect> dialect);

  std::string backend() const override;
  int schemaVersion() override;

  Result<int> deployFlow(const FlowVersion& version) override;
  Result<std::optional<FlowState>> flowState(const std::string& name) override;
  Result<std::vector<FlowState>> listFlows() override;
  Result<std::optional<FlowVersion>> flowVersion(const std::string& name, int version) override;
  Result<std::vector<FlowVersion>> flowHistory(const std::string& name) override;
  Status setFlowActive(const std::string& name, bool active) override;
  Status deleteFlow(const std::string& name) override;

  Result<std::optional<std::string>> cursor(const std::string& flow, Direction side) override;
  Status resetCursors(const std::string& flow) override;

  Result<std::vector<Link>> linksBySource(const std::string& flow,
                                          const std::vector<std::string>& sourceIds) override;
  Result<std::vector<Link>> linksBySink(const std::string& flow,
                                        const std::vector<std::string>& sinkIds) override;
  Result<std::int64_t> linkCount(const std::string& flow) override;
  Result<std::vector<Link>> links(const std::string& flow, const std::string& afterSourceId,
                                  std::size_t limit) override;

  Status commitBatch(const BatchCommit& batch) override;

  Result<std::vector<Conflict>> conflicts(const ConflictFilter& filter) override;
  Result<std::optional<Conflict>> conflict(std::int64_t id) override;
  Status resolveConflict(std::int64_t id, const std::string& resolution) override;

  Result<std::vector<DeadLetter>> deadLetters(const DeadLetterFilter& filter) override;
  Result<std::optional<DeadLetter>> deadLetter(std::int64_t id) override;
  Status setDeadLetterStatus(std::int64_t id, DeadLetterStatus status,
                             std::int64_t nextRetryAtMs) override;
  Result<std::int64_t> countDeadLetters(const DeadLetterFilter& filter) override;

  Result<std::int64_t> startRun(const std::string& flow, const std::string& node,
                                std::int64_t startedAtMs) override;
  Status finishRun(std::int64_t runId, RunStatus status, std::int64_t endedAtMs,
                   const std::string& error) override;
  Result<std::vector<Run>> runs(const std::string& flow, std::size_t limit) override;

  Result<std::optional<std::string>> kvGet(const std::string& scope,
                                           const std::string& key) override;
  Status kvPut(const std::string& scope, const std::string& key, const std::string& value) override;
  Status kvErase(const std::string& scope, const std::string& key) override;
  Result<std::vector<std::string>> kvKeys(const std::string& scope) override;

  Result<bool> acquireLease(const std::string& name, const std::string& node, std::int64_t nowMs,
                            std::int64_t ttlMs) override;
  Status releaseLease(const std::string& name, const std::string& node) override;

 private:
  explicit SqlStateStore(std::unique_ptr<Dialect> dialect);

  // Runs fn(session) and returns its Result; with `write`, inside one transaction that commits
  // when fn returns ok and rolls back when it returns an error or throws. Exceptions become
  // errors classified by the dialect.
  template <typename Fn>
  auto withSession(const char* what, bool write, Fn&& fn)
      -> std::invoke_result_t<Fn, Poco::Data::Session&>;

  Status migrate();
  // A statement with the dialect's placeholder syntax.
  Poco::Data::Statement statement(Poco::Data::Session& session, std::string_view sql) const;
  Result<std::vector<Link>> linksByColumn(const std::string& flow, const char* column,
                                          const std::vector<std::string>& ids);
  void upsertLinks(Poco::Data::Session& session, const std::string& flow,
                   const std::vector<Link>& links, std::int64_t stampMs);

  std::unique_ptr<Dialect> dialect_;
  SessionPool pool_;
  int schemaVersion_ = 0;
};

}  // namespace ferry::host::state
