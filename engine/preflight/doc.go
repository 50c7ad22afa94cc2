// Package preflight checks a plan before anything runs or is written, in
// two parts.
//
// Check returns warnings about Snowflake setups known to distort a
// benchmark, for the plan view; it is a pure function of the scenario
// files and the plan (no database is contacted).
//
// Targets (targets.go) connects, read-only, to the SQLite and Postgres
// targets the runs use and returns located error diagnostics for what
// would fail at run start: an unwritable SQLite path, an unreachable
// server, a missing table or column of a pool or sequence(), a statement
// that does not prepare. plan and apply (cmd/fbctl) render them and stop.
//
// Check's warnings:
//
//   - lock-waiters: a phase (or the warmup) may run more concurrent
//     sessions issuing writes to a standard Snowflake table than the
//     lock-waiter limit (LockWaiterLimit, 20). Standard tables lock per
//     table for DML; statements past the limit fail with 000625. Hybrid
//     tables lock rows and are exempt.
//   - shared-warehouse: a template's benchmark warehouse is the
//     warehouse the results store writes through, so result writes queue
//     with (and slow down) the measured queries.
//   - interactive-*: a template on an interactive table that joins or
//     writes (query shapes interactive warehouses do not serve well), a
//     scenario without cache_warmup, and the warehouse's statement
//     timeout (interactive.go).
//
// It does not own rendering (cmd/fbctl/view) nor deciding whether a
// warning blocks anything (it never does; Targets' errors always do).
package preflight
