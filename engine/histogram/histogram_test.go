package histogram

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// latencies returns n deterministic, heavy-tailed values in microseconds.
func latencies(n int) []int64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]int64, n)
	for i := range out {
		v := int64(r.ExpFloat64() * 2000)
		if r.IntN(100) == 0 {
			v *= 50
		}
		out[i] = v
	}
	return out
}

func TestMergeOfFourWorkersEqualsOneHistogram(t *testing.T) {
	vals := latencies(200_000)

	one := NewRegistry()
	h := one.Handle(Key{Metric: MetricLatency, Phase: "p", Query: "q", Success: true})
	for _, v := range vals {
		h.Record(v)
	}

	// Four workers, each with its own registry and two goroutine handles,
	// values dealt round-robin; snapshots merged the way results are.
	var parts []*Registry
	for range 4 {
		parts = append(parts, NewRegistry())
	}
	var handles []*Handle
	for _, r := range parts {
		for range 2 {
			handles = append(handles, r.Handle(Key{Metric: MetricLatency, Phase: "p", Query: "q", Success: true}))
		}
	}
	for i, v := range vals {
		handles[i%len(handles)].Record(v)
	}
	merged := New()
	for _, r := range parts {
		for _, s := range r.Cumulative() {
			// Persist and read back, as workers on other hosts do.
			enc, err := Encode(s.Cumulative)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if err := Merge(merged, dec); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := Summarize(one.Cumulative()[0].Cumulative)
	got := Summarize(merged)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("merged summary differs (-one +merged):\n%s", diff)
	}
	if want.Count != int64(len(vals)) {
		t.Fatalf("count = %d, want %d", want.Count, len(vals))
	}
	if !one.Cumulative()[0].Cumulative.Equals(merged) {
		t.Fatal("merged histogram is not bucket-for-bucket equal to the single one")
	}
}

func TestClampAndCount(t *testing.T) {
	r := NewRegistry()
	h := r.Handle(Key{Metric: MetricLatency})
	h.Record(0)
	h.Record(-5)
	h.Record(MaxValue * 3)
	h.Record(MaxValue)
	s := r.Tick()[0]
	if s.Clamped != 1 {
		t.Fatalf("clamped = %d, want 1", s.Clamped)
	}
	sum := Summarize(s.Cumulative)
	if sum.Count != 4 || sum.Min != MinValue || !s.Cumulative.ValuesAreEquivalent(sum.Max, MaxValue) {
		t.Fatalf("summary = %+v", sum)
	}
}

func TestTickIntervalsAndCumulative(t *testing.T) {
	r := NewRegistry()
	k := Key{Metric: MetricLatency, Phase: "a", Query: "q", Success: true}
	h := r.Handle(k)
	r.Handle(Key{Metric: MetricLatency, Phase: "a", Query: "q"}) // never used: no snapshot
	for range 10 {
		h.Record(100)
	}
	first := r.Tick()
	if len(first) != 1 || first[0].Key != k {
		t.Fatalf("tick snapshots %+v, want only %+v", first, k)
	}
	for range 5 {
		h.Record(200)
	}
	second := r.Tick()
	if first[0].Interval.TotalCount() != 10 || second[0].Interval.TotalCount() != 5 || second[0].Cumulative.TotalCount() != 15 {
		t.Fatalf("interval/cumulative counts: %d, %d, %d", first[0].Interval.TotalCount(), second[0].Interval.TotalCount(), second[0].Cumulative.TotalCount())
	}
	diff, err := Sub(second[0].Cumulative, first[0].Cumulative)
	if err != nil {
		t.Fatal(err)
	}
	if !diff.Equals(second[0].Interval) {
		t.Fatal("Sub(cumulative2, cumulative1) != interval2")
	}
}

// TestConcurrentRecordAndTick runs recording goroutines against a ticking
// reader (go test -race) and checks no value is lost or counted twice.
func TestConcurrentRecordAndTick(t *testing.T) {
	r := NewRegistry()
	const goroutines, per = 4, 50_000
	var wg sync.WaitGroup
	for g := range goroutines {
		h := r.Handle(Key{Metric: MetricLatency, Query: "q", Success: g%2 == 0})
		wg.Go(func() {
			for i := range per {
				h.Record(int64(i%5000 + 1))
			}
		})
	}
	done := make(chan struct{})
	finished := stop(&wg)
	var ticked int64
	go func() {
		defer close(done)
		for {
			for _, s := range r.Tick() {
				ticked += s.Interval.TotalCount()
			}
			select {
			case <-finished:
				for _, s := range r.Tick() {
					ticked += s.Interval.TotalCount()
				}
				return
			default:
			}
		}
	}()
	wg.Wait()
	<-done
	if ticked != goroutines*per {
		t.Fatalf("ticked %d values, want %d", ticked, goroutines*per)
	}
}

func stop(wg *sync.WaitGroup) <-chan struct{} {
	c := make(chan struct{})
	go func() { wg.Wait(); close(c) }()
	return c
}

func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRegistry()
	h := r.Handle(Key{Metric: MetricLatency})
	vals := latencies(10_000)
	for _, v := range vals { // warm the sparse buckets
		h.Record(v)
	}
	r.Flush()
	for _, v := range vals { // and the second buffer
		h.Record(v)
	}
	i := 0
	allocs := testing.AllocsPerRun(10_000, func() {
		h.Record(vals[i%len(vals)])
		i++
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %.2f times per call", allocs)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := NewRegistry()
	h := r.Handle(Key{Metric: MetricLatency})
	vals := latencies(4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Record(vals[i&4095])
		i++
	}
}
