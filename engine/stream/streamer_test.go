package stream

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/hashicorp/go-hclog"
)

func testOptions(w Writer, t *testing.T) Options {
	return Options{
		Store: w, RunID: "run1", TestID: "test1", WorkerID: "worker-0", WorkerGroupID: 0,
		FlushEvery: 50 * time.Millisecond, FlushRows: 100, BufferRows: 200, SpillRows: 400,
		JournalDir: t.TempDir(), RetryBudget: 2 * time.Second, ShutdownTimeout: time.Second,
		Logger: hclog.NewNullLogger(),
	}
}

// want returns the execution ids of records 1..n that must be stored.
func want(n, warmupN int64, rate float64) map[string]bool {
	ids := map[string]bool{}
	for seq := int64(1); seq <= n; seq++ {
		_, k := gen(seq, warmupN)
		if k != kindMeasure || (Sampler{Rate: rate}).Keep("run1", "worker-0", seq) {
			ids[ExecutionID("run1", "worker-0", seq)] = true
		}
	}
	return ids
}

func checkRows(t *testing.T, w *memWriter, ids map[string]bool) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dups != 0 {
		t.Errorf("%d rows written twice", w.dups)
	}
	if len(w.rows) != len(ids) {
		t.Errorf("stored %d rows, want %d", len(w.rows), len(ids))
	}
	for id := range ids {
		if _, ok := w.rows[id]; !ok {
			t.Fatalf("row %s missing", id)
		}
	}
}

func TestSetRateOnceBeforeMeasurement(t *testing.T) {
	s := New(testOptions(newMemWriter(), t))
	r, _ := gen(1, 1) // warmup: does not fix the rate
	s.Offer(r)
	if err := s.SetRate(0.5); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRate(0.25); !errors.Is(err, ErrRateFixed) {
		t.Fatalf("second SetRate: %v", err)
	}
	s2 := New(testOptions(newMemWriter(), t))
	m, _ := gen(2, 0)
	s2.Offer(m) // measurement starts at rate 1
	if err := s2.SetRate(0.5); !errors.Is(err, ErrRateFixed) {
		t.Fatalf("SetRate after measurement started: %v", err)
	}
	if s2.Rate() != 1 {
		t.Fatalf("rate %v", s2.Rate())
	}
	if err := New(testOptions(newMemWriter(), t)).SetRate(0); err == nil {
		t.Fatal("rate 0 accepted")
	}
	o := testOptions(newMemWriter(), t)
	o.Sampler.Rate = 0.1
	if err := New(o).SetRate(0.2); !errors.Is(err, ErrRateFixed) {
		t.Fatalf("SetRate over a configured rate: %v", err)
	}
	for _, s := range []*Streamer{s, s2} {
		if _, err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// The hot path never blocks: with no flusher running, records fill the
// buffer, then the spill queue, then go to the journal file directly; with
// the journal unwritable too they are dropped, counted and reported by
// Close.
func TestOfferNeverBlocksAndCountsOverflow(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(map[bool]string{false: "journal", true: "journal broken"}[broken], func(t *testing.T) {
			w := newMemWriter()
			o := testOptions(w, t)
			if broken {
				f := filepath.Join(t.TempDir(), "file")
				if err := os.WriteFile(f, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				o.JournalDir = filepath.Join(f, "journal")
			}
			s := New(o)
			capBuf, capSpill := s.buf.cap(), s.spill.cap()
			if capBuf != 256 || capSpill != 512 {
				t.Fatalf("ring capacities %d, %d: want the next powers of two", capBuf, capSpill)
			}
			total := int64(capBuf + capSpill + 25)
			accepted := int64(0)
			for seq := int64(1); seq <= total; seq++ {
				r, _ := gen(seq, 0)
				r.Success = true
				if s.Offer(r) {
					accepted++
				}
			}
			wantAccepted, wantDropped := total, int64(0)
			if broken { // the spill queue still reaches the store at Close
				wantAccepted, wantDropped = total-25, 25
			}
			st := s.Stats()
			if accepted != wantAccepted || st.Dropped != wantDropped || st.Spilled != accepted-int64(capBuf) || st.Offered != total {
				t.Fatalf("accepted %d, stats %+v", accepted, st)
			}
			f, err := s.Close(context.Background())
			if broken {
				if err == nil || !strings.Contains(err.Error(), "25 records dropped") || !strings.Contains(f.Reason, "not a directory") {
					t.Fatalf("Close: %v (final %+v)", err, f)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if f.Written != accepted || f.NotWritten != wantDropped || f.Offered != total || w.count() != accepted {
				t.Fatalf("final %+v; store has %d rows", f, w.count())
			}
			if f.JournalPath != "" {
				t.Fatalf("journal kept after full drain: %s", f.JournalPath)
			}
			if s.Offer(executorRecord(1)) {
				t.Fatal("Offer after Close accepted")
			}
		})
	}
}

func executorRecord(seq int64) executor.Record { r, _ := gen(seq, 0); return r }

// A store down for 10 s mid-run: records go through the spill journal and
// every one is written once the store is back; none twice.
func TestStoreDownTenSecondsLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMemWriter()
		o := testOptions(w, t)
		o.RetryBudget = time.Minute
		o.Sampler.Rate = 0.5
		s := New(o)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runErr := make(chan error, 1)
		go func() { runErr <- s.Run(ctx) }()

		const n, warm = 30000, 2000
		var sawSpill bool
		for seq := int64(1); seq <= n; seq++ {
			if seq == 8000 {
				w.mu.Lock()
				w.failUntil = time.Now().Add(10 * time.Second)
				w.mu.Unlock()
			}
			r, _ := gen(seq, warm)
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(50 * time.Millisecond) // 2,000 ops/s of virtual time
				if s.Stats().JournalPending > 0 {
					sawSpill = true
				}
			}
		}
		// Once the store is back the journal drains while the run goes on.
		time.Sleep(30 * time.Second)
		synctest.Wait()
		ids := want(n, warm, 0.5)
		if st := s.Stats(); st.JournalPending != 0 || st.Written != int64(len(ids)) || st.Buffered != 0 {
			t.Fatalf("before Close: %+v, want %d written", st, len(ids))
		}
		f, err := s.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := <-runErr; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !sawSpill {
			t.Error("the outage never spilled to the journal")
		}
		checkRows(t, w, ids)
		if f.Written != int64(len(ids)) || f.NotWritten != 0 || f.Offered != n || f.SampleRate != 0.5 {
			t.Fatalf("final %+v, want %d written", f, len(ids))
		}
		if f.Offered-f.SampledOut != f.Written {
			t.Fatalf("final %+v does not add up", f)
		}
	})
}

