package stream

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// timedWriter records when each write happened.
type timedWriter struct {
	*memWriter
	mu sync.Mutex
	at []time.Time
}

func (w *timedWriter) InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error {
	w.mu.Lock()
	w.at = append(w.at, time.Now())
	w.mu.Unlock()
	return w.memWriter.InsertQueryExecutions(ctx, batch)
}

// With WriteGap, back-to-back batches are spaced at least that far apart
// (the single-writer store gets idle time for heartbeats), and every
// record is still written.
func TestWriteGapSpacesWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &timedWriter{memWriter: newMemWriter()}
		o := testOptions(w, t)
		o.WriteGap = 200 * time.Millisecond
		o.FlushEvery = time.Hour // only full batches trigger writes
		s := New(o)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runErr := make(chan error, 1)
		go func() { runErr <- s.Run(ctx) }()
		const n = 1000 // ten full batches, offered faster than the gap allows
		for seq := int64(1); seq <= n; seq++ {
			r, _ := gen(seq, n) // all warmup: every record is stored
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if _, err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
		if got := w.count(); got != n {
			t.Fatalf("written %d of %d", got, n)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.at) < 3 {
			t.Fatalf("only %d writes", len(w.at))
		}
		for i := 1; i < len(w.at)-1; i++ { // the last write is Close's flush
			if d := w.at[i].Sub(w.at[i-1]); d < o.WriteGap {
				t.Fatalf("writes %d and %d only %s apart, want at least %s", i-1, i, d, o.WriteGap)
			}
		}
	})
}
