package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// slowWriter is a real store whose writes take perBatch longer each.
type slowWriter struct {
	inner    Writer
	perBatch atomic.Int64 // ns
}

func (w *slowWriter) InsertQueryExecutions(ctx context.Context, b []store.QueryExecution) error {
	time.Sleep(time.Duration(w.perBatch.Load()))
	return w.inner.InsertQueryExecutions(ctx, b)
}

// TestCloseWaitsWhileTheStoreMakesProgress: the store slows down to 30 ms
// a batch when Close starts, with ~60 batches left and a stall budget of
// 100 ms: Close must keep writing as long as batches succeed (before, its
// budget was a total computed from the fast flushes seen so far, and the
// rest was left behind).
func TestCloseWaitsWhileTheStoreMakesProgress(t *testing.T) {
	st := openSQLite(t)
	sw := &slowWriter{inner: st}
	o := testOptions(sw, t)
	// A stall budget of 100 ms whatever the flush latency.
	o.ShutdownTimeout, o.ShutdownP99Factor, o.FlushEvery = 100*time.Millisecond, 1e-6, time.Hour
	s := New(o)
	go s.Run(context.Background())
	const n = 6000
	for seq := int64(1); seq <= n; seq++ {
		r, _ := gen(seq, 0)
		if !s.Offer(r) {
			t.Fatalf("record %d not taken", seq)
		}
	}
	sw.perBatch.Store(int64(30 * time.Millisecond))
	fin, err := s.Close(context.Background())
	if err != nil || fin.Written != n || fin.NotWritten != 0 {
		t.Fatalf("Close: %+v, %v", fin, err)
	}
	if got := count(t, st, store.QueryExecutionFilter{}); got != n {
		t.Fatalf("stored %d of %d", got, n)
	}
}

// TestJournalBudgetSlowsTheHotPath: with the store down and a journal
// budget of 64 KiB, the journal stops growing at its budget and Offer
// waits (backpressure) instead of filling the disk; once the store is back
// every record is written, none dropped.
func TestJournalBudgetSlowsTheHotPath(t *testing.T) {
	st := openSQLite(t)
	fw := &failingWriter{inner: st, down: true}
	o := testOptions(fw, t)
	o.JournalMaxBytes, o.RetryBudget = 64<<10, time.Minute
	s := New(o)
	go s.Run(context.Background())
	const n = 5000
	var wg sync.WaitGroup
	wg.Go(func() {
		for seq := int64(1); seq <= n; seq++ {
			r, _ := gen(seq, 0)
			if !s.Offer(r) {
				t.Errorf("record %d dropped", seq)
				return
			}
		}
	})
	// The producer must end up waiting: the rings hold 600 records, the
	// journal ~64 KiB (a few hundred records).
	deadline := time.Now().Add(20 * time.Second)
	for s.Stats().Throttled == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stats := s.Stats()
	if stats.Throttled == 0 {
		t.Fatalf("the hot path never waited: %+v", stats)
	}
	if stats.JournalBytes > 64<<10+spillBatch*200 {
		t.Fatalf("journal grew to %d bytes past its 64 KiB budget", stats.JournalBytes)
	}
	fw.setDown(false)
	wg.Wait()
	fin, err := s.Close(context.Background())
	if err != nil || fin.Written != n || fin.NotWritten != 0 || s.Stats().Dropped != 0 {
		t.Fatalf("Close: %+v, %v", fin, err)
	}
	if got := count(t, st, store.QueryExecutionFilter{}); got != n {
		t.Fatalf("stored %d of %d", got, n)
	}
}

// leaveJournal streams n records into a store that is down and closes the
// streamer: every record stays in a journal file in dir, whose path it
// returns.
func leaveJournal(t *testing.T, dir string, n int64, runID string) string {
	t.Helper()
	fw := &failingWriter{inner: nil, down: true}
	o := testOptions(fw, t)
	o.RunID, o.JournalDir, o.ShutdownTimeout = runID, dir, 50*time.Millisecond
	s := New(o)
	go s.Run(context.Background())
	for seq := int64(1); seq <= n; seq++ {
		r, _ := gen(seq, 10)
		s.Offer(r)
	}
	fin, err := s.Close(context.Background())
	if err == nil || fin.NotWritten != n || fin.JournalPath == "" {
		t.Fatalf("Close with the store down: %+v, %v", fin, err)
	}
	return fin.JournalPath
}

// TestReplayWritesALeftJournalOnce: a journal left behind is written by
// Replay into the real store and removed; replaying a copy of it again
// stores nothing twice; a journal of another run is left when Accept says
// so; a torn last frame (a killed writer) ends the file without an error.
func TestReplayWritesALeftJournalOnce(t *testing.T) {
	st := openSQLite(t)
	dir := t.TempDir()
	const n = 2345
	path := leaveJournal(t, dir, n, "run1")
	if !strings.HasPrefix(filepath.Base(path), JournalPrefix) {
		t.Fatalf("journal name %s", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other := leaveJournal(t, dir, 10, "run-other")
	accept := func(_ context.Context, runID string) (bool, string) { return runID == "run1", "not this store's" }
	got, err := Replay(context.Background(), dir, st, ReplayOptions{Accept: accept})
	if err != nil {
		t.Fatal(err)
	}
	var replayed, skipped int
	for _, r := range got {
		switch {
		case r.Err != nil:
			t.Fatalf("replay %s: %v", r.Path, r.Err)
		case r.Skipped != "":
			skipped++
			if r.Path != other {
				t.Fatalf("skipped %s", r.Path)
			}
		default:
			replayed++
			if r.Rows != n || r.RunID != "run1" || r.TestID != "test1" || r.WorkerID != "worker-0" {
				t.Fatalf("replayed %+v", r)
			}
		}
	}
	if replayed != 1 || skipped != 1 {
		t.Fatalf("replayed %d, skipped %d: %+v", replayed, skipped, got)
	}
	if c := count(t, st, store.QueryExecutionFilter{}); c != n {
		t.Fatalf("stored %d of %d", c, n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("replayed journal not removed: %v", err)
	}
	// The same rows again, with a torn last frame: nothing stored twice.
	torn := filepath.Join(dir, JournalPrefix+"copy"+JournalSuffix)
	if err := os.WriteFile(torn, raw[:len(raw)-7], 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = Replay(context.Background(), dir, st, ReplayOptions{Accept: accept})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Path == torn && (r.Err != nil || r.Rows != n-1) {
			t.Fatalf("torn copy: %+v", r)
		}
	}
	if c := count(t, st, store.QueryExecutionFilter{}); c != n {
		t.Fatalf("after a second replay %d rows, want %d", c, n)
	}
}

// TestReplaySkipsALiveJournal: a journal its streamer still writes is
// locked, and Replay leaves it.
func TestReplaySkipsALiveJournal(t *testing.T) {
	dir := t.TempDir()
	fw := &failingWriter{down: true}
	o := testOptions(fw, t)
	o.JournalDir = dir
	s := New(o)
	go s.Run(context.Background())
	for seq := int64(1); seq <= 2000; seq++ { // past the rings: the journal exists
		r, _ := gen(seq, 0)
		s.Offer(r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().JournalPending == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got, err := Replay(context.Background(), dir, openSQLite(t), ReplayOptions{})
	if err != nil || len(got) != 1 || got[0].Skipped == "" {
		t.Fatalf("replay of a live journal: %+v, %v", got, err)
	}
	s.Close(context.Background())
}
