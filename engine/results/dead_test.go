package results

import (
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/store"
)

// snapshotOf encodes one interval of worker w with ok successful reads of
// latency us, bad failed writes, its counters as given.
func snapshotOf(t *testing.T, w, phase string, index int64, start time.Time, ms int64, ok, bad int, us int64, dropped int64) store.MetricsSnapshot {
	t.Helper()
	hs := map[histogram.Key]*hdr.Histogram{}
	add := func(k histogram.Key, n int) {
		if n == 0 {
			return
		}
		h := histogram.New()
		for range n {
			if err := h.RecordValue(us); err != nil {
				t.Fatal(err)
			}
		}
		hs[k] = h
	}
	add(histogram.Key{Metric: histogram.MetricLatency, Phase: phase, Template: "kv", Query: "get", Success: true}, ok)
	add(histogram.Key{Metric: histogram.MetricLatency, Phase: phase, Template: "kv", Query: "put", Success: false}, bad)
	enc, err := EncodeHistograms(hs, map[QueryKey]QueryMeta{{"kv", "get"}: {Kind: "point_lookup"}, {"kv", "put"}: {Kind: "insert", Write: true}})
	if err != nil {
		t.Fatal(err)
	}
	return store.MetricsSnapshot{RunID: "r", WorkerID: w, Phase: phase, PhaseKind: store.PhaseMeasurement, IntervalIndex: index,
		IntervalStart: start.Add(time.Duration(index*ms) * time.Millisecond), IntervalMS: ms, Histograms: enc, Dropped: dropped,
		ActiveConnections: 4, Operations: int64(ok + bad)}
}

// TestWithSnapshotsAddsThePhaseADeadWorkerNeverWrote: the phase a worker
// died in is rebuilt exactly from its stored intervals (counts from the
// histograms, dropped from the last interval, window to the end of the
// last interval, a snapshot written twice counted once); a phase its row
// already has, other workers' snapshots and warmup intervals are left.
func TestWithSnapshotsAddsThePhaseADeadWorkerNeverWrote(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	first := snapshotOf(t, "w1", "a", 0, t0, 1000, 50, 0, 100, 0)
	set := &Set{Hists: map[histogram.Key]*hdr.Histogram{}, Queries: map[QueryKey]QueryMeta{}, workers: map[string]int{}}
	if _, err := set.addSnapshots("a", load.Closed, []store.MetricsSnapshot{first}); err != nil {
		t.Fatal(err)
	}
	g := 1
	child := store.TestResult{TestID: "r-w1", RunID: "r", WorkerID: "w1", WorkerGroupID: &g, Status: "RUNNING"}
	if _, err := set.Fill(&child); err != nil {
		t.Fatal(err)
	}
	child.OpsIssued = 70 // warmup included
	b0 := t0.Add(2 * time.Second)
	snaps := []store.MetricsSnapshot{
		snapshotOf(t, "w1", "a", 1, t0, 1000, 999, 0, 100, 0), // phase a is in the row already
		snapshotOf(t, "w1", "b", 0, b0, 1000, 30, 2, 200, 1),
		snapshotOf(t, "w1", "b", 1, b0, 1000, 40, 3, 800, 4),
		snapshotOf(t, "w1", "b", 1, b0, 1000, 40, 3, 800, 4), // written twice
		snapshotOf(t, "w0", "b", 1, b0, 1000, 500, 0, 100, 0),
	}
	warm := snapshotOf(t, "w1", "b", 2, b0, 1000, 7, 0, 100, 0)
	warm.PhaseKind = store.PhaseWarmup
	snaps = append(snaps, warm)

	row, added, err := WithSnapshots(child, snaps, map[string]load.Model{"a": load.Closed, "b": load.Open}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0].Phase != "b" || added[0].Ops != 75 || !added[0].Until.Equal(b0.Add(2*time.Second)) {
		t.Fatalf("added %+v", added)
	}
	if row.Total != 125 || row.Errors != 5 || row.Writes != 5 || row.Reads != 120 || row.Dropped != 4 || row.OpsIssued != 145 {
		t.Fatalf("row total %d errors %d writes %d reads %d dropped %d issued %d", row.Total, row.Errors, row.Writes, row.Reads, row.Dropped, row.OpsIssued)
	}
	if row.Status != "RUNNING" || row.TestID != "r-w1" {
		t.Fatalf("identity changed: %s %s", row.TestID, row.Status)
	}
	got, err := Merge([]store.TestResult{row}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	ps := got.PhaseSummaries()
	if len(ps) != 2 || ps[0].Name != "a" || ps[1].Name != "b" {
		t.Fatalf("phases %+v", ps)
	}
	b := ps[1]
	if b.Model != "open" || b.Seconds != 2 || b.QPS != 37.5 || b.Counts.Total != 75 || b.PeakSessions != 4 || !b.Started.Equal(b0) {
		t.Fatalf("phase b %+v", b)
	}
	if b.Latency.Max < 790 || b.Latency.Max > 810 || b.Latency.Count != 75 {
		t.Fatalf("phase b latency %+v", b.Latency)
	}

	// Nothing to add: the row comes back as it was.
	same, added, err := WithSnapshots(row, snaps, nil, []string{"a", "b"})
	if err != nil || len(added) != 0 || same.Total != row.Total {
		t.Fatalf("second pass added %+v (%v)", added, err)
	}
}
