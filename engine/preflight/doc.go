// Package preflight checks a plan for Snowflake setups that are known to
// distort a benchmark before anything runs, and returns them as warnings
// for the plan view. It is a pure function of the scenario files and the
// plan: no database is contacted.
//
// Checks:
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
// warning blocks anything (it never does).
package preflight
