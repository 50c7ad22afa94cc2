package run

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// streamOptions streams into the fixture's store with short flushes.
func streamOptions(t testing.TB) *stream.Options {
	return &stream.Options{FlushEvery: 100 * time.Millisecond, FlushRows: 500, JournalDir: filepath.Join(t.TempDir(), "journal")}
}

// TestStreamedRowsAreAccountedFor runs two workers with a fixed sample rate
// and checks QUERY_EXECUTIONS against the counters: stored rows = warmup +
// errors + sampled measurement rows, the result rows record SAMPLE_RATE,
// OPS_ISSUED and ROWS_STORED, and weighted counts estimate the true count.
func TestStreamedRowsAreAccountedFor(t *testing.T) {
	f := newFixture(t, closedPhase, `
  sampling {
    rate = 0.25
  }
`)
	opts := f.fastOptions(t)
	opts.Stream = streamOptions(t)
	ctx := context.Background()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	p := out.Parent
	if p.SampleRate != 0.25 {
		t.Fatalf("parent SAMPLE_RATE = %v, want 0.25", p.SampleRate)
	}
	stored, err := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if stored != p.RowsStored {
		t.Fatalf("QUERY_EXECUTIONS holds %d rows, parent ROWS_STORED says %d", stored, p.RowsStored)
	}
	var childIssued, childStored int64
	for _, c := range out.Children {
		childIssued += c.OpsIssued
		childStored += c.RowsStored
	}
	if childIssued != p.OpsIssued || childStored != p.RowsStored {
		t.Fatalf("parent issued/stored %d/%d, children sum %d/%d", p.OpsIssued, p.RowsStored, childIssued, childStored)
	}
	yes, no := true, false
	warm, err := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID, Warmup: &yes})
	if err != nil {
		t.Fatal(err)
	}
	// Every warmup operation is stored: issued = warmup + measurement.
	if warm != p.OpsIssued-p.Total {
		t.Fatalf("stored warmup rows %d, want every warmup operation (%d)", warm, p.OpsIssued-p.Total)
	}
	// Ask for every stored row: the default limit would cut the list on a
	// fast machine and make the sums below disagree.
	rows, err := f.st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID, Warmup: &no}, int(stored)+1)
	if err != nil {
		t.Fatal(err)
	}
	var measuredRows, errRows int64
	var weighted float64
	for _, r := range rows {
		if !r.Success {
			errRows++
		}
		measuredRows++
		weighted += r.SampleWeight
	}
	if errRows != p.Errors {
		t.Fatalf("stored error rows %d, want every error (%d)", errRows, p.Errors)
	}
	if warm+measuredRows != stored {
		t.Fatalf("warmup %d + measurement %d rows != %d stored", warm, measuredRows, stored)
	}
	// Σ SAMPLE_WEIGHT estimates the measured operations: within 5 standard
	// deviations of a binomial sample at rate 0.25.
	n := float64(p.Total)
	sd := math.Sqrt(n*0.25*0.75) / 0.25
	if math.Abs(weighted-n) > 5*sd+1 {
		t.Fatalf("weighted count %.0f, true count %.0f (sd %.0f)", weighted, n, sd)
	}
	if p.Total < 100 {
		t.Fatalf("too few operations (%d) for the check to mean anything", p.Total)
	}
}

// TestAutoSampleRateDecidedAtEndOfWarmup: with sampling "auto" and a closed
// phase, the rate is fixed from the warmup's throughput and recorded.
func TestAutoSampleRateDecidedAtEndOfWarmup(t *testing.T) {
	f := newFixture(t, closedPhase, `
  sampling {
    rate                = "auto"
    max_rows_per_second = 50
  }
`)
	if f.plan.Sampling.Rate != nil {
		t.Fatalf("the plan should leave the rate to the end of warmup, got %v", *f.plan.Sampling.Rate)
	}
	opts := f.fastOptions(t)
	opts.Stream = streamOptions(t)
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	rate := out.Parent.SampleRate
	if !(rate > 0 && rate < 1) {
		t.Fatalf("auto rate %v: want a fraction (warmup far exceeds 50 rows/s)", rate)
	}
	r, err := f.st.GetRun(context.Background(), out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if r.SampleRate != rate {
		t.Fatalf("RUN_STATUS.SAMPLE_RATE %v, parent row %v", r.SampleRate, rate)
	}
	for _, c := range out.Children {
		if c.SampleRate != rate {
			t.Fatalf("worker %s sampled at %v, run at %v", c.WorkerID, c.SampleRate, rate)
		}
	}
}
