// Package run is the run engine of `fbctl apply`: the orchestrator and the
// workers of a scenario's run, which talk to each other only through the
// control plane in engine/store, and the merge of their results.
//
// # API
//
//	out, err := run.Apply(ctx, runPlan, cfg, run.Options{Store: st, Hook: view, HardStop: secondCtrlC})
//
// runs one engine.RunPlan (exactly what `fbctl plan` showed) and returns an
// *Outcome: RunID, Status (COMPLETED | FAILED | CANCELLED), FailureReason,
// the merged Parent TEST_RESULTS row, the workers' Children rows, Phases
// and Queries summaries, Thresholds ([]ThresholdResult; when
// out.ThresholdsFailed() the CLI exits 3) and FindMax results. Apply returns an
// error only when the run could not be recorded; a failed or cancelled run
// is an Outcome with its results kept.
//
//	err := run.JoinWorker(ctx, runID, run.WorkerOptions{Store: st, Config: cfg})
//
// is `fbctl worker -run RUN_ID`: it claims a free WORKER_GROUP_ID, loads the
// run's plan from RUN_STATUS.PLAN (which never holds a secret), checks that
// its own scenario files (cfg, with secrets from its own environment) have
// the plan's template hashes, and follows the run until it stops. A run
// that does not exist (yet) gives an error matching store.ErrNotFound
// (the CLI may retry); a run whose groups are all taken,
// store.ErrNoFreeWorkerGroup. The
// in-process launcher (Options.Launch "in-process", the default) runs the
// same code in goroutines, each worker with its own target pool.
//
// Hook (implement it, or embed NopHook) receives node starts and ends,
// every RUN_STATUS change (StateChanged) and a Progress once a second.
//
// # Protocol
//
// Run states PREPARED → STARTING → RUNNING → STOPPING → COMPLETED | FAILED
// | CANCELLED live in RUN_STATUS, with the current phase and its kind
// (WARMUP | MEASUREMENT). The orchestrator runs setup SQL, samples value
// pools, waits until every planned worker is READY (the warmup clock starts
// then), appends START (with the pools), then for every warmup and phase
// node in plan order reads the sequence columns' maxima and appends
// SET_PHASE; it waits until every worker reports READY with that node's
// name in its heartbeat. At the end (or on a failure or Ctrl-C) it appends
// STOP; workers drain, write their child rows and report COMPLETED. The
// orchestrator runs teardown (also after a failure or a first Ctrl-C, never
// after a hard stop; a failing teardown fails the run), merges the children
// exactly (histogram.MergeAll per key), writes the parent row (TEST_ID =
// RUN_ID), evaluates the thresholds and records the final status.
//
// Workers poll RUN_CONTROL_EVENTS (PollEvery) and re-read RUN_STATUS about
// once a heartbeat, so a missed event is never fatal. They heartbeat every
// HeartbeatEvery (STARTING → READY → RUNNING → DRAINING → COMPLETED, or
// DEAD with the last error) and write a WORKER_METRICS_SNAPSHOTS row per
// interval. A worker whose heartbeat is older than DeadAfter is marked
// DEAD and fails the run with its last state and error.
//
// # Results
//
// Every operation is recorded in the worker's histogram.Registry under
// (metric, phase, query, success); warmup under phase "warmup", which no
// result includes. Child and parent rows hold counts, QPS (measurement
// operations ÷ the phases' seconds), p50 … max and mean over every
// measured operation (latency from the intended start), QUERY_RESULTS
// (QueryResults), PHASE_RESULTS ([]PhaseSummary), ERRORS (grouped by code
// with the first messages) and HISTOGRAMS ([]EncodedHistogram; see
// DecodeHistograms). Child rows have TEST_ID ChildTestID(run, group).
//
// Phases run one after the other in the plan's node order, even when two
// phases share a predecessor.
package run
