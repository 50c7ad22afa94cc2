// Package store is fbctl's control plane and results store over database/sql:
// templates (TEST_TEMPLATES), the apply lease (FLAKEBENCH_LOCKS), run state
// (RUN_STATUS), control events (RUN_CONTROL_EVENTS), worker heartbeats,
// per-run and per-worker results (TEST_RESULTS), per-operation rows
// (QUERY_EXECUTIONS) and per-second worker snapshots.
//
// One Store type serves SQLite, Postgres and Snowflake; the SQL differences
// live in engine/dialect and the DDL in sql/schema. The embedded SQLite store
// opens its file through engine/sqlite; the store imports no other driver:
// a shared store is opened by the Backend that cmd/fbctl lists for its
// dialect in Options.Backends (engine/pgtarget.Store, engine/snowflake.Store),
// and on Postgres that backend's BulkWriter writes QUERY_EXECUTIONS with
// COPY (backend.go, executions.go).
//
// DDL: the embedded SQLite store creates and migrates itself on Open. On
// Postgres and Snowflake the store never runs DDL at run time; CheckSchema
// returns a *SchemaError naming `fbctl schema apply` when the schema is
// missing or old, and ApplySchema is what that command runs.
//
// Value conventions: every timestamp is UTC (SQLite: ISO-8601 text with six
// fractional digits and Z; Postgres: TIMESTAMPTZ; Snowflake: TIMESTAMP_NTZ
// holding UTC); latencies and timings are integer microseconds; QPS, error
// rate, sample rate and sample weight are float64 in Go, REAL / DOUBLE
// PRECISION on SQLite / Postgres, and on Snowflake NUMBER(24,6) (QPS) or
// NUMBER(20,12) bound as decimal text (never float64, which the driver sends
// with float32 precision).
//
// Time: timestamps the store sets (CREATED_AT, UPDATED_AT, heartbeats,
// events) come from the process clock corrected by the offset SyncClock
// measured against the database's own clock, so hosts with skewed clocks
// agree (WithClock replaces the process clock in tests). Run leases
// (RUN_LEASES) compare against the database's clock only, in SQL.
//
// Fencing: every orchestrator holds its run's lease with an epoch that
// grows with every grant (AcquireRunLease); its writes to RUN_STATUS and
// RUN_CONTROL_EVENTS carry the epoch (RunUpdate.Epoch, AppendEvent) and are
// refused with ErrFenced once a newer epoch wrote the run.
//
// Concurrency: control events get dense per-run sequence numbers and
// external workers get distinct groups because both serialise on the run's
// RUN_STATUS row inside a transaction; transitions are compare-and-set
// UPDATEs; leases are insert-if-absent plus compare-and-set takeover.
package store
