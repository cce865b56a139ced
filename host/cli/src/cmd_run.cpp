// ferry run, ferry status, ferry conflicts, ferry dead-letters: run flows from files against a
// state store (SQLite by default), and read what the store remembers.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "ferry/host/cli/command.hpp"
#include "ferry/host/cli/plugin_options.hpp"
#include "ferry/host/common/clock.hpp"
#include "ferry/host/engine/connections.hpp"
#include "ferry/host/engine/scheduler.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/plugins/settings.hpp"
#include "ferry/host/state/store.hpp"
#include "runtime.hpp"

namespace ferry::host::cli {
namespace {

using engine::FlowInstance;
using engine::FlowRunner;

OptionSpec connectionsOption() {
  return {"--connections", "DIR",
          "Connection files directory (default: connections/ next to the flow, or one level up)",
          false};
}

std::string formatCounts(const RunCounts& c) {
  std::ostringstream out;
  out << "read " << c.read << ", created " << c.created << ", updated " << c.updated
      << ", unchanged " << c.unchanged << ", deleted " << c.deleted << ", rejected " << c.rejected
      << ", conflicts " << c.conflicts;
  return out.str();
}

std::string formatTime(std::int64_t ms) {
  return ms > 0 ? sdk::DateTime{ms}.toIso() : std::string("-");
}

const char* runStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kAbandoned:
      return "abandoned";
  }
  return "?";
}

// ---- Loading flows --------------------------------------------------------------------------

// Everything `ferry run` needs, kept alive together (connectors borrow from all of it).
struct Runtime : ConnectionRuntime {
  StaticSchemaProvider schemas;
  struct Loaded {
    FlowDef flow;
    ConnectionDef source;
    ConnectionDef sink;
    std::string file;
  };
  std::vector<Loaded> flows;
  std::map<std::string, std::vector<sdk::EntitySchema>> described;  // plugin -> live entities
};

// Plugins whose entities come from their settings (jsonl) have an empty static catalogue: ask
// their connections (describe) so flows can be validated against what they really offer.
void describeConnections(Runtime& rt, const ConnectionSet& connections) {
  for (const auto& def : connections.all()) {
    const LoadedPlugin* plugin = rt.plugins->find(def.plugin);
    if (plugin == nullptr || !plugin->entities().empty()) continue;
    auto live = rt.factory->open(def);
    if (!live) continue;  // opening the flow reports it
    auto described = (*live)->connector().describe();
    if (!described) continue;
    auto& known = rt.described[def.plugin];
    for (auto& entity : *described) {
      const auto same = [&](const sdk::EntitySchema& e) { return e.name == entity.name; };
      if (std::none_of(known.begin(), known.end(), same)) known.push_back(std::move(entity));
    }
    rt.schemas.add(PluginSchema{plugin->name(), plugin->settings(), known});
  }
}

// Loads and validates flow files (with their connections); prints every problem.
bool loadFlows(Runtime& rt, const std::vector<std::pair<std::string, std::string>>& files,
               const Args& args, Context& ctx) {
  Diagnostics all;
  for (const auto& [path, text] : files) {
    Diagnostics diags;
    std::optional<std::string> dir = args.value("--connections");
    if (!dir) dir = findConnectionDirectory(path);
    ConnectionSet connections;
    if (dir) connections = loadConnectionDirectory(*dir, rt.schemas, processEnvironment(), diags);
    describeConnections(rt, connections);
    auto flow = loadFlow(text, path, connections, rt.schemas, diags);
    all.append(diags);
    if (!flow || diags.hasErrors()) continue;
    const ConnectionDef* source = connections.find(flow->source.connection);
    const ConnectionDef* sink = connections.find(flow->sink.connection);
    if (source == nullptr || sink == nullptr) continue;  // reported by the validator
    rt.flows.push_back({std::move(*flow), *source, *sink, path});
  }
  if (all.hasErrors()) {
    ctx.err << all.format();
    for (const auto& e : rt.plugins->errors()) ctx.err << "note: " << e.describe() << "\n";
    return false;
  }
  return true;
}

