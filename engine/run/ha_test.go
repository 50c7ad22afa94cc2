package run

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// fbctl cancel on a run whose orchestrator is alive: the orchestrator
// stops the run itself, with teardown, and records CANCELLED with what
// was measured.
func TestCancelAsksALiveOrchestrator(t *testing.T) {
	f := newFixture(t, longPhase, "")
	opts := f.fastOptions(t)
	opts.RunID = store.NewID()
	// A TTL the loaded race-detector machine renews in time; the cancel
	// must reach the live holder, not take an expired lease over.
	opts.LeaseTTL = 5 * time.Second
	done := make(chan *Outcome, 1)
	go func() {
		out, err := Apply(context.Background(), f.plan, f.cfg, opts)
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	ctx := context.Background()
	for {
		if r, err := f.st.GetRun(ctx, opts.RunID); err == nil && r.MeasurementStart != nil {
			break
		}
		select {
		case out := <-done:
			t.Fatalf("the run ended before its measurement started: %+v", out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond)
	r, err := Cancel(ctx, opts.RunID, CancelOptions{Options: Options{Store: f.st, PollEvery: 20 * time.Millisecond, LeaseTTL: 5 * time.Second}, Wait: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := <-done
	if r.Status != store.RunCancelled || !strings.Contains(r.FailureReason, "fbctl cancel") || out.Parent.Total == 0 {
		t.Fatalf("run %s %q, parent %d operations", r.Status, r.FailureReason, out.Parent.Total)
	}
	db, err := sql.Open("sqlite", f.target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'TORN_DOWN'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("teardown did not run: %d, %v", n, err)
	}
	if l, err := f.st.RunLeaseState(ctx, opts.RunID); err != nil || !l.Expired() || l.Holder != "" {
		t.Fatalf("lease after the run: %+v, %v", l, err)
	}
}
