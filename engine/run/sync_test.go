package run

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// checkOpenWindow checks what every open phase must show: each worker's
// window is the phase's, [start, start + duration]; the parent's ops/s is
// the exact sum of the workers'; and with no drop, every planned arrival
// ran, so ops/s is the planned rate.
func checkOpenWindow(t *testing.T, out *Outcome, phase string, rate float64, d time.Duration, workers int) {
	t.Helper()
	var parent results.PhaseSummary
	for _, p := range out.Phases {
		if p.Name == phase {
			parent = p
		}
	}
	if parent.Workers != workers || parent.Ended.Sub(parent.Started) != d {
		t.Fatalf("phase %s: %d workers, window %s → %s; want %d workers over %s", phase, parent.Workers, parent.Started, parent.Ended, workers, d)
	}
	var sum float64
	for _, c := range out.Children {
		s, _ := childPhase(t, c, phase)
		if !s.Started.Equal(parent.Started) || !s.Ended.Equal(parent.Ended) {
			t.Fatalf("worker %s window %s → %s differs from the phase's %s → %s", c.WorkerID, s.Started, s.Ended, parent.Started, parent.Ended)
		}
		sum += s.QPS
	}
	if math.Abs(sum-parent.QPS) > 1e-9*parent.QPS {
		t.Fatalf("parent %v ops/s is not the sum of the workers' %v", parent.QPS, sum)
	}
	// Every planned arrival was issued or counted as dropped.
	if planned := int64(math.Round(rate * d.Seconds())); parent.Counts.Total+parent.Counts.Dropped != planned {
		t.Fatalf("phase %s: %d operations + %d dropped, planned %d arrivals", phase, parent.Counts.Total, parent.Counts.Dropped, planned)
	}
	// QPS is the issued operations over the phase's window, whatever the
	// target could sustain. With the identity above, a phase whose target
	// kept up (nothing dropped) reports exactly the planned rate; how close a loaded machine comes to the planned
	// rate is a benchmark's figure (make bench), not a unit test's.
	if want := float64(parent.Counts.Total) / d.Seconds(); math.Abs(parent.QPS-want) > 1e-9*want {
		t.Fatalf("phase %s: %.3f ops/s, want %d operations over %s = %.3f (dropped %d, peak sessions %d, latency %+v)", phase, parent.QPS,
			parent.Counts.Total, d, want, parent.Counts.Dropped, parent.PeakSessions, parent.Latency)
	}
}

func childPhase(t *testing.T, c store.TestResult, phase string) (results.PhaseSummary, bool) {
	t.Helper()
	set, err := results.Merge([]store.TestResult{c}, []string{phase})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.PhaseSummaries() {
		if p.Name == phase {
			return p, true
		}
	}
	t.Fatalf("worker %s has no phase %s", c.WorkerID, phase)
	return results.PhaseSummary{}, false
}

// firstStarts keeps each worker's earliest actual start in one phase.
type firstStarts struct {
	mu    sync.Mutex
	phase string
	first map[int]int64 // by group: µs since the epoch
}

func (f *firstStarts) factory() SinkFactory {
	return func(_, _ string, group int, _ string) executor.Sink { return firstSink{f, group} }
}

type firstSink struct {
	f     *firstStarts
	group int
}

func (s firstSink) Offer(r executor.Record) bool {
	if r.Phase != s.f.phase {
		return true
	}
	s.f.mu.Lock()
	if v, ok := s.f.first[s.group]; !ok || r.ActualStart < v {
		s.f.first[s.group] = r.ActualStart
	}
	s.f.mu.Unlock()
	return true
}

func TestOpenPhaseQPSIsTheSumOfTheWorkersAndThePlannedRate(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			f := fixtureFrom(t, readsHCL, fmt.Sprintf(`
  phase "rate" {
    duration        = "1s"
    rate            = 400
    max_connections = 64
    workers         = %d
  }
`, workers), "")
			starts := &firstStarts{phase: "rate", first: map[int]int64{}}
			opts := f.fastOptions(t)
			opts.PollEvery = DefaultPollEvery // a poll-driven start would spread the workers by up to 100 ms
			opts.Sink = starts.factory()
			out, err := Apply(context.Background(), f.plan, f.cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != store.RunCompleted {
				t.Fatalf("status %s: %s", out.Status, out.FailureReason)
			}
			checkOpenWindow(t, out, "rate", 400, time.Second, workers)
			// Every worker started issuing at the common instant.
			start := out.Phases[0].Started.UnixMicro()
			var lo, hi int64 = math.MaxInt64, 0
			for g, us := range starts.first {
				if us < start-1000 { // the recorder's clock may round by a microsecond or so
					t.Fatalf("worker %d issued at %d, before the start instant %d", g, us, start)
				}
				lo, hi = min(lo, us), max(hi, us)
			}
			if len(starts.first) != workers || hi-lo > 25_000 {
				t.Fatalf("first operations of %d workers spread over %d µs", len(starts.first), hi-lo)
			}
			for _, c := range out.Phases[0].Clocks {
				if c.UncertaintyUS <= 0 || c.OffsetUS > 5000 || c.OffsetUS < -5000 {
					t.Fatalf("in-process worker clock %+v", c)
				}
			}
		})
	}
}

