package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// slowStore is the real SQLite store whose QUERY_EXECUTIONS writes take
// perBatch longer each: a store that falls behind the workers.
type slowStore struct {
	*store.Store
	perBatch time.Duration
}

func (s *slowStore) InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error {
	select {
	case <-time.After(s.perBatch):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.InsertQueryExecutions(ctx, batch)
}

// drainHook records the drain progress the orchestrator reports.
type drainHook struct {
	recordingHook
	dmu    sync.Mutex
	drains []DrainProgress
}

func (h *drainHook) Draining(p DrainProgress) {
	h.dmu.Lock()
	h.drains = append(h.drains, p)
	h.dmu.Unlock()
}

var _ DrainHook = (*drainHook)(nil)

// openPhase issues a fixed number of operations (rate × duration), all
// stored (no sampling), on the read-only workload.
const drainOpenPhase = `
  phase "open" {
    duration        = "1s"
    rate            = 1500
    max_connections = 4
    workers         = 1
  }
`

// TestShutdownWaitsForAStreamThatMakesProgress: the store writes about
// 500 rows/s while the phase measures 1,500 operations in a second, so at
// the end of the phase most rows still wait in the worker's stream. The
// orchestrator's fixed wait (DrainTimeout + DeadAfter, 2 s here) is far
// shorter than the drain: it must keep waiting while the stream makes
// progress, report that progress through the hook, and end with every
// measured operation in QUERY_EXECUTIONS and ROWS_STORED equal to what is
// stored. Before, the wait was cut at the fixed deadline and the rest of
// the rows were lost with the worker.
func TestShutdownWaitsForAStreamThatMakesProgress(t *testing.T) {
	f := fixtureFrom(t, readsHCL, drainOpenPhase, "")
	opts := f.fastOptions(t)
	opts.Store = &slowStore{Store: f.st, perBatch: 100 * time.Millisecond}
	opts.DrainTimeout, opts.DeadAfter, opts.StaleAfter = 500*time.Millisecond, 1500*time.Millisecond, time.Second
	dir := filepath.Join(t.TempDir(), "journal")
	opts.Stream = &stream.Options{FlushEvery: 50 * time.Millisecond, FlushRows: 50, JournalDir: dir}
	hook := &drainHook{}
	opts.Hook = hook
	ctx := context.Background()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	stored, err := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Parent
	if p.Total < 1000 {
		// The open phase asks for 1,500; a machine that cannot issue 1,000
		// in a second (the race detector on a loaded host) builds no
		// backlog beyond the fixed wait, and the test would prove nothing.
		t.Skipf("only %d operations measured: this machine is too slow to build the backlog the test needs", p.Total)
	}
	if stored != p.Total || p.RowsStored != stored || p.OpsIssued != p.Total {
		t.Fatalf("measured %d operations, issued %d, QUERY_EXECUTIONS holds %d, parent ROWS_STORED %d: every measured row must be stored and counted",
			p.Total, p.OpsIssued, stored, p.RowsStored)
	}
	for _, c := range out.Children {
		if c.RowsStored != stored || strings.Contains(c.FailureReason, "not written") {
			t.Fatalf("worker row: ROWS_STORED %d of %d, reason %q", c.RowsStored, stored, c.FailureReason)
		}
	}
	hook.dmu.Lock()
	drains := append([]DrainProgress(nil), hook.drains...)
	hook.dmu.Unlock()
	if len(drains) == 0 {
		t.Fatal("the orchestrator reported no drain progress")
	}
	last := drains[len(drains)-1]
	if last.Workers != 1 || last.Written <= drains[0].Written {
		t.Fatalf("drain progress %+v … %+v: want one worker whose written rows grow", drains[0], last)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("journal files left after a complete drain: %v", ents)
	}
}