// A store that never comes back: Run fails past the retry budget with
// ErrStoreUnavailable and the last error; rows written before stay; Close
// reports the rest as not written and keeps them in the journal.
func TestStoreNeverBackFailsWithReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMemWriter()
		o := testOptions(w, t)
		o.RetryBudget = 5 * time.Second
		s := New(o)
		runErr := make(chan error, 1)
		go func() { runErr <- s.Run(context.Background()) }()
		for seq := int64(1); seq <= 3000; seq++ {
			if seq == 1001 {
				time.Sleep(time.Second) // the first 1000 are written
				w.setDown(true)
			}
			r, _ := gen(seq, 0)
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		var err error
		select {
		case err = <-runErr:
		case <-time.After(time.Minute):
			t.Fatal("Run did not give up")
		}
		if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, errDown) {
			t.Fatalf("Run: %v", err)
		}
		written := w.count()
		if written < 1000 || written >= 3000 {
			t.Fatalf("written before the outage: %d", written)
		}
		f, cerr := s.Close(context.Background())
		if cerr == nil || !errors.Is(cerr, ErrStoreUnavailable) {
			t.Fatalf("Close: %v", cerr)
		}
		if f.Written != written || f.NotWritten != 3000-written || !strings.Contains(f.Reason, "unavailable") {
			t.Fatalf("final %+v, store has %d", f, written)
		}
		if f.JournalPath == "" {
			t.Fatal("no journal kept")
		}
		j := newJournal(o.JournalDir, "")
		fh, err := os.Open(f.JournalPath)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := fh.Stat()
		_, base, err := readHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		j.f, j.wOff, j.rOff = fh, fi.Size(), base
		b, _, err := j.read(nil, 10000)
		fh.Close()
		if err != nil || int64(len(b)) < f.NotWritten {
			t.Fatalf("journal holds %d records (%v), %d not written", len(b), err, f.NotWritten)
		}
	})
}

// Close writes a partial batch without waiting for the flush interval,
// and the flusher writes on FlushEvery without reaching FlushRows.
func TestFlushEveryAndCloseFlushAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMemWriter()
		o := testOptions(w, t)
		o.FlushEvery = 5 * time.Second
		s := New(o)
		go s.Run(context.Background())
		for seq := int64(1); seq <= 10; seq++ {
			r, _ := gen(seq, 0)
			s.Offer(r)
		}
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if w.count() != 0 {
			t.Fatalf("wrote %d rows before FlushEvery", w.count())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if w.count() != 10 {
			t.Fatalf("wrote %d rows after FlushEvery, want 10", w.count())
		}
		for seq := int64(11); seq <= 15; seq++ {
			r, _ := gen(seq, 0)
			s.Offer(r)
		}
		f, err := s.Close(context.Background())
		if err != nil || f.Written != 15 || w.count() != 15 {
			t.Fatalf("Close: %+v, %v; store %d", f, err, w.count())
		}
		st := s.Stats()
		if st.Flushes != 2 || st.FlushP99 <= 0 || st.Buffered != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// At shutdown a store that stays down is given the shutdown timeout, then
// Close gives up and reports the rows with ErrShutdownTimeout.
func TestCloseGivesUpAtShutdownTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newMemWriter()
		o := testOptions(w, t)
		o.ShutdownTimeout = 30 * time.Second
		o.RetryBudget = time.Hour
		s := New(o)
		go s.Run(context.Background())
		for seq := int64(1); seq <= 50; seq++ {
			r, _ := gen(seq, 0)
			s.Offer(r)
		}
		w.setDown(true)
		start := time.Now()
		f, err := s.Close(context.Background())
		if !errors.Is(err, ErrShutdownTimeout) || f.NotWritten != 50 {
			t.Fatalf("Close: %+v, %v", f, err)
		}
		if d := time.Since(start); d < 25*time.Second || d > 31*time.Second {
			t.Fatalf("Close gave up after %v, want about 30s", d)
		}
	})
}
