package stream

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hot path allocates nothing: sampling decision and hand-off, every
// record kept or one in ten, on the buffer and on the spill queue.
func TestOfferAllocatesNothing(t *testing.T) {
	for _, rate := range []float64{1, 0.1} {
		o := testOptions(newMemWriter(), t)
		// No Run: nothing drains, so the buffer fills and then the
		// spill queue takes the rest.
		o.BufferRows, o.SpillRows = 1024, 1<<14
		o.Sampler.Rate = rate
		s := New(o)
		r, _ := gen(1, 0)
		seq := int64(0)
		allocs := testing.AllocsPerRun(5000, func() {
			seq++
			r.ExecutionSeq = seq
			s.Offer(r)
		})
		if allocs != 0 && !raceEnabled {
			t.Fatalf("rate %v: Offer allocates %v times per call", rate, allocs)
		}
		if st := s.Stats(); rate == 1 && st.Spilled == 0 || rate < 1 && st.SampledOut == 0 {
			t.Fatalf("rate %v: %+v; want records on the spill queue (rate 1) or sampled out", rate, st)
		}
		if _, err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// Many goroutines offer at once while the store goes down and comes back:
// every accepted record is written exactly once and the counters add up.
func TestConcurrentOffersAccountedExactly(t *testing.T) {
	w := newMemWriter()
	o := testOptions(w, t)
	o.FlushEvery = 5 * time.Millisecond
	o.RetryBudget = time.Minute
	s := New(o)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background()) }()
	const producers, each = 8, 5000
	var seq, accepted atomic.Int64
	var kept sync.Map
	// The producer that takes the store down and the one that brings it
	// back are different goroutines: the second waits for the first, so
	// the store is never left down.
	wentDown := make(chan struct{})
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				n := seq.Add(1)
				if n == producers*each/3 {
					w.setDown(true)
					close(wentDown)
				}
				if n == 2*producers*each/3 {
					<-wentDown
					w.setDown(false)
				}
				r, _ := gen(n, 0)
				if s.Offer(r) {
					accepted.Add(1)
					kept.Store(ExecutionID("run1", "worker-0", n), true)
				}
				if i%50 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
		})
	}
	wg.Wait()
	f, err := s.Close(context.Background())
	if rerr := <-errc; rerr != nil {
		t.Fatal(rerr)
	}
	st := s.Stats()
	if f.Offered != producers*each || f.Written != accepted.Load() || f.Written+st.Dropped != f.Offered {
		t.Fatalf("final %+v, stats %+v, accepted %d", f, st, accepted.Load())
	}
	if (err != nil) != (st.Dropped > 0) {
		t.Fatalf("Close error %v with %d dropped", err, st.Dropped)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dups != 0 || int64(len(w.rows)) != accepted.Load() {
		t.Fatalf("%d rows, %d duplicates, %d accepted", len(w.rows), w.dups, accepted.Load())
	}
	kept.Range(func(k, _ any) bool {
		if _, ok := w.rows[k.(string)]; !ok {
			t.Fatalf("accepted row %s missing", k)
		}
		return true
	})
	t.Logf("spilled %d, dropped %d of %d", st.Spilled, st.Dropped, f.Offered)
}

func TestRingFullAndWrap(t *testing.T) {
	r := newRing(3) // 4 cells
	var v slot
	for lap := range 3 {
		for i := range 4 {
			v.rec.ExecutionSeq = int64(lap*10 + i)
			if !r.push(&v) {
				t.Fatalf("lap %d push %d refused", lap, i)
			}
		}
		if r.push(&v) || r.len() != 4 {
			t.Fatalf("full ring accepted a push (len %d)", r.len())
		}
		got := r.popInto(nil, 10)
		if len(got) != 4 || got[0].rec.ExecutionSeq != int64(lap*10) || got[3].rec.ExecutionSeq != int64(lap*10+3) {
			t.Fatalf("lap %d popped %+v", lap, got)
		}
		if r.pop(&v) {
			t.Fatal("empty ring popped")
		}
	}
	if newRingSize(1) != 2 || newRingSize(5) != 8 {
		t.Fatal("ring sizes")
	}
}
