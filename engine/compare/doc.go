// Package compare decides whether a candidate run is better, worse or no
// different from a baseline run of the same scenario, from the exact
// interval series both runs stored (WORKER_METRICS_SNAPSHOTS, merged with
// engine/results): per phase, query scope and metric, a Mann–Whitney U test
// on the per-interval values and a bootstrap confidence interval of the
// change; comparability gates run first; the scenario's regression rules
// are checked against the verdicts.
//
// It owns the comparison's data model (versioned JSON) and arithmetic. It
// does not read a database (Load takes a small Reader) and it never prints:
// cmd/fbctl/view renders a Comparison.
package compare
