#include "ferry/host/engine/scheduler.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace ferry::host::engine {
namespace {

std::string leaseName(const std::string& flow) { return "flow/" + flow; }

struct FlowEntry {
  FlowDef def;
  bool active = false;
  bool running = false;    // queued or running
  bool wakeAgain = false;  // woken while running: run again right after
  bool reopen = true;      // the runner must be (re)opened before the next run
  std::int64_t dueAtMs = 0;
  int failures = 0;
  std::shared_ptr<FlowRunner> runner;
  FlowStatus status;
  std::vector<std::string> deletedSourceIds;  // reported by push events, for the next run
  std::vector<std::string> deletedSinkIds;
};

}  // namespace

class Scheduler::Impl {
 public:
  Impl(StateStore& store, sdk::Clock& clock, FlowOpener opener, SchedulerOptions options)
      : store_(store), clock_(clock), opener_(std::move(opener)), options_(std::move(options)) {}

  ~Impl() { stop(); }

  void add(const FlowDef& flow, bool active) {
    std::lock_guard lock(mutex_);
    FlowEntry& e = flows_[flow.name];
    e.def = flow;
    e.reopen = true;
    e.status.name = flow.name;
    setActive(e, active);
    cv_.notify_all();
  }

  Status remove(const std::string& flow) {
    std::unique_lock lock(mutex_);
    auto it = flows_.find(flow);
    if (it == flows_.end()) return unknown(flow);
    it->second.active = false;
    idle_.wait(lock, [&] { return !flows_.at(flow).running; });
    flows_.erase(flow);
    lock.unlock();
    (void)store_.releaseLease(leaseName(flow), options_.node);
    return {};
  }

  Status activate(const std::string& flow) {
    return update(flow, [&](FlowEntry& e) { setActive(e, true); });
  }

  Status pause(const std::string& flow) {
    auto s = update(flow, [&](FlowEntry& e) { setActive(e, false); });
    if (s) (void)store_.releaseLease(leaseName(flow), options_.node);
    return s;
  }

  Status runNow(const std::string& flow) {
    return update(flow, [&](FlowEntry& e) { wakeEntry(e); });
  }

  std::size_t wake(const std::string& connection, const std::vector<std::string>& entities,
                   const std::vector<std::string>& deletedIds) {
    std::lock_guard lock(mutex_);
    std::size_t woken = 0;
    for (auto& [name, e] : flows_) {
      if (!e.active) continue;
      const auto reads = [&](const EndpointRef& ref) {
        return ref.connection == connection &&
               (entities.empty() ||
                std::find(entities.begin(), entities.end(), ref.entity) != entities.end());
      };
      const auto deletesFrom = [&](const EndpointRef& ref) {
        return !deletedIds.empty() && ref.connection == connection &&
               (entities.empty() || entities.front() == ref.entity);
      };
      const bool twoWay = e.def.mode == SyncMode::kTwoWay;
      if (reads(e.def.source) || (twoWay && reads(e.def.sink))) {
        if (deletesFrom(e.def.source)) {
          e.deletedSourceIds.insert(e.deletedSourceIds.end(), deletedIds.begin(), deletedIds.end());
        }
        if (twoWay && deletesFrom(e.def.sink)) {
          e.deletedSinkIds.insert(e.deletedSinkIds.end(), deletedIds.begin(), deletedIds.end());
        }
        wakeEntry(e);
        ++woken;
      }
    }
    cv_.notify_all();
    return woken;
  }

  std::optional<FlowStatus> status(const std::string& flow) const {
    std::lock_guard lock(mutex_);
    auto it = flows_.find(flow);
    if (it == flows_.end()) return std::nullopt;
    return snapshot(it->second);
  }

  std::vector<FlowStatus> statuses() const {
    std::lock_guard lock(mutex_);
    std::vector<FlowStatus> out;
    for (const auto& [name, e] : flows_) out.push_back(snapshot(e));
    return out;
  }

  Result<RetrySummary> retryDeadLetters(const std::string& flow, const DeadLetterFilter& filter) {
    return whileIdle<RetrySummary>(
        flow, [&](FlowRunner& runner) { return runner.retryDeadLetters(filter); });
  }

  Status resolveConflict(const std::string& flow, std::int64_t id, const std::string& resolution) {
    auto done = whileIdle<bool>(flow, [&](FlowRunner& runner) -> Result<bool> {
      if (auto s = runner.resolveConflict(id, resolution); !s) return s.takeError();
      return true;
    });
    if (!done) return done.takeError();
    return {};
  }

  void start() {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
    stopping_ = false;
    dispatcher_ = std::thread([this] { dispatchLoop(); });
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i) {
      workers_.emplace_back([this] { workLoop(); });
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!started_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    work_.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
    for (auto& w : workers_) w.join();
    workers_.clear();
    std::vector<std::string> names;
    {
      std::lock_guard lock(mutex_);
      started_ = false;
      for (auto& [name, e] : flows_) names.push_back(name);
    }
    for (const auto& name : names) (void)store_.releaseLease(leaseName(name), options_.node);
  }