bool prepareRuntime(Runtime& rt, const Args& args, Context& ctx) {
  if (!openConnectionRuntime(rt, args, ctx, StoreUse::kRunState)) return false;
  for (const auto* plugin : rt.plugins->list()) {
    rt.schemas.add(PluginSchema{plugin->name(), plugin->settings(), plugin->entities()});
  }
  return true;
}

// Converted or merged records hand their link to the flow that syncs the successor's entity
// between the same two connections.
engine::SuccessorRouter routerFor(const Runtime& rt, const FlowDef& from) {
  std::vector<std::pair<std::string, std::string>> siblings;  // entity -> flow
  for (const auto& l : rt.flows) {
    if (l.flow.source.connection == from.source.connection &&
        l.flow.sink.connection == from.sink.connection) {
      siblings.emplace_back(l.flow.source.entity, l.flow.name);
    }
  }
  return [siblings](const sdk::Successor& s) {
    for (const auto& [entity, flow] : siblings) {
      if (entity == s.entity) return flow;
    }
    return std::string();
  };
}

// ---- ferry run ------------------------------------------------------------------------------

std::atomic<bool> gStopRequested{false};
extern "C" void onStopSignal(int) { gStopRequested.store(true); }

// Progress of one flow's run: a line rewritten in place on a terminal (at most 4 times a
// second) and a log line every `logEvery`.
class ProgressPrinter {
 public:
  ProgressPrinter(std::string flow, std::ostream* terminal, std::chrono::milliseconds logEvery)
      : flow_(std::move(flow)), terminal_(terminal), logEvery_(logEvery) {}

  void update(const engine::Progress& p) {
    // Scheduled runs are polled: a snapshot already seen (no batch since) is not shown again.
    if (seen_ && p.records == seen_->first && p.elapsedMs == seen_->second) return;
    seen_.emplace(p.records, p.elapsedMs);
    const auto now = std::chrono::steady_clock::now();
    if (terminal_ != nullptr && now - lastLine_ >= std::chrono::milliseconds(250)) {
      lastLine_ = now;
      *terminal_ << "\r" << flow_
                 << (p.direction == Direction::kForward ? " (source -> sink): "
                                                        : " (sink -> source): ")
                 << engine::formatProgress(p) << ", " << engine::formatDuration(p.elapsedMs)
                 << " elapsed\033[K" << std::flush;
      shown_ = true;
    }
    if (now - lastLog_ >= logEvery_) {
      lastLog_ = now;
      if (!logger_) logger_ = engine::makeEngineLogger(flow_);
      logger_->info("progress: " + engine::formatProgress(p) + "; " + formatCounts(p.counts));
    }
  }
  void finish() {
    if (shown_) *terminal_ << "\r\033[K" << std::flush;
  }

 private:
  std::string flow_;
  std::ostream* terminal_;  // nullptr: log lines only
  std::chrono::milliseconds logEvery_;
  bool shown_ = false;
  std::optional<std::pair<std::int64_t, std::int64_t>> seen_;  // records, elapsedMs
  std::chrono::steady_clock::time_point lastLine_{};
  std::chrono::steady_clock::time_point lastLog_ = std::chrono::steady_clock::now();
  std::unique_ptr<sdk::Logger> logger_;
};

constexpr std::chrono::seconds kDefaultProgressLogInterval{10};

// --progress-every, or the default; nullopt (after saying why) when malformed.
std::optional<std::chrono::milliseconds> progressInterval(const Args& args, Context& ctx) {
  const auto text = args.value("--progress-every");
  if (!text) return kDefaultProgressLogInterval;
  if (auto d = parseDuration(*text)) return *d;
  ctx.err << ctx.program << ": --progress-every expects a duration like 30s or 1m, got '" << *text
          << "'\n";
  return std::nullopt;
}

