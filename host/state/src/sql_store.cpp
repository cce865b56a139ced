#include "sql_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <type_traits>

#include <Poco/Data/LOB.h>

#include "migrations.hpp"

namespace ferry::host::state {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;
using sdk::Error;
using sdk::ErrorCode;
using Int64 = Poco::Int64;

// Ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
constexpr std::size_t kIdsPerQuery = 500;
// Links per multi-row INSERT (7 parameters each).
constexpr std::size_t kLinksPerInsert = 500;

// A row the store itself wrote cannot be read back: a bug or a hand-edited database.
class CorruptRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t orNow(std::int64_t ms, std::int64_t now) { return ms != 0 ? ms : now; }

Error invalid(std::string message) {
  return Error::make(ErrorCode::kInvalidArgument, std::move(message));
}
Error notFound(std::string message) {
  return Error::make(ErrorCode::kNotFound, std::move(message));
}

// ---- Enum and JSON columns ----

const char* conflictKindName(ConflictKind k) {
  return k == ConflictKind::kAmbiguousMatch ? "ambiguous_match" : "field_conflict";
}
ConflictKind parseConflictKind(const std::string& s) {
  if (s == "field_conflict") return ConflictKind::kFieldConflict;
  if (s == "ambiguous_match") return ConflictKind::kAmbiguousMatch;
  throw CorruptRow("unknown conflict kind '" + s + "'");
}
const char* conflictStatusName(ConflictStatus s) {
  return s == ConflictStatus::kResolved ? "resolved" : "open";
}
ConflictStatus parseConflictStatus(const std::string& s) {
  if (s == "open") return ConflictStatus::kOpen;
  if (s == "resolved") return ConflictStatus::kResolved;
  throw CorruptRow("unknown conflict status '" + s + "'");
}
const char* deadLetterStatusName(DeadLetterStatus s) {
  switch (s) {
    case DeadLetterStatus::kPending:
      return "pending";
    case DeadLetterStatus::kRetrying:
      return "retrying";
    case DeadLetterStatus::kResolved:
      return "resolved";
    case DeadLetterStatus::kDiscarded:
      return "discarded";
  }
  return "pending";
}
DeadLetterStatus parseDeadLetterStatus(const std::string& s) {
  for (auto status : {DeadLetterStatus::kPending, DeadLetterStatus::kRetrying,
                      DeadLetterStatus::kResolved, DeadLetterStatus::kDiscarded}) {
    if (s == deadLetterStatusName(status)) return status;
  }
  throw CorruptRow("unknown dead letter status '" + s + "'");
}
Direction parseDirection(const std::string& s) {
  if (s == toString(Direction::kForward)) return Direction::kForward;
  if (s == toString(Direction::kReverse)) return Direction::kReverse;
  throw CorruptRow("unknown direction '" + s + "'");
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
  return "running";
}
RunStatus parseRunStatus(const std::string& s) {
  for (auto status :
       {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed, RunStatus::kAbandoned}) {
    if (s == runStatusName(status)) return status;
  }
  throw CorruptRow("unknown run status '" + s + "'");
}

// Stored objects (link bases, conflict values, dead-letter payloads) must read back equal to
// what was written: the engine compares them with fresh values to suppress echoes. JSON has no
// date types, so dates and datetimes are stored as {"$date": "2024-03-05"} and
// {"$datetime": "2024-03-05T14:07:09.000Z"}; keys of the record that start with '$' get one
// more '$' so that they cannot be mistaken for these tags.
constexpr std::string_view kDateTag = "$date";
constexpr std::string_view kDateTimeTag = "$datetime";

sdk::Value tagKinds(const sdk::Value& v) {
  switch (v.kind()) {
    case sdk::ValueKind::kDate:
      return Object{{std::string(kDateTag), v.asDate().toIso()}};
    case sdk::ValueKind::kDateTime:
      return Object{{std::string(kDateTimeTag), v.asDateTime().toIso()}};
    case sdk::ValueKind::kList: {
      sdk::List out;
      out.reserve(v.asList().size());
      for (const auto& item : v.asList()) out.push_back(tagKinds(item));
      return out;
    }
    case sdk::ValueKind::kObject: {
      Object out;
      out.reserve(v.asObject().size());
      for (const auto& [key, item] : v.asObject())
        out.set(key.starts_with('$') ? "$" + key : key, tagKinds(item));
      return out;
    }
    default:
      return v;
  }
}

sdk::Value untagKinds(const sdk::Value& v, const char* column) {
  if (v.isList()) {
    sdk::List out;
    out.reserve(v.asList().size());
    for (const auto& item : v.asList()) out.push_back(untagKinds(item, column));
    return out;
  }
  if (!v.isObject()) return v;
  const Object& object = v.asObject();
  if (object.size() == 1) {
    const auto& [key, item] = *object.begin();
    if (key == kDateTag || key == kDateTimeTag) {
      if (item.isString()) {
        if (key == kDateTag) {
          if (auto date = sdk::Date::parseIso(item.asString())) return *date;
        } else if (auto time = sdk::DateTime::parseIso(item.asString())) {
          return *time;
        }
      }
      throw CorruptRow(std::string(column) + " holds a malformed " + key + " value");
    }
  }
  Object out;
  out.reserve(object.size());
  for (const auto& [key, item] : object) {
    if (key.starts_with('$') && !key.starts_with("$$")) {
      throw CorruptRow(std::string(column) + " holds an unknown tag '" + key + "'");
    }
    out.set(key.starts_with('$') ? key.substr(1) : key, untagKinds(item, column));
  }
  return out;
}

std::string objectJson(const Object& object) { return tagKinds(object).toJson(); }

Object parseObject(const std::string& text, const char* column) {
  std::string error;
  auto value = sdk::Value::fromJson(text, &error);
  if (!value || !value->isObject()) {
    throw CorruptRow(std::string(column) + " is not a JSON object" +
                     (error.empty() ? "" : ": " + error));
  }
  return std::move(untagKinds(*value, column).asObject());
}

std::string stringsJson(const std::vector<std::string>& items) {
  sdk::List list(items.begin(), items.end());
  return sdk::Value(std::move(list)).toJson();
}

std::vector<std::string> parseStrings(const std::string& text, const char* column) {
  auto value = sdk::Value::fromJson(text);
  if (!value || !value->isList()) throw CorruptRow(std::string(column) + " is not a JSON list");
  std::vector<std::string> out;
  for (const auto& item : value->asList()) {
    if (!item.isString()) throw CorruptRow(std::string(column) + " holds a non-string item");
    out.push_back(item.asString());
  }
  return out;
}

// "?, ?, ?" for an IN list or a VALUES row.
std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

Int64 limitOf(std::size_t limit) {
  return static_cast<Int64>(std::min<std::size_t>(limit, static_cast<std::size_t>(INT64_MAX)));
}

// ---- Row readers: one vector per column, filled by a single statement ----

constexpr std::string_view kLinkColumns =
    "source_id, sink_id, base, source_modified_at, sink_modified_at, updated_at";

struct LinkRows {
  std::vector<std::string> sourceIds, sinkIds, bases;
  std::vector<Int64> sourceModified, sinkModified, updated;

