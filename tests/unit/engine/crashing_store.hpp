// A StateStore decorator that simulates a process crash between the sink's answer and the state
// commit: while armed, commitBatch() fails without touching the real store.
#pragma once

#include "ferry/host/state/store.hpp"

namespace ferry::host::engine::testing {

class CrashingStore final : public StateStore {
 public:
  explicit CrashingStore(StateStore& inner) : inner_(inner) {}

  // The n-th commit from now (1 = the next) fails, and so does every commit after it until
  // disarm(): a dead process commits nothing more.
  void crashAtCommit(int n) { countdown_ = n; }
  void disarm() {
    countdown_ = 0;
    crashed_ = false;
  }
  bool crashed() const { return crashed_; }

  Status commitBatch(const BatchCommit& batch) override {
    if (crashed_ || (countdown_ > 0 && --countdown_ == 0)) {
      crashed_ = true;
      return sdk::Error::make(sdk::ErrorCode::kUnavailable, "simulated crash before commit");
    }
    return inner_.commitBatch(batch);
  }

  std::string backend() const override { return inner_.backend(); }
  int schemaVersion() override { return inner_.schemaVersion(); }
  Result<int> deployFlow(const FlowVersion& v) override { return inner_.deployFlow(v); }
  Result<std::optional<FlowState>> flowState(const std::string& n) override {
    return inner_.flowState(n);
  }
  Result<std::vector<FlowState>> listFlows() override { return inner_.listFlows(); }
  Result<std::optional<FlowVersion>> flowVersion(const std::string& n, int v) override {
    return inner_.flowVersion(n, v);
  }
  Result<std::vector<FlowVersion>> flowHistory(const std::string& n) override {
    return inner_.flowHistory(n);
  }
  Status setFlowActive(const std::string& n, bool a) override { return inner_.setFlowActive(n, a); }
  Status deleteFlow(const std::string& n) override { return inner_.deleteFlow(n); }
  Result<std::optional<std::string>> cursor(const std::string& f, Direction d) override {
    return inner_.cursor(f, d);
  }
  Status resetCursors(const std::string& f) override { return inner_.resetCursors(f); }
  Result<std::vector<Link>> linksBySource(const std::string& f,
                                          const std::vector<std::string>& ids) override {
    return inner_.linksBySource(f, ids);
  }
  Result<std::vector<Link>> linksBySink(const std::string& f,
                                        const std::vector<std::string>& ids) override {
    return inner_.linksBySink(f, ids);
  }
  Result<std::int64_t> linkCount(const std::string& f) override { return inner_.linkCount(f); }
  Result<std::vector<Link>> links(const std::string& f, const std::string& after,
                                  std::size_t limit) override {
    return inner_.links(f, after, limit);
  }
  Result<std::vector<Conflict>> conflicts(const ConflictFilter& f) override {
    return inner_.conflicts(f);
  }
  Result<std::optional<Conflict>> conflict(std::int64_t id) override { return inner_.conflict(id); }
  Status resolveConflict(std::int64_t id, const std::string& r) override {
    return inner_.resolveConflict(id, r);
  }
  Result<std::vector<DeadLetter>> deadLetters(const DeadLetterFilter& f) override {
    return inner_.deadLetters(f);
  }
  Result<std::optional<DeadLetter>> deadLetter(std::int64_t id) override {
    return inner_.deadLetter(id);
  }
  Status setDeadLetterStatus(std::int64_t id, DeadLetterStatus s, std::int64_t next) override {
    return inner_.setDeadLetterStatus(id, s, next);
  }
  Result<std::int64_t> countDeadLetters(const DeadLetterFilter& f) override {
    return inner_.countDeadLetters(f);
  }
  Result<std::int64_t> startRun(const std::string& f, const std::string& n,
                                std::int64_t at) override {
    return inner_.startRun(f, n, at);
  }
  Status finishRun(std::int64_t id, RunStatus s, std::int64_t at, const std::string& e) override {
    return inner_.finishRun(id, s, at, e);
  }
  Result<std::vector<Run>> runs(const std::string& f, std::size_t limit) override {
    return inner_.runs(f, limit);
  }
  Result<std::optional<std::string>> kvGet(const std::string& s, const std::string& k) override {
    return inner_.kvGet(s, k);
  }
  Status kvPut(const std::string& s, const std::string& k, const std::string& v) override {
    return inner_.kvPut(s, k, v);
  }
  Status kvErase(const std::string& s, const std::string& k) override {
    return inner_.kvErase(s, k);
  }
  Result<std::vector<std::string>> kvKeys(const std::string& s) override {
    return inner_.kvKeys(s);
  }
  Result<bool> acquireLease(const std::string& n, const std::string& node, std::int64_t now,
                            std::int64_t ttl) override {
    return inner_.acquireLease(n, node, now, ttl);
  }
  Status releaseLease(const std::string& n, const std::string& node) override {
    return inner_.releaseLease(n, node);
  }

 private:
  StateStore& inner_;
  int countdown_ = 0;
  bool crashed_ = false;
};

}  // namespace ferry::host::engine::testing