void printSummary(Context& ctx, const std::string& flow, const engine::RunSummary& s) {
  const double seconds = static_cast<double>(s.endedAtMs - s.startedAtMs) / 1000.0;
  ctx.out << flow << ": " << runStatusName(s.status) << " in " << std::fixed << std::setprecision(2)
          << seconds << "s: " << formatCounts(s.counts);
  if (seconds > 0 && s.counts.read > 0) {
    ctx.out << " (" << std::setprecision(0) << static_cast<double>(s.counts.read) / seconds
            << " records/s)";
  }
  ctx.out << "\n";
  if (!s.error.empty()) ctx.out << "  error: " << s.error << "\n";
}

int runOnce(Runtime& rt, Context& ctx, std::chrono::milliseconds logEvery) {
  int status = kExitOk;
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  for (const auto& l : rt.flows) {
    auto instance =
        FlowInstance::open(l.flow, l.source, l.sink, *rt.factory, *rt.store, systemClock(), "cli");
    if (!instance) {
      ctx.err << ctx.program << ": " << l.file << ": " << instance.error().message << "\n";
      status = kExitFailure;
      continue;
    }
    FlowRunner& runner = (*instance)->runner();
    runner.setSuccessorRouter(routerFor(rt, l.flow));
    ProgressPrinter progress(l.flow.name, terminal ? &ctx.err : nullptr, logEvery);
    engine::RunOptions options;
    options.shouldStop = [] { return gStopRequested.load(); };
    options.onProgress = [&](const engine::Progress& p) { progress.update(p); };
    const engine::RunSummary summary = runner.run(options);
    progress.finish();
    printSummary(ctx, l.flow.name, summary);
    if (summary.status != RunStatus::kSucceeded) status = kExitFailure;
  }
  return status;
}

int runScheduled(Runtime& rt, Context& ctx, std::chrono::milliseconds logEvery) {
  engine::Scheduler scheduler(
      *rt.store, systemClock(),
      [&rt](const FlowDef& flow, const std::string& node) -> Result<std::shared_ptr<FlowRunner>> {
        for (const auto& l : rt.flows) {
          if (l.flow.name != flow.name) continue;
          auto instance = FlowInstance::open(flow, l.source, l.sink, *rt.factory, *rt.store,
                                             systemClock(), node);
          if (!instance) return instance.takeError();
          std::shared_ptr<FlowInstance> owner = std::move(*instance);
          owner->runner().setSuccessorRouter(routerFor(rt, flow));
          return std::shared_ptr<FlowRunner>(owner, &owner->runner());
        }
        return sdk::Error::make(sdk::ErrorCode::kNotFound, "no flow " + flow.name);
      },
      engine::SchedulerOptions{4, "cli-" + std::to_string(::getpid())});
  for (const auto& l : rt.flows) scheduler.add(l.flow, true);
  scheduler.start();
  ctx.err << "running " << rt.flows.size() << (rt.flows.size() == 1 ? " flow" : " flows")
          << "; Ctrl-C stops after the current batch\n";
  std::map<std::string, std::int64_t> reported;
  // Each finished run once: those that moved records, and those a stop cut short.
  const auto reportRuns = [&](const std::vector<engine::FlowStatus>& statuses) {
    for (const auto& s : statuses) {
      if (!s.lastRun || reported[s.name] == s.lastRun->runId) continue;
      if (s.lastRun->counts.read > 0 || s.lastRun->status == RunStatus::kAbandoned) {
        reported[s.name] = s.lastRun->runId;
        printSummary(ctx, s.name, *s.lastRun);
      }
    }
  };
  // Several flows may run at once, so no terminal line here: their progress is logged.
  std::map<std::string, ProgressPrinter> progress;
  while (!gStopRequested.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto statuses = scheduler.statuses();
    for (const auto& s : statuses) {
      if (s.progress) {
        progress.try_emplace(s.name, s.name, nullptr, logEvery).first->second.update(*s.progress);
      }
    }
    reportRuns(statuses);
  }
  scheduler.stop();
  reportRuns(scheduler.statuses());  // the runs the stop ended
  return kExitOk;
}