  void bindTo(Statement& st) {
    st, into(sourceIds), into(sinkIds), into(bases), into(sourceModified), into(sinkModified),
        into(updated);
  }
  void appendTo(const std::string& flow, std::vector<Link>& out) const {
    for (std::size_t i = 0; i < sourceIds.size(); ++i) {
      out.push_back(Link{flow, sourceIds[i], sinkIds[i], parseObject(bases[i], "links.base"),
                         sourceModified[i], sinkModified[i], updated[i]});
    }
  }
};

constexpr std::string_view kConflictColumns =
    "id, flow, kind, status, source_id, sink_id, fields, source_values, sink_values, base, "
    "candidates, resolution, created_at, resolved_at";

struct ConflictRows {
  std::vector<Int64> ids, created, resolved;
  std::vector<std::string> flows, kinds, statuses, sourceIds, sinkIds, fields, sourceValues,
      sinkValues, bases, candidates, resolutions;

  void bindTo(Statement& st) {
    st, into(ids), into(flows), into(kinds), into(statuses), into(sourceIds), into(sinkIds),
        into(fields), into(sourceValues), into(sinkValues), into(bases), into(candidates),
        into(resolutions), into(created), into(resolved);
  }
  std::vector<Conflict> decode() const {
    std::vector<Conflict> out;
    out.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Conflict c;
      c.id = ids[i];
      c.flow = flows[i];
      c.kind = parseConflictKind(kinds[i]);
      c.status = parseConflictStatus(statuses[i]);
      c.sourceId = sourceIds[i];
      c.sinkId = sinkIds[i];
      c.fields = parseStrings(fields[i], "conflicts.fields");
      c.sourceValues = parseObject(sourceValues[i], "conflicts.source_values");
      c.sinkValues = parseObject(sinkValues[i], "conflicts.sink_values");
      c.base = parseObject(bases[i], "conflicts.base");
      c.candidates = parseStrings(candidates[i], "conflicts.candidates");
      c.resolution = resolutions[i];
      c.createdAtMs = created[i];
      c.resolvedAtMs = resolved[i];
      out.push_back(std::move(c));
    }
    return out;
  }
};

constexpr std::string_view kDeadLetterColumns =
    "id, flow, direction, record_id, payload, reason, error_code, field, retriable, attempts, "
    "next_retry_at, status, created_at, updated_at";

struct DeadLetterRows {
  std::vector<Int64> ids, nextRetry, created, updated;
  std::vector<int> retriable, attempts;
  std::vector<std::string> flows, directions, recordIds, payloads, reasons, errorCodes, fields,
      statuses;

  void bindTo(Statement& st) {
    st, into(ids), into(flows), into(directions), into(recordIds), into(payloads), into(reasons),
        into(errorCodes), into(fields), into(retriable), into(attempts), into(nextRetry),
        into(statuses), into(created), into(updated);
  }
  std::vector<DeadLetter> decode() const {
    std::vector<DeadLetter> out;
    out.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      DeadLetter d;
      d.id = ids[i];
      d.flow = flows[i];
      d.direction = parseDirection(directions[i]);
      d.recordId = recordIds[i];
      d.payload = parseObject(payloads[i], "dead_letters.payload");
      d.reason = reasons[i];
      d.errorCode = errorCodes[i];
      d.field = fields[i];
      d.retriable = retriable[i] != 0;
      d.attempts = attempts[i];
      d.nextRetryAtMs = nextRetry[i];
      d.status = parseDeadLetterStatus(statuses[i]);
      d.createdAtMs = created[i];
      d.updatedAtMs = updated[i];
      out.push_back(std::move(d));
    }
    return out;
  }
};

constexpr std::string_view kRunColumns =
    "id, flow, node, started_at, ended_at, status, read_count, created_count, updated_count, "
    "unchanged_count, deleted_count, rejected_count, conflict_count, error";

struct RunRows {
  std::vector<Int64> ids, started, ended, read, created, updated, unchanged, deleted, rejected,
      conflicts;
  std::vector<std::string> flows, nodes, statuses, errors;

