// Package store is fbctl's control plane and results store over database/sql:
// templates (TEST_TEMPLATES), the apply lease (FLAKEBENCH_LOCKS), run state
// (RUN_STATUS), control events (RUN_CONTROL_EVENTS), worker heartbeats,
// per-run and per-worker results (TEST_RESULTS), per-operation rows
// (QUERY_EXECUTIONS) and per-second worker snapshots.
//
// One Store type serves SQLite, Postgres and Snowflake; the SQL differences
// live in engine/dialect and the DDL in sql/schema. The store never imports a
// database driver: cmd/fbctl registers "sqlite" (modernc.org/sqlite), "pgx"
// (jackc/pgx/v5/stdlib) and "snowflake" (gosnowflake).
//
// DDL: the embedded SQLite store creates and migrates itself on Open. On
// Postgres and Snowflake the store never runs DDL at run time; CheckSchema
// returns a *SchemaError naming `fbctl schema apply` when the schema is
// missing or old, and ApplySchema is what that command runs.
//
// Value conventions: every timestamp is UTC; latencies and timings are
// integer microseconds; QPS, error rate and sample rate are float64 in Go and
// are bound as decimal text into NUMBER columns on Snowflake (never float64).
package store