int runRun(const Args& args, Context& ctx) {
  const auto logEvery = progressInterval(args, ctx);
  if (!logEvery) return kExitUsage;
  Runtime rt;
  if (!prepareRuntime(rt, args, ctx)) return kExitFailure;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : args.positionals()) {
    auto text = readTextFile(path);
    if (!text) {
      ctx.err << ctx.program << ": " << text.error().message << "\n";
      return kExitFailure;
    }
    files.emplace_back(path, std::move(*text));
  }
  if (!loadFlows(rt, files, args, ctx)) return kExitFailure;
  // Recorded (inactive) so that status, conflicts and dead-letter retries know the flow.
  for (const auto& l : rt.flows) {
    FlowVersion version;
    version.name = l.flow.name;
    version.definition = l.flow.definitionText;
    version.origin = l.file;
    version.deployedAtMs = systemClock().nowMs();
    if (auto deployed = rt.store->deployFlow(version); !deployed) {
      ctx.err << ctx.program << ": " << deployed.error().message << "\n";
      return kExitFailure;
    }
  }
  gStopRequested.store(false);
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  const int status =
      args.flag("--once") ? runOnce(rt, ctx, *logEvery) : runScheduled(rt, ctx, *logEvery);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return status;
}

// ---- ferry status / conflicts / dead-letters ------------------------------------------------

int runStatus(const Args& args, Context& ctx) {
  auto store = openStore(args, ctx);
  if (!store) return kExitFailure;
  auto flows = store->listFlows();
  if (!flows) {
    ctx.err << ctx.program << ": " << flows.error().message << "\n";
    return kExitFailure;
  }
  std::vector<std::vector<std::string>> rows{
      {"FLOW", "ACTIVE", "LAST RUN", "STATUS", "COUNTS", "LINKS", "CONFLICTS", "DEAD LETTERS"}};
  for (const auto& f : *flows) {
    auto runs = store->runs(f.name, 1);
    auto links = store->linkCount(f.name);
    ConflictFilter open;
    open.flow = f.name;
    open.status = ConflictStatus::kOpen;
    open.limit = 1000;
    auto conflicts = store->conflicts(open);
    DeadLetterFilter pending;
    pending.flow = f.name;
    pending.status = DeadLetterStatus::kPending;
    auto letters = store->countDeadLetters(pending);
    std::vector<std::string> row{f.name, f.active ? "yes" : "no"};
    if (runs && !runs->empty()) {
      const Run& r = runs->front();
      row.push_back(formatTime(r.startedAtMs));
      row.push_back(runStatusName(r.status) + (r.error.empty() ? "" : ": " + r.error));
      row.push_back(formatCounts(r.counts));
    } else {
      row.insert(row.end(), {"-", "never run", "-"});
    }
    row.push_back(links ? std::to_string(*links) : "?");
    row.push_back(conflicts ? std::to_string(conflicts->size()) +
                                  (conflicts->size() == open.limit ? "+" : "")
                            : "?");
    row.push_back(letters ? std::to_string(*letters) : "?");
    rows.push_back(std::move(row));
  }
  if (flows->empty()) {
    ctx.out << "no flows in " << stateUrl(args) << "\n";
  } else {
    ctx.out << renderTable(rows);
  }
  return kExitOk;
}

std::string joinValues(const Object& values) {
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) out += ", ";
    out += k + "=" + v.preview(40);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