  void bindTo(Statement& st) {
    st, into(ids), into(flows), into(nodes), into(started), into(ended), into(statuses), into(read),
        into(created), into(updated), into(unchanged), into(deleted), into(rejected),
        into(conflicts), into(errors);
  }
  std::vector<Run> decode() const {
    std::vector<Run> out;
    out.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Run r;
      r.id = ids[i];
      r.flow = flows[i];
      r.node = nodes[i];
      r.startedAtMs = started[i];
      r.endedAtMs = ended[i];
      r.status = parseRunStatus(statuses[i]);
      r.counts = RunCounts{read[i],    created[i],  updated[i],  unchanged[i],
                           deleted[i], rejected[i], conflicts[i]};
      r.error = errors[i];
      out.push_back(std::move(r));
    }
    return out;
  }
};

constexpr std::string_view kFlowVersionColumns =
    "v.flow, v.version, v.definition, v.connections, v.origin, v.deployed_at";

struct FlowVersionRows {
  std::vector<std::string> names, definitions, connections, origins;
  std::vector<int> versions;
  std::vector<Int64> deployed;

  void bindTo(Statement& st) {
    st, into(names), into(versions), into(definitions), into(connections), into(origins),
        into(deployed);
  }
  std::vector<FlowVersion> decode() const {
    std::vector<FlowVersion> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      out.push_back(FlowVersion{names[i], versions[i], definitions[i], connections[i], origins[i],
                                deployed[i]});
    }
    return out;
  }
};

// A WHERE clause built from optional filters, with its parameters (copied into the bindings).
struct Where {
  std::string sql;
  std::vector<Poco::Data::AbstractBinding::Ptr> params;

  template <typename T>
  void add(std::string_view clause, T value) {
    append(clause);
    params.push_back(bind(std::move(value)));
  }
  void append(std::string_view clause) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  void bindTo(Statement& st) const {
    for (const auto& p : params) st, p;
  }
};

Where deadLetterWhere(const DeadLetterFilter& f) {
  Where w;
  if (f.flow) w.add("flow = ?", *f.flow);
  if (f.status) w.add("status = ?", std::string(deadLetterStatusName(*f.status)));
  if (f.retriable) w.add("retriable = ?", *f.retriable ? 1 : 0);
  if (f.dueBeforeMs) {
    w.append("status IN ('pending', 'retrying')");
    w.append("next_retry_at > 0");
    w.add("next_retry_at <= ?", Int64{*f.dueBeforeMs});
  }
  return w;
}

}  // namespace

// ---- Plumbing ----

SqlStateStore::SqlStateStore(std::unique_ptr<Dialect> dialect)
    : dialect_(std::move(dialect)),
      pool_([d = dialect_.get()] { return d->connect(); }, dialect_->maxSessions(),
            std::chrono::seconds(30)) {}

Result<std::unique_ptr<StateStore>> SqlStateStore::open(std::unique_ptr<Dialect> dialect) {
  std::unique_ptr<SqlStateStore> store(new SqlStateStore(std::move(dialect)));
  if (auto migrated = store->migrate(); !migrated) return migrated.takeError();
  return std::unique_ptr<StateStore>(std::move(store));
}

template <typename Fn>
auto SqlStateStore::withSession(const char* what, bool write, Fn&& fn)
    -> std::invoke_result_t<Fn, Poco::Data::Session&> {
  using R = std::invoke_result_t<Fn, Poco::Data::Session&>;
  std::unique_lock<std::mutex> writers;
  if (write) writers = dialect_->lockWriters();
  for (int attempt = 0;; ++attempt) {
    std::optional<SessionPool::Handle> handle;
    bool committing = false;
    auto fail = [&](Error error) -> R {
      if (handle) {
        // A session whose state is unknown (lost connection, failed COMMIT or ROLLBACK) is
        // closed rather than reused; closing also ends any transaction left open on it.
        bool reusable = !committing && error.code != ErrorCode::kUnavailable;
        try {
          if (write && !committing) dialect_->rollback(**handle);
        } catch (const std::exception&) {
          reusable = false;
        }
        if (!reusable) handle->discard();
      }
      return R(std::move(error));
    };
    try {
      handle.emplace(pool_.acquire());
      if (write) dialect_->begin(**handle);
      R result = fn(**handle);
      if (!write) return result;
      if (!result.ok()) return fail(result.takeError());
      committing = true;
      dialect_->commit(**handle);
      return result;
    } catch (const Poco::Exception& e) {
      Error error = dialect_->translate(e, std::string("state store: ") + what);
      // A pooled connection that died while idle (server restart, idle timeout) fails on first
      // use. Nothing was committed on it, so one more try on a fresh connection is safe; a
      // failure during COMMIT is not retried, since the commit may have happened.
      const bool staleConnection =
          error.code == ErrorCode::kUnavailable && handle && handle->reused();
      if (staleConnection && !committing && attempt == 0) {
        handle->discard();
        pool_.discardIdle();
        continue;
      }
      return fail(std::move(error));
    } catch (const CorruptRow& e) {
      return fail(Error::make(ErrorCode::kInternal,
                              std::string("state store: ") + what + ": corrupt row: " + e.what()));
    } catch (const std::exception& e) {
      return fail(
          Error::make(ErrorCode::kInternal, std::string("state store: ") + what + ": " + e.what()));
    }
  }
}

Statement SqlStateStore::statement(Session& session, std::string_view sql) const {
  Statement st(session);
  st << dialect_->sql(sql);
  return st;
}

std::string SqlStateStore::backend() const { return dialect_->backend(); }

int SqlStateStore::schemaVersion() { return schemaVersion_; }