 private:
  static sdk::Error unknown(const std::string& flow) {
    return sdk::Error::make(sdk::ErrorCode::kNotFound, "no flow named '" + flow + "'");
  }

  // Runs fn on the flow's runner between runs (waits for a run in progress to end).
  template <typename T, typename Fn>
  Result<T> whileIdle(const std::string& flow, Fn&& fn) {
    std::unique_lock lock(mutex_);
    if (flows_.find(flow) == flows_.end()) return unknown(flow);
    idle_.wait(lock, [&] { return !flows_.at(flow).running; });
    flows_.at(flow).running = true;  // keeps the dispatcher away meanwhile
    lock.unlock();
    Result<T> result = sdk::Error::make(sdk::ErrorCode::kInternal, "not run");
    if (auto runner = ensureRunner(flow)) {
      result = fn(**runner);
    } else {
      result = runner.takeError();
    }
    lock.lock();
    flows_.at(flow).running = false;
    idle_.notify_all();
    cv_.notify_all();
    return result;
  }

  template <typename Fn>
  Status update(const std::string& flow, Fn&& fn) {
    std::lock_guard lock(mutex_);
    auto it = flows_.find(flow);
    if (it == flows_.end()) return unknown(flow);
    fn(it->second);
    cv_.notify_all();
    return {};
  }

  void setActive(FlowEntry& e, bool active) {
    if (active && !e.active) e.dueAtMs = clock_.nowMs();  // first run right away
    e.active = active;
  }

  void wakeEntry(FlowEntry& e) {
    if (e.running) {
      e.wakeAgain = true;
    } else {
      e.dueAtMs = std::min(e.dueAtMs, clock_.nowMs());
    }
  }

  FlowStatus snapshot(const FlowEntry& e) const {
    FlowStatus s = e.status;
    s.active = e.active;
    s.running = e.running;
    s.nextRunAtMs = e.active ? e.dueAtMs : 0;
    if (auto it = caughtUpAtMs_.find(e.def.name); it != caughtUpAtMs_.end()) {
      s.lagMs = clock_.nowMs() - it->second;
    }
    return s;
  }