int runConflicts(const Args& args, Context& ctx) {
  auto store = openStore(args, ctx);
  if (!store) return kExitFailure;
  ConflictFilter filter;
  filter.flow = args.value("--flow");
  if (!args.flag("--all")) filter.status = ConflictStatus::kOpen;
  filter.limit = 500;
  std::vector<std::vector<std::string>> rows{
      {"ID", "FLOW", "KIND", "SOURCE ID", "SINK ID", "FIELDS", "SOURCE", "SINK", "STATUS"}};
  while (true) {
    auto page = store->conflicts(filter);
    if (!page) {
      ctx.err << ctx.program << ": " << page.error().message << "\n";
      return kExitFailure;
    }
    for (const auto& c : *page) {
      const bool ambiguous = c.kind == ConflictKind::kAmbiguousMatch;
      rows.push_back({std::to_string(c.id), c.flow, ambiguous ? "ambiguous-match" : "field",
                      c.sourceId.empty() ? "-" : c.sourceId,
                      ambiguous ? "candidates: " + joined(c.candidates) : c.sinkId,
                      joined(c.fields), joinValues(c.sourceValues), joinValues(c.sinkValues),
                      c.status == ConflictStatus::kOpen ? "open" : "resolved: " + c.resolution});
    }
    if (page->size() < filter.limit) break;
    filter.afterId = page->back().id;
  }
  if (rows.size() == 1) {
    ctx.out << "no " << (args.flag("--all") ? "" : "open ") << "conflicts\n";
  } else {
    ctx.out << renderTable(rows);
  }
  return kExitOk;
}

// Retries dead letters through the deployed flow definitions (or the flow files given).
int retryLetters(const Args& args, Context& ctx) {
  Runtime rt;
  if (!prepareRuntime(rt, args, ctx)) return kExitFailure;
  std::vector<std::int64_t> ids;
  if (auto id = args.value("--retry")) {
    char* end = nullptr;
    const long long parsed = std::strtoll(id->c_str(), &end, 10);
    if (end == id->c_str() || *end != '\0' || parsed <= 0) {
      ctx.err << ctx.program << ": --retry expects a dead-letter id, got '" << *id << "'\n";
      return kExitUsage;
    }
    ids.push_back(parsed);
  }
  // Which flows are concerned.
  std::vector<std::string> names;
  if (!ids.empty()) {
    auto letter = rt.store->deadLetter(ids.front());
    if (!letter || !letter->has_value()) {
      ctx.err << ctx.program << ": no dead letter " << ids.front() << "\n";
      return kExitFailure;
    }
    names.push_back((*letter)->flow);
  } else if (auto flow = args.value("--flow")) {
    names.push_back(*flow);
  } else if (auto flows = rt.store->listFlows()) {
    for (const auto& f : *flows) names.push_back(f.name);
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : args.positionals()) {
    auto text = readTextFile(path);
    if (!text) {
      ctx.err << ctx.program << ": " << text.error().message << "\n";
      return kExitFailure;
    }
    files.emplace_back(path, std::move(*text));
  }
  if (files.empty()) {
    for (const auto& name : names) {
      auto version = rt.store->flowVersion(name, 0);
      if (!version || !version->has_value()) {
        ctx.err << ctx.program << ": flow " << name << " is not deployed; give its file\n";
        return kExitFailure;
      }
      files.emplace_back((*version)->origin, (*version)->definition);
    }
  }
  if (!loadFlows(rt, files, args, ctx)) return kExitFailure;
  int status = kExitOk;
  for (const auto& l : rt.flows) {
    if (std::find(names.begin(), names.end(), l.flow.name) == names.end()) continue;
    auto instance =
        FlowInstance::open(l.flow, l.source, l.sink, *rt.factory, *rt.store, systemClock(), "cli");
    if (!instance) {
      ctx.err << ctx.program << ": " << instance.error().message << "\n";
      status = kExitFailure;
      continue;
    }
    DeadLetterFilter pending;
    pending.status = DeadLetterStatus::kPending;
    auto done = ids.empty() ? (*instance)->runner().retryDeadLetters(pending)
                            : (*instance)->runner().retryDeadLetter(ids.front());
    if (!done) {
      ctx.err << ctx.program << ": " << l.flow.name << ": " << done.error().message << "\n";
      status = kExitFailure;
      continue;
    }
    ctx.out << l.flow.name << ": retried " << done->attempted << ": " << done->resolved
            << " resolved, " << done->superseded << " superseded, " << done->failed
            << " still failing\n";
    if (done->failed > 0) status = kExitFailure;
  }
  return status;
}