Status SqlStateStore::migrate() {
  auto applied = withSession("applying migrations", true, [&](Session& s) -> Result<int> {
    dialect_->lockMigrations(s);
    s << "CREATE TABLE IF NOT EXISTS schema_migrations "
         "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        now;
    std::vector<int> done;
    statement(s, "SELECT version FROM schema_migrations ORDER BY version"), into(done), now;
    const int known = migrations().back().version;
    if (!done.empty() && done.back() > known) {
      return Error::make(ErrorCode::kUnsupported, "state store schema is at version " +
                                                      std::to_string(done.back()) +
                                                      ", newer than this ferry understands (" +
                                                      std::to_string(known) + "); upgrade ferry");
    }
    int version = done.empty() ? 0 : done.back();
    for (const auto& m : migrations()) {
      if (std::find(done.begin(), done.end(), m.version) != done.end()) continue;
      for (auto ddl : m.statements) s << dialect_->ddl(ddl), now;
      statement(s, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
          bind(m.version), bind(std::string(m.name)), bind(Int64{nowMs()}), now;
      version = std::max(version, m.version);
    }
    return version;
  });
  if (!applied) return applied.takeError();
  schemaVersion_ = *applied;
  return {};
}

// ---- Flows ----

Result<int> SqlStateStore::deployFlow(const FlowVersion& v) {
  if (v.name.empty()) return invalid("deployFlow: flow name is empty");
  return withSession("deploying a flow", true, [&](Session& s) -> Result<int> {
    const Int64 stamp = nowMs();
    // Create the row first so that the FOR UPDATE below always has something to lock: two
    // nodes deploying the same flow then queue up instead of racing for the version number.
    statement(s,
              "INSERT INTO flows (name, current_version, active, updated_at) VALUES (?, 0, 0, ?) "
              "ON CONFLICT (name) DO NOTHING"),
        useRef(v.name), bind(stamp), now;
    int current = 0;
    statement(s, std::string("SELECT current_version FROM flows WHERE name = ?")
                     .append(dialect_->lockRowSuffix())),
        useRef(v.name), into(current), now;
    if (current > 0) {
      std::string definition;
      statement(s, "SELECT definition FROM flow_versions WHERE flow = ? AND version = ?"),
          useRef(v.name), useRef(current), into(definition), now;
      if (definition == v.definition) return current;
    }
    const int next = current + 1;
    statement(
        s,
        "INSERT INTO flow_versions (flow, version, definition, connections, origin, deployed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)"),
        useRef(v.name), bind(next), useRef(v.definition), useRef(v.connectionsJson),
        useRef(v.origin), bind(Int64{orNow(v.deployedAtMs, stamp)}), now;
    statement(s, "UPDATE flows SET current_version = ?, updated_at = ? WHERE name = ?"), bind(next),
        bind(stamp), useRef(v.name), now;
    return next;
  });
}

Result<std::optional<FlowState>> SqlStateStore::flowState(const std::string& name) {
  return withSession("reading a flow", false, [&](Session& s) -> Result<std::optional<FlowState>> {
    std::vector<int> versions, active;
    std::vector<Int64> updated;
    statement(s,
              "SELECT current_version, active, updated_at FROM flows WHERE name = ? AND "
              "current_version > 0"),
        useRef(name), into(versions), into(active), into(updated), now;
    if (versions.empty()) return std::optional<FlowState>{};
    return std::optional<FlowState>(FlowState{name, versions[0], active[0] != 0, updated[0]});
  });
}

Result<std::vector<FlowState>> SqlStateStore::listFlows() {
  return withSession("listing flows", false, [&](Session& s) -> Result<std::vector<FlowState>> {
    std::vector<std::string> names;
    std::vector<int> versions, active;
    std::vector<Int64> updated;
    statement(
        s,
        "SELECT name, current_version, active, updated_at FROM flows WHERE current_version > 0 "
        "ORDER BY name"),
        into(names), into(versions), into(active), into(updated), now;
    std::vector<FlowState> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      out.push_back(FlowState{names[i], versions[i], active[i] != 0, updated[i]});
    }
    return out;
  });
}

Result<std::optional<FlowVersion>> SqlStateStore::flowVersion(const std::string& name,
                                                              int version) {
  if (version < 0) return invalid("flowVersion: version must be 0 (current) or positive");
  return withSession(
      "reading a flow version", false, [&](Session& s) -> Result<std::optional<FlowVersion>> {
        FlowVersionRows rows;
        std::string sql = "SELECT " + std::string(kFlowVersionColumns) + " FROM flow_versions v ";
        Statement st(s);
        if (version == 0) {
          st << dialect_->sql(
              sql +
              "JOIN flows f ON f.name = v.flow AND f.current_version = v.version WHERE v.flow = ?"),
              useRef(name);
        } else {
          st << dialect_->sql(sql + "WHERE v.flow = ? AND v.version = ?"), useRef(name),
              useRef(version);
        }
        rows.bindTo(st);
        st.execute();
        auto found = rows.decode();
        if (found.empty()) return std::optional<FlowVersion>{};
        return std::optional<FlowVersion>(std::move(found.front()));
      });
}

Result<std::vector<FlowVersion>> SqlStateStore::flowHistory(const std::string& name) {
  return withSession(
      "reading flow history", false, [&](Session& s) -> Result<std::vector<FlowVersion>> {
        FlowVersionRows rows;
        Statement st =
            statement(s, "SELECT " + std::string(kFlowVersionColumns) +
                             " FROM flow_versions v WHERE v.flow = ? ORDER BY v.version");
        st, useRef(name);
        rows.bindTo(st);
        st.execute();
        return rows.decode();
      });
}

