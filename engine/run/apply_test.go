package run

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/results"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

const passingThreshold = `
  threshold "errors" {
    metric = "error_rate"
    below  = 0.5
  }
`

func TestApplyInProcessTwoWorkers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, closedPhase, passingThreshold)
	all := newAllValues()
	hook := &recordingHook{}
	opts := f.fastOptions(t)
	opts.Sink, opts.Hook = all.factory(), hook
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	run, err := f.st.GetRun(ctx, out.RunID)
	if err != nil || run.Status != store.RunCompleted || run.EndTime == nil || run.MeasurementStart == nil || run.WarmupStart == nil ||
		run.WorkersRegistered != 2 || run.WorkersCompleted != 2 || run.Phase != "steady" {
		t.Fatalf("RUN_STATUS = %+v, %v", run, err)
	}
	rows, err := f.st.ListResults(ctx, out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !rows[0].IsParent() {
		t.Fatalf("want a parent and 2 child rows, got %d", len(rows))
	}
	parent := rows[0]
	var sum store.TestResult
	for _, c := range rows[1:] {
		if c.Status != string(store.RunCompleted) || c.WorkerGroupID == nil {
			t.Fatalf("child %s: status %s", c.TestID, c.Status)
		}
		if c.Total == 0 {
			t.Fatalf("child %s measured nothing", c.TestID)
		}
		sum.Total += c.Total
		sum.OK += c.OK
		sum.Errors += c.Errors
		sum.Reads += c.Reads
		sum.Writes += c.Writes
		sum.Dropped += c.Dropped
	}
	if parent.Total != sum.Total || parent.OK != sum.OK || parent.Errors != sum.Errors || parent.Reads != sum.Reads ||
		parent.Writes != sum.Writes || parent.Dropped != sum.Dropped {
		t.Fatalf("parent counts %+v are not the sum of the children %+v", parent, sum)
	}
	if parent.Errors != 0 || parent.Writes == 0 || parent.Reads == 0 {
		t.Fatalf("parent: %d errors, %d reads, %d writes", parent.Errors, parent.Reads, parent.Writes)
	}
	// Exact merge: the parent's percentiles are those of one histogram fed
	// every measured operation of both workers.
	one := histogram.Summarize(all.h)
	if one.Count != parent.Total || all.n["steady"] != parent.Total {
		t.Fatalf("sink saw %d measured operations, parent has %d", one.Count, parent.Total)
	}
	if parent.P50US != one.P50 || parent.P90US != one.P90 || parent.P95US != one.P95 || parent.P99US != one.P99 ||
		parent.P999US != one.P999 || parent.MaxUS != one.Max {
		t.Fatalf("merged percentiles %d/%d/%d/%d/%d/%d, one histogram %+v", parent.P50US, parent.P90US, parent.P95US,
			parent.P99US, parent.P999US, parent.MaxUS, one)
	}
	if all.n["warmup"] == 0 {
		t.Fatal("the warmup ran no operation")
	}
	if parent.QPS <= 0 || out.Phases[0].Name != "steady" || out.Phases[0].Workers != 2 || len(out.Queries.Queries) != 2 {
		t.Fatalf("QPS %v, phases %+v, queries %+v", parent.QPS, out.Phases, out.Queries)
	}
	if len(out.Thresholds) != 1 || !out.Thresholds[0].Passed || out.ThresholdsFailed() {
		t.Fatalf("thresholds %+v", out.Thresholds)
	}
	// Re-evaluating from the stored parent row gives the same verdicts.
	again, err := results.EvaluateStored(f.plan.Thresholds, parent)
	if err != nil || len(again) != 1 || again[0].Actual != out.Thresholds[0].Actual {
		t.Fatalf("EvaluateStored = %+v, %v", again, err)
	}
	hbs, err := f.st.ListHeartbeats(ctx, out.RunID)
	if err != nil || len(hbs) != 2 {
		t.Fatalf("heartbeats %+v, %v", hbs, err)
	}
	for _, hb := range hbs {
		if hb.Status != store.WorkerCompleted {
			t.Fatalf("worker %s ended %s", hb.WorkerID, hb.Status)
		}
	}
	snaps, err := f.st.ListMetricsSnapshots(ctx, out.RunID)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("metrics snapshots: %d, %v", len(snaps), err)
	}
	// State machine as the hook saw it.
	var seen []store.RunStatus
	for _, s := range hook.states {
		if len(seen) == 0 || seen[len(seen)-1] != s.Status {
			seen = append(seen, s.Status)
		}
	}
	want := []store.RunStatus{store.RunStarting, store.RunRunning, store.RunStopping, store.RunCompleted}
	if len(seen) != len(want) {
		t.Fatalf("states %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("states %v, want %v", seen, want)
		}
	}
	// Teardown ran on the target.
	db, err := sql.Open("sqlite", f.target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'TORN_DOWN'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("teardown did not run: %d, %v", n, err)
	}
}

func TestInsertKeysNeverCollideAcrossWorkersAndConnections(t *testing.T) {
	f := newFixture(t, `
  phase "first" {
    duration    = "400ms"
    connections = 32
    workers     = 4
  }
  phase "second" {
    duration    = "300ms"
    connections = 32
    workers     = 4
  }
`, "")
	all := newAllValues()
	opts := f.fastOptions(t)
	opts.Sink = all.factory()
	// 128 sessions writing one SQLite file can wait seconds for its lock on
	// a loaded machine; every operation must drain for the counts to match.
	opts.DrainTimeout = time.Minute
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || len(out.Children) != 4 {
		t.Fatalf("status %s (%s), %d children", out.Status, out.FailureReason, len(out.Children))
	}
	if all.errors != 0 || out.Parent.Errors != 0 {
		t.Fatalf("%d errors (parent %d), first: %s", all.errors, out.Parent.Errors, all.firstErr)
	}
	if all.inserts == 0 || out.Parent.Writes == 0 {
		t.Fatal("no insert ran")
	}
	// Four workers' histograms merge to exactly the percentiles of one
	// histogram fed every measured operation.
	one := histogram.Summarize(all.h)
	p := out.Parent
	if one.Count != p.Total || p.P50US != one.P50 || p.P90US != one.P90 || p.P95US != one.P95 || p.P99US != one.P99 ||
		p.P999US != one.P999 || p.MaxUS != one.Max {
		t.Fatalf("merged %d ops %d/%d/%d/%d/%d/%d, one histogram %+v", p.Total, p.P50US, p.P90US, p.P95US, p.P99US, p.P999US, p.MaxUS, one)
	}
	db, err := sql.Open("sqlite", f.target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM KV").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Every successful insert added a row: the 200 seeded ones plus one per
	// insert, warmup included (the table's PRIMARY KEY refuses duplicates).
	if n != 200+all.inserts {
		t.Fatalf("KV holds %d rows, want 200 + %d inserts", n, all.inserts)
	}
}
