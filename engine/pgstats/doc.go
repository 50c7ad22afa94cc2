// Package pgstats reads PostgreSQL's server-side statement statistics
// (the pg_stat_statements extension) around a benchmark's measurement
// window: Available says whether they can be read and, when not, why;
// Snapshot reads the counters of the current database; Delta and NewReport
// turn two snapshots into per-statement deltas (calls, execution time,
// rows, shared blocks, WAL) in the JSON shape stored in the results
// (see Report). Times are integer microseconds.
//
// The package only reads: it never creates the extension or changes
// settings, and it prints nothing.
package pgstats