Status SqlStateStore::setFlowActive(const std::string& name, bool active) {
  return withSession("activating a flow", true, [&](Session& s) -> Status {
    const std::size_t changed = (statement(s,
                                           "UPDATE flows SET active = ?, updated_at = ? "
                                           "WHERE name = ? AND current_version > 0"),
                                 bind(active ? 1 : 0), bind(Int64{nowMs()}), useRef(name))
                                    .execute();
    if (changed == 0) return notFound("no deployed flow named '" + name + "'");
    return {};
  });
}

Status SqlStateStore::deleteFlow(const std::string& name) {
  return withSession("deleting a flow", true, [&](Session& s) -> Status {
    for (const char* table :
         {"cursors", "links", "conflicts", "dead_letters", "runs", "flow_versions"}) {
      statement(s, std::string("DELETE FROM ") + table + " WHERE flow = ?"), useRef(name), now;
    }
    statement(s, "DELETE FROM flows WHERE name = ?"), useRef(name), now;
    return {};
  });
}

// ---- Cursors ----

Result<std::optional<std::string>> SqlStateStore::cursor(const std::string& flow, Direction side) {
  return withSession("reading a cursor", false,
                     [&](Session& s) -> Result<std::optional<std::string>> {
                       std::vector<std::string> values;
                       statement(s, "SELECT value FROM cursors WHERE flow = ? AND side = ?"),
                           useRef(flow), bind(std::string(toString(side))), into(values), now;
                       if (values.empty()) return std::optional<std::string>{};
                       return std::optional<std::string>(std::move(values.front()));
                     });
}

Status SqlStateStore::resetCursors(const std::string& flow) {
  return withSession("resetting cursors", true, [&](Session& s) -> Status {
    statement(s, "DELETE FROM cursors WHERE flow = ?"), useRef(flow), now;
    return {};
  });
}

// ---- Links ----

Result<std::vector<Link>> SqlStateStore::linksByColumn(const std::string& flow, const char* column,
                                                       const std::vector<std::string>& ids) {
  std::vector<std::string> unique(ids);
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  return withSession("looking up links", false, [&](Session& s) -> Result<std::vector<Link>> {
    std::vector<Link> out;
    out.reserve(unique.size());
    for (std::size_t start = 0; start < unique.size(); start += kIdsPerQuery) {
      const std::size_t n = std::min(kIdsPerQuery, unique.size() - start);
      Statement st =
          statement(s, "SELECT " + std::string(kLinkColumns) + " FROM links WHERE flow = ? AND " +
                           column + " IN (" + placeholders(n) + ") ORDER BY " + column);
      st, useRef(flow);
      for (std::size_t i = start; i < start + n; ++i) st, useRef(unique[i]);
      LinkRows rows;
      rows.bindTo(st);
      st.execute();
      rows.appendTo(flow, out);
    }
    return out;
  });
}

Result<std::vector<Link>> SqlStateStore::linksBySource(const std::string& flow,
                                                       const std::vector<std::string>& sourceIds) {
  return linksByColumn(flow, "source_id", sourceIds);
}

Result<std::vector<Link>> SqlStateStore::linksBySink(const std::string& flow,
                                                     const std::vector<std::string>& sinkIds) {
  return linksByColumn(flow, "sink_id", sinkIds);
}

Result<std::int64_t> SqlStateStore::linkCount(const std::string& flow) {
  return withSession("counting links", false, [&](Session& s) -> Result<std::int64_t> {
    Int64 count = 0;
    statement(s, "SELECT count(*) FROM links WHERE flow = ?"), useRef(flow), into(count), now;
    return std::int64_t{count};
  });
}

Result<std::vector<Link>> SqlStateStore::links(const std::string& flow,
                                               const std::string& afterSourceId,
                                               std::size_t limit) {
  return withSession("paging links", false, [&](Session& s) -> Result<std::vector<Link>> {
    Statement st =
        statement(s, "SELECT " + std::string(kLinkColumns) +
                         " FROM links WHERE flow = ? AND source_id > ? ORDER BY source_id LIMIT ?");
    st, useRef(flow), useRef(afterSourceId), bind(limitOf(limit));
    LinkRows rows;
    rows.bindTo(st);
    st.execute();
    std::vector<Link> out;
    rows.appendTo(flow, out);
    return out;
  });
}

// ---- One batch ----

