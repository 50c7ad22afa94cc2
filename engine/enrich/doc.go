// Package enrich fills the server-side columns of a run's QUERY_EXECUTIONS
// rows (COMPILE_US, QUEUED_US, EXECUTION_US, TOTAL_ELAPSED_US,
// BYTES_SCANNED, ROWS_PRODUCED) from the target's own query history, matched
// by the query id captured per execution (TARGET_QUERY_ID), and reports the
// coverage: how many stored executions found their history row.
//
// On Snowflake the history is INFORMATION_SCHEMA.QUERY_HISTORY (the table
// function, read in time slices of the run's window so no slice hits its
// RESULT_LIMIT). Snowflake does not record short-running queries on hybrid
// tables there, so a hybrid-table run has low coverage by design; for those
// the per-minute ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY (Aggregate) is the
// later pass, available 45 minutes to 3 hours after the queries ran.
//
// The package owns the matching, the slicing and the coverage report; it
// does not own the store's SQL (engine/store: ListExecutionRefs,
// UpdateServerTimings), the driver (callers pass a *sql.DB) nor printing.
package enrich
