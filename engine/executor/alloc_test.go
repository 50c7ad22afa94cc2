package executor

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

// nopTarget's sessions answer at once without allocating, so that what a
// run allocates is the harness's own.
type nopTarget struct{}

type nopSession struct{}

func (nopTarget) Open(context.Context, int) (Session, error) { return nopSession{}, nil }

func (nopSession) Exec(context.Context, int, []any) (int64, string, error) { return 1, "", nil }
func (nopSession) Close() error                                            { return nil }

// countSink takes every record without allocating (sampling "on" as far
// as the executor can tell: each operation builds and offers its record).
type countSink struct{ n atomic.Int64 }

func (c *countSink) Offer(r Record) bool { c.n.Add(1); return r.Success }

// allocsPerOp runs run twice, with n and 10·n operations, and returns the
// allocations per operation the second run made beyond the first: what a
// run allocates once (sessions, histograms, goroutines) cancels out.
func allocsPerOp(t *testing.T, n int64, run func(n int64) int64) float64 {
	t.Helper()
	var small, large int64
	a1 := testing.AllocsPerRun(1, func() { small = run(n) })
	a2 := testing.AllocsPerRun(1, func() { large = run(10 * n) })
	if large <= small {
		t.Fatalf("runs of %d and %d operations counted %d and %d", n, 10*n, small, large)
	}
	return (a2 - a1) / float64(large-small)
}

func nopEnv(sink Sink, ops OpSourceFunc) Env {
	rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{Sink: sink})
	return Env{Target: nopTarget{}, Ops: ops, Recorder: rec.Phase("main", false)}
}

// OpSourceFunc is Env.Ops.
type OpSourceFunc = func(conn int) (OpSource, error)

func TestClosedAllocatesNothingPerOperation(t *testing.T) {
	for _, sink := range []Sink{nil, &countSink{}} {
		per := allocsPerOp(t, 20_000, func(n int64) int64 {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var issued atomic.Int64
			env := nopEnv(sink, func(int) (OpSource, error) { return countedOps{&issued, n, cancel}, nil })
			res, err := runNow(ctx, &Closed{Sessions: 4}, env)
			if err != nil {
				t.Fatal(err)
			}
			return res.Counts.Ops
		})
		if per > 0.001 {
			t.Errorf("sink %T: the closed model allocates %.4f times per operation, want 0", sink, per)
		}
	}
}

func TestOpenAllocatesNothingPerOperation(t *testing.T) {
	// Paced at its due times (no spin window, virtual clock).
	for _, sink := range []Sink{nil, &countSink{}} {
		per := allocsPerOp(t, 5_000, func(n int64) int64 {
			var ops int64
			synctest.Test(t, func(t *testing.T) {
				env := nopEnv(sink, oneQueryOps)
				res, err := runNow(context.Background(), NewConstant(10_000, 4, 4, time.Duration(n)*100*time.Microsecond), env)
				if err != nil {
					t.Fatal(err)
				}
				if res.Counts.Ops+res.Counts.Dropped != n {
					t.Fatalf("counts %+v, want %d arrivals", res.Counts, n)
				}
				ops = res.Counts.Ops
			})
			return ops
		})
		if per > 0.001 {
			t.Errorf("sink %T: the open model allocates %.4f times per operation, want 0", sink, per)
		}
	}
}

func TestOpenHandoffAllocatesNothingPerOperation(t *testing.T) {
	// Handed over ahead of the due time (spin window, real clock): the
	// sessions' wait and the pacer's precise sleep allocate nothing either.
	for _, sink := range []Sink{nil, &countSink{}} {
		// 2,000 arrivals/s: slow enough that the sessions keep up under the
		// race detector on a loaded machine (at 10,000 most of the longer
		// run's arrivals were dropped there, and it counted fewer operations
		// than the shorter one).
		per := allocsPerOp(t, 500, func(n int64) int64 {
			env := nopEnv(sink, oneQueryOps)
			o := NewConstant(2_000, 4, 4, time.Duration(n)*500*time.Microsecond)
			o.SpinWindow = DefaultSpinWindow
			res, err := runNow(context.Background(), o, env)
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts.Ops+res.Counts.Dropped != n {
				t.Fatalf("counts %+v, want %d arrivals", res.Counts, n)
			}
			return res.Counts.Ops
		})
		// On the real clock the lags and latencies spread with the load,
		// and each value new to a session's packed histogram grows it
		// (hdrhistogram's sparseAdd): on a busy machine the longer run
		// meets a few hundred more distinct values, 0.05–0.08 allocations
		// per operation, none of them per operation. One allocation per
		// operation would show as 1.
		if per > 0.25 {
			t.Errorf("sink %T: the open model with hand-off allocates %.4f times per operation, want 0", sink, per)
		}
	}
}
