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
// and Queries summaries, Thresholds ([]results.ThresholdResult; when
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
// | CANCELLED live in RUN_STATUS, with the running load nodes' phases and
// their kind (WARMUP | MEASUREMENT). Every timestamp the store writes is on
// the control plane's clock (the results database's own, measured with
// store.SyncClock by every process). The orchestrator runs setup SQL,
// samples value pools, waits until every planned worker is READY, appends
// START (with the pools), then walks the load nodes (warmup and phases) as
// a DAG with engine/dag: a node starts when every node it depends on ended,
// so phases with the same dependencies run side by side. For each node it
// reads the sequence columns' maxima and appends SET_PHASE: every worker
// builds its executor from its load.Spec in the plan, opens the node's
// sessions and reports the node "prepared" in WORKER_HEARTBEATS.NODE_STATES.
// When every worker is prepared (and every other node released with it), it
// appends START_PHASE with one start instant a little ahead on the control
// plane's clock; each worker starts exactly then on its own clock, corrected
// by its measured offset, and reports the node "done" when its window ended
// and its in-flight operations drained. At the end (or on a failure or
// Ctrl-C) it appends STOP; workers stop their nodes, write their child rows
// and report COMPLETED. The orchestrator runs teardown (also after a
// failure or a first Ctrl-C, never after a hard stop; a failing teardown
// fails the run), merges the children exactly (results.Merge), writes the
// parent row (TEST_ID = RUN_ID), evaluates the thresholds and records the
// final status.
//
// Workers poll RUN_CONTROL_EVENTS (PollEvery) and re-read RUN_STATUS about
// once a heartbeat, so a missed event is never fatal. They heartbeat every
// HeartbeatEvery and write one WORKER_METRICS_SNAPSHOTS row per node
// interval (counted from the node's start) with the interval's encoded
// histograms; the orchestrator merges every interval exactly once all the
// node's workers reported it and gives the Hook a Progress. A worker whose
// heartbeat is older than DeadAfter is marked DEAD and fails the run with
// its last state and error.
//
// # Results
//
// Every operation is recorded in the worker's histogram.Registry under
// (metric, phase, template, query, success); warmup under phase "warmup",
// which no result includes. Each phase has one window [start, start +
// duration] for every worker; QPS is its operations ÷ its duration, and
// the run's QPS divides by the union of the phases' windows. Child and
// parent rows are filled by engine/results (Set.Fill): counts, QPS,
// percentiles (latency from the intended start), QUERY_RESULTS,
// PHASE_RESULTS (with windows, peak sessions, worker clocks), ERRORS and
// HISTOGRAMS. Child rows have TEST_ID ChildTestID(run, group).
//
// run reaches the store only through ControlPlane; CheckCapacity compares
// a plan's sessions with a target's connection limit before apply writes
// anything.
package run
