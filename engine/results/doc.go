// Package results is the arithmetic of a run's results, as pure functions
// over result rows: exact merges of the workers' HDR histograms, the
// per-phase and per-query summaries of TEST_RESULTS rows, the run's QPS
// over the union of its phases' windows, threshold evaluation, the
// encoding of histograms in TEST_RESULTS.HISTOGRAMS and
// WORKER_METRICS_SNAPSHOTS.HISTOGRAMS, and the exact per-interval series
// merged from the workers' snapshots.
//
// The run engine (engine/run) and `fbctl show` both use it, so a stored
// run is summarised exactly as it was when it ran. It reads and writes no
// database and never prints.
package results