void SqlStateStore::upsertLinks(Session& s, const std::string& flow, const std::vector<Link>& links,
                                std::int64_t stamp) {
  // The last entry for a source id wins, as if they were applied one after another (PostgreSQL
  // refuses to touch one row twice in a single upsert).
  std::map<std::string_view, const Link*> latest;
  for (const auto& link : links) latest[link.sourceId] = &link;
  std::vector<const Link*> rows;
  rows.reserve(latest.size());
  for (const auto& entry : latest) rows.push_back(entry.second);

  constexpr const char* kInsert =
      "INSERT INTO links (flow, source_id, sink_id, base, source_modified_at, sink_modified_at, "
      "updated_at) VALUES ";
  constexpr const char* kOnConflict =
      " ON CONFLICT (flow, source_id) DO UPDATE SET"
      " sink_id = excluded.sink_id, base = excluded.base,"
      " source_modified_at = excluded.source_modified_at,"
      " sink_modified_at = excluded.sink_modified_at, updated_at = excluded.updated_at";
  if (rows.empty()) return;
  if (dialect_->prefersPreparedRows()) {
    // One statement compiled once and run per row over column vectors.
    const std::size_t n = rows.size();
    std::vector<std::string> flows(n, flow), sourceIds(n), sinkIds(n), bases(n);
    std::vector<Int64> sourceModified(n), sinkModified(n), updated(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Link& link = *rows[i];
      sourceIds[i] = link.sourceId;
      sinkIds[i] = link.sinkId;
      bases[i] = objectJson(link.base);
      sourceModified[i] = link.sourceModifiedAtMs;
      sinkModified[i] = link.sinkModifiedAtMs;
      updated[i] = orNow(link.updatedAtMs, stamp);
    }
    Statement st = statement(s, std::string(kInsert) + "(" + placeholders(7) + ")" + kOnConflict);
    st, use(flows), use(sourceIds), use(sinkIds), use(bases), use(sourceModified),
        use(sinkModified), use(updated);
    st.execute();
    return;
  }
  for (std::size_t start = 0; start < rows.size(); start += kLinksPerInsert) {
    const std::size_t n = std::min(kLinksPerInsert, rows.size() - start);
    std::string sql = kInsert;
    for (std::size_t i = 0; i < n; ++i) sql += (i == 0 ? "(" : ", (") + placeholders(7) + ")";
    sql += kOnConflict;
    Statement st = statement(s, sql);
    for (std::size_t i = start; i < start + n; ++i) {
      const Link& link = *rows[i];
      st, useRef(flow), useRef(link.sourceId), useRef(link.sinkId), bind(objectJson(link.base)),
          bind(Int64{link.sourceModifiedAtMs}), bind(Int64{link.sinkModifiedAtMs}),
          bind(Int64{orNow(link.updatedAtMs, stamp)});
    }
    st.execute();
  }
}

