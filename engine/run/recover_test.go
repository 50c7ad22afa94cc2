package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// downStore is the real SQLite store refusing QUERY_EXECUTIONS writes
// while down is set.
type downStore struct {
	*store.Store
	down atomic.Bool
}

func (s *downStore) InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error {
	if s.down.Load() {
		return errors.New("store refuses query executions (test)")
	}
	return s.Store.InsertQueryExecutions(ctx, batch)
}

// TestLeftJournalIsRecoveredOnce: a run whose store refused every
// QUERY_EXECUTIONS write ends with its rows in the spill journal, its
// worker row saying so and ROWS_STORED 0 (true). RecoverJournals writes
// them, corrects ROWS_STORED of the worker and parent rows and the reason,
// removes the journal; a second call finds nothing and changes nothing.
func TestLeftJournalIsRecoveredOnce(t *testing.T) {
	f := fixtureFrom(t, readsHCL, drainOpenPhase, "")
	opts := f.fastOptions(t)
	ds := &downStore{Store: f.st}
	ds.down.Store(true)
	opts.Store = ds
	dir := filepath.Join(t.TempDir(), "journal")
	opts.Stream = &stream.Options{FlushEvery: 50 * time.Millisecond, FlushRows: 200, JournalDir: dir,
		ShutdownTimeout: 300 * time.Millisecond}
	ctx := context.Background()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	measured := out.Parent.Total
	if out.Parent.RowsStored != 0 || measured == 0 {
		t.Fatalf("store down: ROWS_STORED %d of %d measured", out.Parent.RowsStored, measured)
	}
	if len(out.Children) != 1 || !strings.Contains(out.Children[0].FailureReason, "kept in "+dir) {
		t.Fatalf("worker row should say where its rows are: %+v", out.Children)
	}
	// A journal of a run of another store is left alone.
	foreign := filepath.Join(dir, stream.JournalPrefix+"other"+stream.JournalSuffix)
	raw, _ := os.ReadFile(strings.TrimSuffix(strings.SplitN(out.Children[0].FailureReason, "kept in ", 2)[1], ")"))
	if len(raw) == 0 {
		t.Fatal("journal not found from the reason")
	}
	if err := os.WriteFile(foreign, []byte(strings.Replace(string(raw), out.RunID, "zzzzzzzz"+out.RunID[8:], 1)), 0o600); err != nil {
		t.Fatal(err)
	}

	rec, err := RecoverJournals(ctx, f.st, dir, RecoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Rows != measured || len(rec.Runs) != 1 {
		t.Fatalf("recovered %+v, want %d rows of one run", rec, measured)
	}
	rows, err := f.st.ListResults(ctx, out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.RowsStored != measured {
			t.Fatalf("%s: ROWS_STORED %d after recovery, want %d", r.TestID, r.RowsStored, measured)
		}
		if strings.Contains(r.FailureReason, "kept in") {
			t.Fatalf("%s: reason still names the journal: %q", r.TestID, r.FailureReason)
		}
	}
	if n, _ := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID}); n != measured {
		t.Fatalf("QUERY_EXECUTIONS %d, want %d", n, measured)
	}
	again, err := RecoverJournals(ctx, f.st, dir, RecoverOptions{})
	if err != nil || again.Rows != 0 {
		t.Fatalf("second recovery: %+v, %v", again, err)
	}
	if len(again.Journals) != 1 || again.Journals[0].Path != foreign || again.Journals[0].Skipped == "" {
		t.Fatalf("the foreign journal should be left with a reason: %+v", again.Journals)
	}
}
