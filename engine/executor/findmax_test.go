package executor

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

func runFindMax(t *testing.T, target *capTarget, fm *FindMax) *FindMaxResult {
	t.Helper()
	var out *FindMaxResult
	synctest.Test(t, func(t *testing.T) {
		rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
		env := Env{Target: target, Ops: oneQueryOps, Recorder: rec.Phase("fm", false)}
		res, err := runNow(context.Background(), fm, env)
		if err != nil {
			t.Fatal(err)
		}
		out = res.FindMax
		if target.open.Load() != 0 {
			t.Fatalf("%d sessions left open", target.open.Load())
		}
	})
	for _, s := range out.Steps {
		t.Logf("step %+v", s)
	}
	return out
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func levels(r *FindMaxResult) (out []int) {
	for _, s := range r.Steps {
		out = append(out, s.Concurrency)
	}
	return out
}

func checkResult(t *testing.T, r *FindMaxResult, reason string, best int, steps []int, verified bool) {
	t.Helper()
	got := levels(r)
	if r.Reason != reason || r.BestConcurrency != best || r.Verified != verified || len(got) != len(steps) {
		t.Fatalf("reason %q best %d verified %v steps %v; want %q %d %v %v", r.Reason, r.BestConcurrency, r.Verified, got, reason, best, verified, steps)
	}
	for i := range steps {
		if got[i] != steps[i] {
			t.Fatalf("steps %v, want %v", got, steps)
		}
	}
	if best > 0 {
		for _, s := range r.Steps {
			if s.Concurrency == best && !s.Verify && s.QPS != r.BestQPS {
				t.Fatalf("best QPS %v is not the QPS of step %d (%v)", r.BestQPS, best, s.QPS)
			}
		}
	}
}

func flat(time.Duration) func(int64) time.Duration {
	return func(int64) time.Duration { return ms(1) }
}

func TestFindMaxStopsOnErrorRate(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: flat(0), failAbove: 6},
		&FindMax{Start: 2, Step: 2, Max: 20, StepDuration: time.Second, MaxErrorRate: 0.01})
	checkResult(t, r, ReasonErrorRate, 6, []int{2, 4, 6, 8, 6}, true)
	if last := r.Steps[3]; last.ErrorRate < 0.99 || last.Stable {
		t.Fatalf("failing step %+v", last)
	}
	if !r.Steps[4].Verify {
		t.Fatal("last step is not the back-off verification")
	}
}

func TestFindMaxStopsOnP95Increase(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: func(n int64) time.Duration {
		if n > 4 {
			return ms(3)
		}
		return ms(1)
	}}, &FindMax{Start: 2, Step: 2, Max: 20, StepDuration: time.Second, MaxP95Increase: 0.5})
	checkResult(t, r, ReasonP95Increase, 4, []int{2, 4, 6, 4}, true)
	if inc := r.Steps[2].P95Increase; inc < 1.9 || inc > 2.1 {
		t.Fatalf("p95 increase %v, want about 2", inc)
	}
}

func TestFindMaxStopsOnQPSDrop(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: func(n int64) time.Duration {
		if n > 4 {
			return ms(float64(n*n) / 16 * 1.2) // 6 sessions: 2.7 ms, 2222 ops/s
		}
		return ms(1)
	}}, &FindMax{Start: 2, Step: 2, Max: 20, StepDuration: time.Second, MaxQPSDrop: 0.1})
	checkResult(t, r, ReasonQPSDrop, 4, []int{2, 4, 6, 4}, true)
	if q := r.BestQPS; q < 3900 || q > 4100 {
		t.Fatalf("best QPS %v, want about 4000", q)
	}
}

func TestFindMaxStopsOnSignal(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: flat(0)}, &FindMax{Start: 1, Step: 1, Max: 20, StepDuration: time.Second,
		Signal: func(_ context.Context, s Step) (bool, string) { return s.Concurrency >= 3, "queued queries" }})
	checkResult(t, r, ReasonSignal+": queued queries", 2, []int{1, 2, 3, 2}, true)
}

// A best level whose verification step is unstable is rejected, never
// the headline: the next best level below it is verified and reported.
// Level 6 is stable when first measured (2-3s) but fails from 3.5s on, so
// its verification runs; level 4 then verifies.
func TestFindMaxRejectsALevelItsVerificationContradicts(t *testing.T) {
	since := startClock()
	target := &capTarget{latency: flat(0), failAbove: 6}
	target.fail = func(n int64) bool { late := since() > 3500*time.Millisecond; return late && n >= 5 }
	r := runFindMax(t, target, &FindMax{Start: 2, Step: 2, Max: 20, StepDuration: time.Second, MaxErrorRate: 0.01})
	checkResult(t, r, ReasonErrorRate, 4, []int{2, 4, 6, 8, 6, 4}, true)
	if len(r.Rejected) != 1 || r.Rejected[0] != 6 || r.Steps[4].Stable || !r.Steps[5].Stable || !r.Steps[5].Verify {
		t.Fatalf("rejected %v, verification steps %+v %+v", r.Rejected, r.Steps[4], r.Steps[5])
	}
}

// When every candidate fails its verification, nothing is headlined.
func TestFindMaxNoLevelSurvivesVerification(t *testing.T) {
	since := startClock()
	target := &capTarget{latency: flat(0), failAbove: 4}
	target.fail = func(int64) bool { return since() > 2500*time.Millisecond }
	r := runFindMax(t, target, &FindMax{Start: 2, Step: 2, Max: 20, StepDuration: time.Second, MaxErrorRate: 0.01})
	checkResult(t, r, ReasonErrorRate, 0, []int{2, 4, 6, 4, 2}, false)
	if len(r.Rejected) != 2 || r.BestQPS != 0 {
		t.Fatalf("rejected %v, best qps %v", r.Rejected, r.BestQPS)
	}
}

// startClock returns the time since its first call (inside the synctest
// bubble, on its fake clock), safe from many goroutines.
func startClock() func() time.Duration {
	var once sync.Once
	var t0 time.Time
	return func() time.Duration {
		once.Do(func() { t0 = time.Now() })
		return time.Since(t0)
	}
}

func TestFindMaxStopsAtMax(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: flat(0)}, &FindMax{Start: 2, Step: 3, Max: 7, StepDuration: time.Second, MaxErrorRate: 0.01})
	checkResult(t, r, ReasonMaxReached, 7, []int{2, 5, 7}, false)
}

func TestFindMaxFirstStepUnstable(t *testing.T) {
	r := runFindMax(t, &capTarget{latency: flat(0), failAbove: 1}, &FindMax{Start: 2, Step: 2, Max: 8, StepDuration: time.Second, MaxErrorRate: 0.01})
	checkResult(t, r, ReasonErrorRate, 0, []int{2}, false)
}

func TestFindMaxStoppedByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		target := &capTarget{latency: flat(0)}
		rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
		env := Env{Target: target, Ops: oneQueryOps, Recorder: rec.Phase("fm", false)}
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		res, err := runNow(ctx, &FindMax{Start: 1, Step: 1, Max: 100, StepDuration: time.Second}, env)
		if err != nil {
			t.Fatal(err)
		}
		if r := res.FindMax; r.Reason != ReasonStopped || len(r.Steps) != 2 || r.BestConcurrency != 2 {
			t.Fatalf("result %+v", r)
		}
	})
}