Status SqlStateStore::commitBatch(const BatchCommit& batch) {
  if (batch.flow.empty()) return invalid("commitBatch: flow is empty");
  for (const auto& link : batch.upsertLinks) {
    if (!link.flow.empty() && link.flow != batch.flow) {
      return invalid("commitBatch: link for flow '" + link.flow + "' in a batch of flow '" +
                     batch.flow + "'");
    }
    if (link.sourceId.empty() || link.sinkId.empty()) {
      return invalid("commitBatch: link with an empty source or sink id");
    }
  }
  for (const auto& letter : batch.updatedDeadLetters) {
    if (letter.id <= 0) return invalid("commitBatch: updated dead letter without an id");
  }
  return withSession("committing a batch", true, [&](Session& s) -> Status {
    const Int64 stamp = nowMs();
    if (batch.cursor) {
      statement(s,
                "INSERT INTO cursors (flow, side, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (flow, side) DO UPDATE SET "
                "value = excluded.value, updated_at = excluded.updated_at"),
          useRef(batch.flow), bind(std::string(toString(batch.cursor->first))),
          useRef(batch.cursor->second), bind(stamp), now;
    }
    // Deletes before upserts: a re-pointed link (lead conversion) may reuse a sink id.
    for (std::size_t start = 0; start < batch.deleteLinksBySource.size(); start += kIdsPerQuery) {
      const std::size_t n = std::min(kIdsPerQuery, batch.deleteLinksBySource.size() - start);
      Statement st = statement(
          s, "DELETE FROM links WHERE flow = ? AND source_id IN (" + placeholders(n) + ")");
      st, useRef(batch.flow);
      for (std::size_t i = start; i < start + n; ++i) st, useRef(batch.deleteLinksBySource[i]);
      st.execute();
    }
    upsertLinks(s, batch.flow, batch.upsertLinks, stamp);

    for (const auto& c : batch.newConflicts) {
      statement(
          s,
          "INSERT INTO conflicts (flow, kind, status, source_id, sink_id, fields, source_values, "
          "sink_values, base, candidates, resolution, created_at, resolved_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
          useRef(batch.flow), bind(std::string(conflictKindName(c.kind))),
          bind(std::string(conflictStatusName(c.status))), useRef(c.sourceId), useRef(c.sinkId),
          bind(stringsJson(c.fields)), bind(objectJson(c.sourceValues)),
          bind(objectJson(c.sinkValues)), bind(objectJson(c.base)), bind(stringsJson(c.candidates)),
          useRef(c.resolution), bind(Int64{orNow(c.createdAtMs, stamp)}),
          bind(Int64{c.resolvedAtMs}), now;
    }
    for (const auto& d : batch.newDeadLetters) {
      statement(s,
                "INSERT INTO dead_letters (flow, direction, record_id, payload, reason, "
                "error_code, field, retriable, attempts, next_retry_at, status, created_at, "
                "updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
          useRef(batch.flow), bind(std::string(toString(d.direction))), useRef(d.recordId),
          bind(objectJson(d.payload)), useRef(d.reason), useRef(d.errorCode), useRef(d.field),
          bind(d.retriable ? 1 : 0), useRef(d.attempts), bind(Int64{d.nextRetryAtMs}),
          bind(std::string(deadLetterStatusName(d.status))),
          bind(Int64{orNow(d.createdAtMs, stamp)}), bind(Int64{orNow(d.updatedAtMs, stamp)}), now;
    }
    for (const auto& d : batch.updatedDeadLetters) {
      const std::size_t changed =
          (statement(s,
                     "UPDATE dead_letters SET attempts = ?, status = ?, next_retry_at = ?, "
                     "retriable = ?, reason = ?, error_code = ?, field = ?, updated_at = ? "
                     "WHERE id = ? AND flow = ?"),
           useRef(d.attempts), bind(std::string(deadLetterStatusName(d.status))),
           bind(Int64{d.nextRetryAtMs}), bind(d.retriable ? 1 : 0), useRef(d.reason),
           useRef(d.errorCode), useRef(d.field), bind(Int64{orNow(d.updatedAtMs, stamp)}),
           bind(Int64{d.id}), useRef(batch.flow))
              .execute();
      if (changed == 0) {
        return notFound("commitBatch: no dead letter " + std::to_string(d.id) + " in flow '" +
                        batch.flow + "'");
      }
    }
    if (batch.runId) {
      const RunCounts& c = batch.countsDelta;
      const std::size_t changed =
          (statement(
               s,
               "UPDATE runs SET read_count = read_count + ?, created_count = created_count + ?, "
               "updated_count = updated_count + ?, unchanged_count = unchanged_count + ?, "
               "deleted_count = deleted_count + ?, rejected_count = rejected_count + ?, "
               "conflict_count = conflict_count + ? WHERE id = ?"),
           bind(Int64{c.read}), bind(Int64{c.created}), bind(Int64{c.updated}),
           bind(Int64{c.unchanged}), bind(Int64{c.deleted}), bind(Int64{c.rejected}),
           bind(Int64{c.conflicts}), bind(Int64{*batch.runId}))
              .execute();
      if (changed == 0) return notFound("commitBatch: no run " + std::to_string(*batch.runId));
    }
    return {};
  });
}

// ---- Conflicts ----

Result<std::vector<Conflict>> SqlStateStore::conflicts(const ConflictFilter& filter) {
  return withSession("listing conflicts", false, [&](Session& s) -> Result<std::vector<Conflict>> {
    Where w;
    w.add("id > ?", Int64{filter.afterId});
    if (filter.flow) w.add("flow = ?", *filter.flow);
    if (filter.status) w.add("status = ?", std::string(conflictStatusName(*filter.status)));
    Statement st = statement(s, "SELECT " + std::string(kConflictColumns) + " FROM conflicts" +
                                    w.sql + " ORDER BY id LIMIT ?");
    w.bindTo(st);
    st, bind(limitOf(filter.limit));
    ConflictRows rows;
    rows.bindTo(st);
    st.execute();
    return rows.decode();
  });
}

Result<std::optional<Conflict>> SqlStateStore::conflict(std::int64_t id) {
  return withSession(
      "reading a conflict", false, [&](Session& s) -> Result<std::optional<Conflict>> {
        Statement st = statement(
            s, "SELECT " + std::string(kConflictColumns) + " FROM conflicts WHERE id = ?");
        st, bind(Int64{id});
        ConflictRows rows;
        rows.bindTo(st);
        st.execute();
        auto found = rows.decode();
        if (found.empty()) return std::optional<Conflict>{};
        return std::optional<Conflict>(std::move(found.front()));
      });
}

Status SqlStateStore::resolveConflict(std::int64_t id, const std::string& resolution) {
  return withSession("resolving a conflict", true, [&](Session& s) -> Status {
    const std::size_t changed =
        (statement(s,
                   "UPDATE conflicts SET status = 'resolved', resolution = ?, resolved_at = ? "
                   "WHERE id = ? AND status = 'open'"),
         useRef(resolution), bind(Int64{nowMs()}), bind(Int64{id}))
            .execute();
    if (changed > 0) return {};
    Int64 exists = 0;
    statement(s, "SELECT count(*) FROM conflicts WHERE id = ?"), bind(Int64{id}), into(exists), now;
    if (exists == 0) return notFound("no conflict " + std::to_string(id));
    return Error::make(ErrorCode::kConflict,
                       "conflict " + std::to_string(id) + " is already resolved");
  });
}

// ---- Dead letters ----

Result<std::vector<DeadLetter>> SqlStateStore::deadLetters(const DeadLetterFilter& filter) {
  return withSession(
      "listing dead letters", false, [&](Session& s) -> Result<std::vector<DeadLetter>> {
        Where w = deadLetterWhere(filter);
        w.add("id > ?", Int64{filter.afterId});
        Statement st = statement(s, "SELECT " + std::string(kDeadLetterColumns) +
                                        " FROM dead_letters" + w.sql + " ORDER BY id LIMIT ?");
        w.bindTo(st);
        st, bind(limitOf(filter.limit));
        DeadLetterRows rows;
        rows.bindTo(st);
        st.execute();
        return rows.decode();
      });
}

Result<std::optional<DeadLetter>> SqlStateStore::deadLetter(std::int64_t id) {
  return withSession(
      "reading a dead letter", false, [&](Session& s) -> Result<std::optional<DeadLetter>> {
        Statement st = statement(
            s, "SELECT " + std::string(kDeadLetterColumns) + " FROM dead_letters WHERE id = ?");
        st, bind(Int64{id});
        DeadLetterRows rows;
        rows.bindTo(st);
        st.execute();
        auto found = rows.decode();
        if (found.empty()) return std::optional<DeadLetter>{};
        return std::optional<DeadLetter>(std::move(found.front()));
      });
}

Status SqlStateStore::setDeadLetterStatus(std::int64_t id, DeadLetterStatus status,
                                          std::int64_t nextRetryAtMs) {
  return withSession("updating a dead letter", true, [&](Session& s) -> Status {
    const std::size_t changed =
        (statement(
             s,
             "UPDATE dead_letters SET status = ?, next_retry_at = ?, updated_at = ? WHERE id = ?"),
         bind(std::string(deadLetterStatusName(status))), bind(Int64{nextRetryAtMs}),
         bind(Int64{nowMs()}), bind(Int64{id}))
            .execute();
    if (changed == 0) return notFound("no dead letter " + std::to_string(id));
    return {};
  });
}

Result<std::int64_t> SqlStateStore::countDeadLetters(const DeadLetterFilter& filter) {
  return withSession("counting dead letters", false, [&](Session& s) -> Result<std::int64_t> {
    Where w = deadLetterWhere(filter);
    Statement st = statement(s, "SELECT count(*) FROM dead_letters" + w.sql);
    w.bindTo(st);
    Int64 count = 0;
    st, into(count);
    st.execute();
    return std::int64_t{count};
  });
}

// ---- Runs ----

Result<std::int64_t> SqlStateStore::startRun(const std::string& flow, const std::string& node,
                                             std::int64_t startedAtMs) {
  if (flow.empty()) return invalid("startRun: flow is empty");
  return withSession("starting a run", true, [&](Session& s) -> Result<std::int64_t> {
    Int64 id = 0;
    statement(
        s,
        "INSERT INTO runs (flow, node, started_at, ended_at, status, read_count, created_count, "
        "updated_count, unchanged_count, deleted_count, rejected_count, conflict_count, error) "
        "VALUES (?, ?, ?, 0, ?, 0, 0, 0, 0, 0, 0, 0, '') RETURNING id"),
        useRef(flow), useRef(node), bind(Int64{startedAtMs}),
        bind(std::string(runStatusName(RunStatus::kRunning))), into(id), now;
    return std::int64_t{id};
  });
}

Status SqlStateStore::finishRun(std::int64_t runId, RunStatus status, std::int64_t endedAtMs,
                                const std::string& error) {
  return withSession("finishing a run", true, [&](Session& s) -> Status {
    const std::size_t changed =
        (statement(s, "UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = ?"),
         bind(std::string(runStatusName(status))), bind(Int64{endedAtMs}), useRef(error),
         bind(Int64{runId}))
            .execute();
    if (changed == 0) return notFound("no run " + std::to_string(runId));
    return {};
  });
}

Result<std::vector<Run>> SqlStateStore::runs(const std::string& flow, std::size_t limit) {
  return withSession("listing runs", false, [&](Session& s) -> Result<std::vector<Run>> {
    Statement st(s);
    if (flow.empty()) {
      st << dialect_->sql("SELECT " + std::string(kRunColumns) +
                          " FROM runs ORDER BY id DESC LIMIT ?"),
          bind(limitOf(limit));
    } else {
      st << dialect_->sql("SELECT " + std::string(kRunColumns) +
                          " FROM runs WHERE flow = ? ORDER BY id DESC LIMIT ?"),
          useRef(flow), bind(limitOf(limit));
    }
    RunRows rows;
    rows.bindTo(st);
    st.execute();
    return rows.decode();
  });
}

// ---- Key-value state ----

Result<std::optional<std::string>> SqlStateStore::kvGet(const std::string& scope,
                                                        const std::string& key) {
  return withSession(
      "reading connector state", false, [&](Session& s) -> Result<std::optional<std::string>> {
        std::vector<Poco::Data::BLOB> values;
        statement(s, "SELECT value FROM kv WHERE scope = ? AND name = ?"), useRef(scope),
            useRef(key), into(values), now;
        if (values.empty()) return std::optional<std::string>{};
        const auto& blob = values.front();
        return std::optional<std::string>(
            std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size()));
      });
}

Status SqlStateStore::kvPut(const std::string& scope, const std::string& key,
                            const std::string& value) {
  if (scope.empty() || key.empty()) return invalid("kvPut: scope and key must not be empty");
  return withSession("writing connector state", true, [&](Session& s) -> Status {
    Poco::Data::BLOB blob(reinterpret_cast<const unsigned char*>(value.data()), value.size());
    statement(s,
              "INSERT INTO kv (scope, name, value, updated_at) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (scope, name) DO UPDATE SET "
              "value = excluded.value, updated_at = excluded.updated_at"),
        useRef(scope), useRef(key), useRef(blob), bind(Int64{nowMs()}), now;
    return {};
  });
}

Status SqlStateStore::kvErase(const std::string& scope, const std::string& key) {
  return withSession("erasing connector state", true, [&](Session& s) -> Status {
    statement(s, "DELETE FROM kv WHERE scope = ? AND name = ?"), useRef(scope), useRef(key), now;
    return {};
  });
}

Result<std::vector<std::string>> SqlStateStore::kvKeys(const std::string& scope) {
  return withSession("listing connector state", false,
                     [&](Session& s) -> Result<std::vector<std::string>> {
                       std::vector<std::string> keys;
                       statement(s, "SELECT name FROM kv WHERE scope = ? ORDER BY name"),
                           useRef(scope), into(keys), now;
                       return keys;
                     });
}

// ---- Leases ----

Result<bool> SqlStateStore::acquireLease(const std::string& name, const std::string& node,
                                         std::int64_t nowMs, std::int64_t ttlMs) {
  if (name.empty() || node.empty()) return invalid("acquireLease: name and node must not be empty");
  if (ttlMs <= 0) return invalid("acquireLease: ttl must be positive");
  // One conditional upsert: the row changes only when it is new, ours, or expired, so two
  // nodes racing for an expired lease cannot both win (the database serialises the row).
  return withSession("acquiring a lease", true, [&](Session& s) -> Result<bool> {
    const std::size_t changed =
        (statement(s,
                   "INSERT INTO leases (name, node, expires_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET "
                   "node = excluded.node, expires_at = excluded.expires_at "
                   "WHERE leases.node = excluded.node OR leases.expires_at <= ?"),
         useRef(name), useRef(node), bind(Int64{nowMs + ttlMs}), bind(Int64{nowMs}))
            .execute();
    return changed > 0;
  });
}

Status SqlStateStore::releaseLease(const std::string& name, const std::string& node) {
  return withSession("releasing a lease", true, [&](Session& s) -> Status {
    statement(s, "DELETE FROM leases WHERE name = ? AND node = ?"), useRef(name), useRef(node), now;
    return {};
  });
}

}  // namespace ferry::host::state