func TestSiblingPhasesRunSideBySide(t *testing.T) {
	f := fixtureFrom(t, readsHCL, `
  phase "a" {
    duration    = "600ms"
    connections = 2
    workers     = 2
  }
  phase "b" {
    depends_on      = []
    duration        = "500ms"
    rate            = 400
    max_connections = 64
    workers         = 2
  }
  phase "c" {
    depends_on  = [phase.a, phase.b]
    duration    = "300ms"
    connections = 2
  }
`, "")
	var nodes map[string]int
	for _, n := range f.plan.Nodes {
		if n.Name == "phase.a" {
			nodes = map[string]int{}
			for _, c := range n.Concurrent {
				nodes[c]++
			}
		}
	}
	if nodes["phase.b"] != 1 || nodes["phase.c"] != 0 {
		t.Fatalf("the plan says phase.a runs beside %v", nodes)
	}
	out, err := Apply(context.Background(), f.plan, f.cfg, f.fastOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	by := map[string]results.PhaseSummary{}
	for _, p := range out.Phases {
		by[p.Name] = p
	}
	a, b, c := by["a"], by["b"], by["c"]
	if !a.Started.Equal(b.Started) || !b.Ended.Before(a.Ended) {
		t.Fatalf("a %s → %s and b %s → %s do not overlap from one start", a.Started, a.Ended, b.Started, b.Ended)
	}
	if c.Started.Before(a.Ended) || c.Started.Before(b.Ended) || c.Counts.Total == 0 {
		t.Fatalf("c %s started before a (%s) and b (%s) ended", c.Started, a.Ended, b.Ended)
	}
	checkOpenWindow(t, out, "b", 400, 500*time.Millisecond, 2)
	// The run's QPS divides by the union of the windows, not their sum.
	union := c.Ended.Sub(a.Started).Seconds() - c.Started.Sub(a.Ended).Seconds()
	want := float64(out.Parent.Total) / union
	if math.Abs(out.Parent.QPS-want) > 1e-6*want {
		t.Fatalf("run QPS %v, want %d ops over the %.3f s the phases covered (%v)", out.Parent.QPS, out.Parent.Total, union, want)
	}
}

// liveHook keeps every interval the live view reported, by phase and index.
type liveHook struct {
	NopHook
	mu        sync.Mutex
	intervals map[string]map[int64]PhaseProgress
}

func (h *liveHook) Progress(p Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ph := range p.Phases {
		if ph.IntervalIndex < 0 {
			continue
		}
		if h.intervals[ph.Phase] == nil {
			h.intervals[ph.Phase] = map[int64]PhaseProgress{}
		}
		h.intervals[ph.Phase][ph.IntervalIndex] = ph
	}
}

func TestLiveNumbersAreExactMergesOfTheWorkersIntervals(t *testing.T) {
	f := newFixture(t, `
  phase "steady" {
    duration    = "1500ms"
    connections = 4
    workers     = 2
  }
`, "")
	hook := &liveHook{intervals: map[string]map[int64]PhaseProgress{}}
	opts := f.fastOptions(t)
	opts.Hook = hook
	opts.Stream = streamOptions(t)
	opts.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})
	ctx := context.Background()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	snaps, err := f.st.ListMetricsSnapshots(ctx, out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	series, err := results.Series(snaps)
	if err != nil {
		t.Fatal(err)
	}
	cum := histogram.New()
	var ops int64
	checked := 0
	for _, iv := range series {
		if iv.Phase != "steady" {
			continue
		}
		// Every worker reports every interval of the window; a worker whose
		// drain ends earlier has nothing in the last one.
		if iv.Workers != 2 && iv.Start.Before(out.Phases[0].Ended) {
			for _, m := range snaps {
				if m.Phase == "steady" {
					t.Logf("%s k=%d start=%s ms=%d ops=%d hists=%d", m.WorkerID, m.IntervalIndex, m.IntervalStart.Format("05.000"), m.IntervalMS, m.Operations, len(m.Histograms))
				}
			}
			t.Fatalf("interval %d holds %d workers' snapshots, want 2", iv.Index, iv.Workers)
		}
		h := iv.Latency(nil)
		cum.Merge(h)
		ops += h.TotalCount()
		live, ok := hook.intervals["steady"][iv.Index]
		if !ok {
			continue
		}
		checked++
		if live.Interval != histogram.Summarize(h) || live.Cumulative != histogram.Summarize(cum) {
			t.Fatalf("interval %d: live %+v / %+v, exact merge %+v / %+v", iv.Index, live.Interval, live.Cumulative,
				histogram.Summarize(h), histogram.Summarize(cum))
		}
	}
	// How many refreshes the live view made depends on the machine's load
	// (under -race a refresh costs several intervals); two compared
	// intervals are enough to check both the interval and the cumulative.
	if need := map[bool]int{false: 2, true: 1}[raceEnabled]; checked < need {
		t.Fatalf("only %d intervals were shown live", checked)
	}
	// The stored series adds up to the phase: every operation is in
	// exactly one interval.
	if ops != out.Phases[0].Counts.Total {
		t.Fatalf("the intervals hold %d operations, the phase %d", ops, out.Phases[0].Counts.Total)
	}

	// The stored parent percentiles are those of the raw rows (sample rate
	// 1), within HDR precision.
	no := false
	rows, err := f.st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID, Warmup: &no}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	raw := histogram.New()
	for _, r := range rows {
		v, _ := histogram.Clamp(r.LatencyUS)
		raw.RecordValue(v)
	}
	p := out.Parent
	if raw.TotalCount() != p.Total {
		t.Fatalf("%d stored rows, %d measured operations", raw.TotalCount(), p.Total)
	}
	for _, c := range []struct {
		name string
		got  int64
		q    float64
	}{{"p50", p.P50US, 50}, {"p90", p.P90US, 90}, {"p95", p.P95US, 95}, {"p99", p.P99US, 99}, {"p99.9", p.P999US, 99.9}, {"max", p.MaxUS, 100}} {
		if want := raw.ValueAtQuantile(c.q); !raw.ValuesAreEquivalent(c.got, want) {
			t.Errorf("%s: parent %d µs, raw rows %d µs", c.name, c.got, want)
		}
	}
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
