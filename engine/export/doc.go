// Package export owns fbctl's export formats (`fbctl export`): a run's
// phase and query results, its exact per-interval series, its stored query
// executions with their sample weights (streamed, one row at a time), the
// latency distribution in HdrHistogram's percentile-distribution text
// format, and Go benchmark format (benchfmt) for stock benchstat. Rows are
// built by pure functions over stored result rows (engine/results);
// writers encode them as CSV, JSON or NDJSON.
//
// It does not read a database: the caller passes rows, or a function that
// yields them.
package export
