#include "migrations.hpp"

namespace ferry::host::state {

// Every column but kv.value is NOT NULL with an empty or zero default meaning "absent": the rows
// map 1:1 onto the structs in store.hpp, and both drivers read them without null handling.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "initial schema",
       {
           R"(CREATE TABLE flows (
                name {key} PRIMARY KEY,
                current_version INTEGER NOT NULL,
                active INTEGER NOT NULL DEFAULT 0,
                updated_at BIGINT NOT NULL))",
           R"(CREATE TABLE flow_versions (
                flow {key} NOT NULL REFERENCES flows (name) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                definition TEXT NOT NULL,
                connections TEXT NOT NULL,
                origin TEXT NOT NULL,
                deployed_at BIGINT NOT NULL,
                PRIMARY KEY (flow, version)))",
           R"(CREATE TABLE cursors (
                flow {key} NOT NULL,
                side TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (flow, side)))",
           // One link per source record and per sink record of a flow.
           R"(CREATE TABLE links (
                flow {key} NOT NULL,
                source_id {key} NOT NULL,
                sink_id {key} NOT NULL,
                base TEXT NOT NULL,
                source_modified_at BIGINT NOT NULL,
                sink_modified_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (flow, source_id)))",
           "CREATE UNIQUE INDEX links_by_sink ON links (flow, sink_id)",
           R"(CREATE TABLE conflicts (
                id {identity},
                flow {key} NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                source_id {key} NOT NULL,
                sink_id {key} NOT NULL,
                fields TEXT NOT NULL,
                source_values TEXT NOT NULL,
                sink_values TEXT NOT NULL,
                base TEXT NOT NULL,
                candidates TEXT NOT NULL,
                resolution TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                resolved_at BIGINT NOT NULL))",
           "CREATE INDEX conflicts_by_flow ON conflicts (flow, status, id)",
           "CREATE INDEX conflicts_by_status ON conflicts (status, id)",
           R"(CREATE TABLE dead_letters (
                id {identity},
                flow {key} NOT NULL,
                direction TEXT NOT NULL,
                record_id {key} NOT NULL,
                payload TEXT NOT NULL,
                reason TEXT NOT NULL,
                error_code TEXT NOT NULL,
                field TEXT NOT NULL,
                retriable INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                next_retry_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL))",
           "CREATE INDEX dead_letters_by_flow ON dead_letters (flow, status, id)",
           "CREATE INDEX dead_letters_by_status ON dead_letters (status, id)",
           // Only scheduled retries are indexed: the scheduler asks "what is due" every tick.
           "CREATE INDEX dead_letters_due ON dead_letters (next_retry_at) WHERE next_retry_at > 0",
           R"(CREATE TABLE runs (
                id {identity},
                flow {key} NOT NULL,
                node TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                read_count BIGINT NOT NULL,
                created_count BIGINT NOT NULL,
                updated_count BIGINT NOT NULL,
                unchanged_count BIGINT NOT NULL,
                deleted_count BIGINT NOT NULL,
                rejected_count BIGINT NOT NULL,
                conflict_count BIGINT NOT NULL,
                error TEXT NOT NULL))",
           "CREATE INDEX runs_by_flow ON runs (flow, id)",
           // Values may be ciphertext: stored as bytes, not text. Both drivers bind an empty
           // byte string as NULL, so NULL here means "".
           R"(CREATE TABLE kv (
                scope {key} NOT NULL,
                name {key} NOT NULL,
                value {blob},
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (scope, name)))",
           R"(CREATE TABLE leases (
                name {key} PRIMARY KEY,
                node TEXT NOT NULL,
                expires_at BIGINT NOT NULL))",
       }},
  };
  return kMigrations;
}

}  // namespace ferry::host::state