  void dispatchLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      const std::int64_t now = clock_.nowMs();
      std::int64_t nextDue = INT64_MAX;
      for (auto& [name, e] : flows_) {
        if (!e.active || e.running) continue;
        if (e.dueAtMs <= now) {
          e.running = true;
          queue_.push_back(name);
          work_.notify_one();
        } else {
          nextDue = std::min(nextDue, e.dueAtMs);
        }
      }
      const auto wait =
          nextDue == INT64_MAX
              ? std::chrono::milliseconds(1000)
              : std::chrono::milliseconds(std::clamp<std::int64_t>(nextDue - now, 1, 1000));
      cv_.wait_for(lock, wait);
    }
  }

  void workLoop() {
    while (true) {
      std::string name;
      {
        std::unique_lock lock(mutex_);
        work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
          // Queued runs that never started are simply not run now.
          for (const auto& queued : queue_) {
            if (auto it = flows_.find(queued); it != flows_.end()) it->second.running = false;
          }
          queue_.clear();
          idle_.notify_all();
          return;
        }
        name = std::move(queue_.front());
        queue_.pop_front();
      }
      runFlow(name);
    }
  }

  Result<std::shared_ptr<FlowRunner>> ensureRunner(const std::string& name) {
    FlowDef def;
    {
      std::lock_guard lock(mutex_);
      FlowEntry& e = flows_.at(name);
      if (e.runner && !e.reopen) return e.runner;
      def = e.def;
    }
    auto opened = opener_(def, options_.node);
    std::lock_guard lock(mutex_);
    FlowEntry& e = flows_.at(name);
    if (!opened) return opened.takeError();
    e.runner = std::move(*opened);
    e.reopen = false;
    return e.runner;
  }

  void runFlow(const std::string& name) {
    const std::string lease = leaseName(name);
    const auto ttl = options_.leaseTtl.count();
    auto held = store_.acquireLease(lease, options_.node, clock_.nowMs(), ttl);
    std::optional<RunSummary> summary;
    std::string error;
    bool elsewhere = false;
    std::pair<std::vector<std::string>, std::vector<std::string>> deletes;
    if (!held) {
      error = "cannot take the flow's lease: " + held.error().describe();
    } else if (!*held) {
      elsewhere = true;
    } else if (auto runner = ensureRunner(name); !runner) {
      error = runner.error().describe();
    } else {
      RunOptions options;
      {
        std::lock_guard lock(mutex_);
        FlowEntry& e = flows_.at(name);
        options.deletedSourceIds = std::exchange(e.deletedSourceIds, {});
        options.deletedSinkIds = std::exchange(e.deletedSinkIds, {});
      }
      deletes = std::make_pair(options.deletedSourceIds, options.deletedSinkIds);
      options.shouldStop = [this, name] {
        std::lock_guard lock(mutex_);
        auto it = flows_.find(name);
        return stopping_ || it == flows_.end() || !it->second.active;
      };
      options.beforeBatch = [this, lease, ttl] {
        auto renewed = store_.acquireLease(lease, options_.node, clock_.nowMs(), ttl);
        return renewed.ok() && *renewed;
      };
      options.onProgress = [this, name](const Progress& p) {
        std::lock_guard lock(mutex_);
        if (auto it = flows_.find(name); it != flows_.end()) it->second.status.progress = p;
      };
      summary = (*runner)->run(options);
      if (summary->status == RunStatus::kFailed) error = summary->error;
    }

    std::lock_guard lock(mutex_);
    auto it = flows_.find(name);
    if (it == flows_.end()) return;
    FlowEntry& e = it->second;
    e.running = false;
    e.status.progress.reset();
    e.status.leaseHeldElsewhere = elsewhere;
    const std::int64_t now = clock_.nowMs();
    const std::int64_t interval = std::max<std::int64_t>(e.def.every.count(), 1);
    if (summary) {
      ++e.status.runs;
      e.status.lastRun = summary;
      const RunCounts& c = summary->counts;
      e.status.totals.read += c.read;
      e.status.totals.created += c.created;
      e.status.totals.updated += c.updated;
      e.status.totals.unchanged += c.unchanged;
      e.status.totals.deleted += c.deleted;
      e.status.totals.rejected += c.rejected;
      e.status.totals.conflicts += c.conflicts;
      if (summary->status == RunStatus::kSucceeded) {
        caughtUpAtMs_[name] = summary->startedAtMs;
      }
    }
    if (summary && summary->status == RunStatus::kFailed) {
      // Reported deletes the failed run may not have committed wait for the next one.
      e.deletedSourceIds.insert(e.deletedSourceIds.end(), deletes.first.begin(),
                                deletes.first.end());
      e.deletedSinkIds.insert(e.deletedSinkIds.end(), deletes.second.begin(), deletes.second.end());
    }
    if (!error.empty()) {
      e.status.lastError = error;
      ++e.failures;
      e.reopen = e.reopen || !summary;  // a failed open is retried from scratch
      std::int64_t delay = interval;
      for (int i = 1; i < e.failures && delay < options_.maxFailureDelay.count(); ++i) delay *= 2;
      e.dueAtMs = now + std::min<std::int64_t>(delay, options_.maxFailureDelay.count());
    } else {
      e.failures = 0;
      e.dueAtMs = now + interval;
    }
    if (e.wakeAgain) {
      e.wakeAgain = false;
      e.dueAtMs = now;
    }
    idle_.notify_all();
    cv_.notify_all();
  }

  StateStore& store_;
  sdk::Clock& clock_;
  FlowOpener opener_;
  SchedulerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;    // dispatcher: something changed
  std::condition_variable work_;  // workers: queue not empty / stopping
  std::condition_variable idle_;  // a flow stopped running
  std::map<std::string, FlowEntry> flows_;
  std::map<std::string, std::int64_t> caughtUpAtMs_;
  std::deque<std::string> queue_;
  bool started_ = false;
  bool stopping_ = false;
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

Scheduler::Scheduler(StateStore& store, sdk::Clock& clock, FlowOpener opener,
                     SchedulerOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(opener), std::move(options))) {}
Scheduler::~Scheduler() = default;
void Scheduler::add(const FlowDef& flow, bool active) { impl_->add(flow, active); }
Status Scheduler::remove(const std::string& flow) { return impl_->remove(flow); }
Status Scheduler::activate(const std::string& flow) { return impl_->activate(flow); }
Status Scheduler::pause(const std::string& flow) { return impl_->pause(flow); }
Status Scheduler::runNow(const std::string& flow) { return impl_->runNow(flow); }
std::size_t Scheduler::wake(const std::string& connection, const std::vector<std::string>& entities,
                            const std::vector<std::string>& deletedIds) {
  return impl_->wake(connection, entities, deletedIds);
}
std::optional<FlowStatus> Scheduler::status(const std::string& flow) const {
  return impl_->status(flow);
}
std::vector<FlowStatus> Scheduler::statuses() const { return impl_->statuses(); }
Result<RetrySummary> Scheduler::retryDeadLetters(const std::string& flow,
                                                 const DeadLetterFilter& filter) {
  return impl_->retryDeadLetters(flow, filter);
}
Status Scheduler::resolveConflict(const std::string& flow, std::int64_t id,
                                  const std::string& resolution) {
  return impl_->resolveConflict(flow, id, resolution);
}
void Scheduler::start() { impl_->start(); }
void Scheduler::stop() { impl_->stop(); }

}  // namespace ferry::host::engine
