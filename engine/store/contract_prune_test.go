package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// fillRun writes a row of every run-owned table for run: events, a
// heartbeat, a lease, parent and child results, executions and snapshots.
func fillRun(t *testing.T, s *store.Store, run store.Run, executions int) {
	t.Helper()
	ctx := ctxT(t)
	t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	if _, err := s.AppendEvent(ctx, run.ID, 0, store.EventSetWorkerTarget, []byte(`{"x": 1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertHeartbeat(ctx, store.Heartbeat{RunID: run.ID, WorkerID: "worker-0", WorkerGroupID: 0, Status: store.WorkerReady}); err != nil {
		t.Fatal(err)
	}
	l, err := s.AcquireRunLease(ctx, run.ID, "orchestrator", time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	group := 0
	parent := store.TestResult{TestID: run.ID, RunID: run.ID, ScenarioName: run.ScenarioName, TemplateName: "orders_oltp",
		Status: "COMPLETED", StartTime: &t0, EndTime: &t0, Total: int64(executions)}
	child := parent
	child.TestID, child.WorkerID, child.WorkerGroupID = run.ID+"-w0", "worker-0", &group
	for _, r := range []store.TestResult{parent, child} {
		if err := s.WriteTestResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertQueryExecutions(ctx, makeExecutions(run.ID, executions, t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteMetricsSnapshots(ctx, []store.MetricsSnapshot{{RunID: run.ID, TestID: run.ID + "-w0", WorkerID: "worker-0",
		TS: t0, Phase: "steady", PhaseKind: store.PhaseMeasurement, Operations: 10}}); err != nil {
		t.Fatal(err)
	}
}

func endRun(t *testing.T, s *store.Store, run store.Run, to store.RunStatus) {
	t.Helper()
	ctx := ctxT(t)
	for _, st := range []store.RunStatus{store.RunStarting, store.RunRunning, to} {
		if _, err := s.TransitionRun(ctx, run.ID, st, store.RunUpdate{}); err != nil {
			t.Fatal(err)
		}
	}
}

// countRows counts run's rows through the store's own readers.
func countRows(t *testing.T, s *store.Store, runID string) (results, executions, snapshots, events int) {
	t.Helper()
	ctx := ctxT(t)
	rs, err := s.ListResults(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: runID}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := s.ListMetricsSnapshots(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.EventsAfter(ctx, runID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs), len(ex), len(sn), len(ev)
}

func contractDeleteRuns(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	clk := newClock()
	s = s.WithClock(clk.Now)
	old := newRun(t, s, 1)
	fillRun(t, s, old, 500)
	endRun(t, s, old, store.RunCompleted)
	clk.Advance(time.Hour)
	kept := newRun(t, s, 1)
	fillRun(t, s, kept, 20)
	endRun(t, s, kept, store.RunFailed)
	clk.Advance(time.Hour)
	active := newRun(t, s, 1)
	fillRun(t, s, active, 10)

	// A request naming an active or unknown run deletes nothing.
	var act *store.ActiveRunError
	if _, err := s.DeleteRuns(ctx, []string{old.ID, active.ID}); !errors.As(err, &act) || act.RunID != active.ID {
		t.Fatalf("delete of an active run = %v", err)
	}
	if _, err := s.DeleteRuns(ctx, []string{old.ID, "no-such-run"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete of an unknown run = %v", err)
	}
	if r, ex, _, _ := countRows(t, s, old.ID); r != 2 || ex != 500 {
		t.Fatalf("a refused delete removed rows: %d results, %d executions left", r, ex)
	}

	// Prune: ended runs older than the cutoff, keeping the newest per scenario.
	cands, err := s.PruneCandidates(ctx, store.PruneOptions{OlderThan: clk.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 2 || cands[0].ID != old.ID || cands[1].ID != kept.ID {
		t.Fatalf("prune candidates %v, want the two ended runs oldest first", runIDs(cands))
	}
	cands, err = s.PruneCandidates(ctx, store.PruneOptions{OlderThan: clk.Now().Add(time.Minute), Keep: 1})
	if err != nil || len(cands) != 1 || cands[0].ID != old.ID {
		t.Fatalf("prune keeping 1 = %v, %v", runIDs(cands), err)
	}
	cands, err = s.PruneCandidates(ctx, store.PruneOptions{OlderThan: clk.Now().Add(-90 * time.Minute)})
	if err != nil || len(cands) != 1 || cands[0].ID != old.ID {
		t.Fatalf("prune older than 90 min = %v, %v", runIDs(cands), err)
	}

	del, err := s.DeleteRuns(ctx, []string{old.ID})
	if err != nil {
		t.Fatal(err)
	}
	if del.Runs != 1 || del.Rows["QUERY_EXECUTIONS"] != 500 || del.Rows["TEST_RESULTS"] != 2 || del.Rows["RUN_STATUS"] != 1 ||
		del.Rows["RUN_LEASES"] != 1 || del.Rows["WORKER_HEARTBEATS"] != 1 || del.Rows["WORKER_METRICS_SNAPSHOTS"] != 1 ||
		del.Rows["RUN_CONTROL_EVENTS"] != 1 {
		t.Fatalf("deleted %+v", del)
	}
	if _, err := s.GetRun(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted run still there: %v", err)
	}
	if r, ex, sn, ev := countRows(t, s, old.ID); r+ex+sn+ev != 0 {
		t.Fatalf("rows left of the deleted run: %d results, %d executions, %d snapshots, %d events", r, ex, sn, ev)
	}
	for _, id := range []string{kept.ID, active.ID} {
		if r, ex, sn, ev := countRows(t, s, id); r != 2 || ex == 0 || sn != 1 || ev != 1 {
			t.Fatalf("run %s lost rows: %d results, %d executions, %d snapshots, %d events", id, r, ex, sn, ev)
		}
	}
	// Deleting again is an unknown run; compacting is safe on every backend.
	if _, err := s.DeleteRuns(ctx, []string{old.ID}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
}

func runIDs(rs []store.Run) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%s (%s)", r.ID, r.Status)
	}
	return out
}
