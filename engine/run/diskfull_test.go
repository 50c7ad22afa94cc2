package run

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// mountTmpfs mounts a tmpfs of size at a new directory (root only: CI runs
// as root; elsewhere the test is skipped unless CI is set).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("cannot mount a tmpfs (needs root): %v: %s", err, out)
		}
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestFullDiskIsARecordedExplainedFailure: the embedded store lives on a
// 32 MiB tmpfs that a full-capture run fills within seconds. The run must
// end FAILED with the reason (the store's disk), with its final state,
// worker and parent result rows written, the measured operations in the
// outcome, and the rows the store could not take kept in the journal (on
// another disk); once the disk has room again, recovery writes them all.
// Before, the run stayed STOPPING with no summary and its rows only in the
// journal.
func TestFullDiskIsARecordedExplainedFailure(t *testing.T) {
	small := mountTmpfs(t, "32m")
	f := fixtureFrom(t, readsHCL, `
  phase "steady" {
    duration    = "60s"
    connections = 2
  }
`, "")
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(small, "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := f.fastOptions(t)
	opts.Store = st
	// Heartbeats compete with the filling store for its one writer: a
	// loaded machine (the race detector) must not make the worker look dead.
	opts.StaleAfter, opts.DeadAfter = 20*time.Second, 40*time.Second
	journal := filepath.Join(t.TempDir(), "journal")
	// As apply sets it for SQLite: the stream leaves the one writer to the
	// lease and heartbeats between batches.
	opts.Stream = &stream.Options{FlushEvery: 50 * time.Millisecond, JournalDir: journal, WriteGap: 25 * time.Millisecond}
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatalf("the run was not recorded: %v", err)
	}
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "disk") {
		t.Fatalf("status %s, reason %q: want FAILED because of the store's disk", out.Status, out.FailureReason)
	}
	r, err := st.GetRun(ctx, out.RunID)
	if err != nil || r.Status != store.RunFailed || !strings.Contains(r.FailureReason, "disk") {
		t.Fatalf("RUN_STATUS %s %q (%v)", r.Status, r.FailureReason, err)
	}
	rows, err := st.ListResults(ctx, out.RunID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("result rows %d (%v): want the parent and the worker", len(rows), err)
	}
	if out.Parent.Total == 0 || rows[0].Total != out.Parent.Total {
		t.Fatalf("measured %d, stored parent %d (reason %q)", out.Parent.Total, rows[0].Total, out.FailureReason)
	}
	stored, _ := st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID})
	if stored != out.Parent.RowsStored || stored >= out.Parent.OpsIssued {
		t.Fatalf("stored %d, ROWS_STORED %d, issued %d: want the true count, short of the issued", stored, out.Parent.RowsStored, out.Parent.OpsIssued)
	}
	if ents, _ := os.ReadDir(journal); len(ents) != 1 {
		t.Fatalf("journal files %v: want the unwritten rows kept (stored %d of %d; worker row %q)", ents, stored, out.Parent.OpsIssued, rows[1].FailureReason)
	}
	// Room again: recovery writes every row the store could not take.
	if o, err := exec.Command("mount", "-o", "remount,size=256m", small).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, o)
	}
	rec, err := RecoverJournals(ctx, st, journal, RecoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ = st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID})
	if stored != out.Parent.OpsIssued {
		t.Fatalf("after recovery %d rows of %d issued (recovered %+v; worker row: %q)", stored, out.Parent.OpsIssued, rec, rows[1].FailureReason)
	}
}
