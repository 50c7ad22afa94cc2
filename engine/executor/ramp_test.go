package executor

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/internal/noopdb"
)

// TestRampScheduleIntegratesTheRate checks that the arrivals in every
// 100 ms window equal the integral of the rate over it, to one arrival.
func TestRampScheduleIntegratesTheRate(t *testing.T) {
	for _, r := range []RampRate{
		{From: 100, To: 300, Over: 10 * time.Second},
		{From: 0, To: 500, Over: 4 * time.Second},
		{From: 400, To: 0, Over: 5 * time.Second},
		{From: 250, To: 250, Over: 3 * time.Second},
		{From: 50, To: 150, Over: 2 * time.Second, Duration: 5 * time.Second}, // then 150/s
	} {
		end := r.Duration
		if end == 0 {
			end = r.Over
		}
		rate := func(t float64) float64 {
			if over := r.Over.Seconds(); t < over {
				return r.From + (r.To-r.From)*t/over
			}
			return r.To
		}
		const win = 0.1
		counts := make([]int, int(math.Ceil(end.Seconds()/win)))
		var last time.Duration = -1
		total := 0
		for i := int64(0); ; i++ {
			at, ok := r.At(i)
			if !ok {
				break
			}
			if at < last {
				t.Fatalf("%+v: arrival %d at %v before %v", r, i, at, last)
			}
			last = at
			counts[int(at.Seconds()/win)]++
			total++
		}
		want := 0.0
		for w, got := range counts {
			a, b := float64(w)*win, float64(w+1)*win
			exp := (rate(a) + rate(b)) / 2 * win // exact for a linear piece
			if a < r.Over.Seconds() && b > r.Over.Seconds() {
				continue // window spans the knee
			}
			want += exp
			if math.Abs(float64(got)-exp) > 1 {
				t.Fatalf("%+v: window %d has %d arrivals, want %.1f", r, w, got, exp)
			}
		}
		integral := (r.From+r.To)/2*r.Over.Seconds() + r.To*(end-r.Over).Seconds()
		if math.Abs(float64(total)-integral) > 1 {
			t.Fatalf("%+v: %d arrivals, want %.1f", r, total, integral)
		}
	}
}

func TestRampExecutorRunsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdb.Options{Latency: time.Millisecond})
		res, err := runNow(context.Background(), NewRamp(100, 500, 4*time.Second, 0, 20, 20), env)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.Ops != 1200 || res.Counts.Dropped != 0 {
			t.Fatalf("counts %+v, want 1200 ops ((100+500)/2 × 4 s)", res.Counts)
		}
	})
}