int runDeadLetters(const Args& args, Context& ctx) {
  if (args.value("--retry") || args.flag("--all")) return retryLetters(args, ctx);
  auto store = openStore(args, ctx);
  if (!store) return kExitFailure;
  DeadLetterFilter filter;
  filter.flow = args.value("--flow");
  filter.status = DeadLetterStatus::kPending;
  filter.limit = 500;
  std::vector<std::vector<std::string>> rows{
      {"ID", "FLOW", "RECORD", "CODE", "FIELD", "REASON", "ATTEMPTS", "NEXT RETRY"}};
  while (true) {
    auto page = store->deadLetters(filter);
    if (!page) {
      ctx.err << ctx.program << ": " << page.error().message << "\n";
      return kExitFailure;
    }
    for (const auto& d : *page) {
      rows.push_back({std::to_string(d.id), d.flow, d.recordId, d.errorCode,
                      d.field.empty() ? "-" : d.field, d.reason, std::to_string(d.attempts),
                      d.nextRetryAtMs > 0 ? formatTime(d.nextRetryAtMs) : "on request"});
    }
    if (page->size() < filter.limit) break;
    filter.afterId = page->back().id;
  }
  if (rows.size() == 1) {
    ctx.out << "no pending dead letters\n";
  } else {
    ctx.out << renderTable(rows);
  }
  return kExitOk;
}

}  // namespace

void registerRunCommands(CommandTable& table) {
  table.add(Command{
      "run",
      "Run flows from files: once (--once) or on their schedule until stopped",
      "Loads and validates the flow files and their connections, then syncs. With --once each "
      "flow runs one time (an initial load the first time, incremental afterwards) and a summary "
      "is printed; without it the flows run on their schedules until Ctrl-C, which stops after "
      "the current batch. Progress (records, rate and, when the source can estimate what is "
      "left, an ETA) is shown on a terminal and logged every 10 seconds (--progress-every). State "
      "(cursors, links, conflicts, dead letters, runs) lives in the --state store; a run that "
      "is killed resumes from the last committed batch. Exit status: 0 when every run "
      "succeeded (or, without --once, when stopped); 1 when a run failed or, with --once, was "
      "stopped (SIGINT/SIGTERM) before it finished (its summary says \"abandoned\").",
      {{"flow", "Flow files", true, true}},
      {stateOption(),
       connectionsOption(),
       pluginDirOption(),
       {"--once", "", "Run each flow once and exit", false},
       {"--progress-every", "DURATION",
        "How often a running flow's progress is logged (default 10s; 0s: after every batch)",
        false}},
      runRun});
  table.add(Command{"status",
                    "Show the flows of a state store with their last run and counts",
                    "Lists every flow the store knows with its last run (time, outcome, counts), "
                    "its number of links, open conflicts and pending dead letters.",
                    {},
                    {stateOption()},
                    runStatus});
  table.add(Command{"conflicts",
                    "List conflicts (open ones unless --all)",
                    "Field conflicts parked by the manual policy and ambiguous matches, with the "
                    "values on each side.",
                    {},
                    {stateOption(),
                     {"--flow", "NAME", "Only this flow", false},
                     {"--all", "", "Resolved conflicts too", false}},
                    runConflicts});
  table.add(Command{
      "dead-letters",
      "List pending dead letters, or retry them (--retry ID | --all)",
      "Without options lists the records that could not be written, with the reason, code and "
      "field. --retry ID (or --all, optionally with --flow) maps and writes them again now, "
      "using the deployed flow definitions or the flow files given; a success resolves them.",
      {{"flow", "Flow files to use for retries (default: the deployed definitions)", false, true}},
      {stateOption(),
       connectionsOption(),
       pluginDirOption(),
       {"--flow", "NAME", "Only this flow", false},
       {"--retry", "ID", "Retry this dead letter now", false},
       {"--all", "", "Retry every pending dead letter (of --flow, or of every flow)", false}},
      runDeadLetters});
}

}  // namespace ferry::host::cli
