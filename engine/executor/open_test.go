package executor

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/internal/noopdb"
)

func TestOpenAchievesTargetRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, db := noopEnv(t, noopdb.Options{Latency: 3 * time.Millisecond})
		const rate, secs = 2000.0, 10
		res, err := runNow(context.Background(), NewConstant(rate, 50, 50, secs*time.Second), env)
		if err != nil {
			t.Fatal(err)
		}
		achieved := float64(res.Counts.Ops) / res.Ended.Sub(res.Started).Seconds()
		if math.Abs(achieved-rate)/rate > 0.02 {
			t.Fatalf("achieved %.1f ops/s, target %.0f (ops %d over %v)", achieved, rate, res.Counts.Ops, res.Ended.Sub(res.Started))
		}
		if res.Counts.Ops != db.Ops() || res.Counts.Dropped != 0 || res.Counts.Errors != 0 {
			t.Fatalf("counts %+v, target ops %d", res.Counts, db.Ops())
		}
		// Latency is measured from the schedule: with no queueing it is
		// the target's 3 ms.
		if lat := merged(env, histogram.MetricLatency); !lat.ValuesAreEquivalent(lat.ValueAtPercentile(99), 3000) {
			p := lat.ValueAtPercentile(99)
			t.Fatalf("p99 = %d µs, want 3000", p)
		}
	})
}

func TestOpenStallShowsInP99AndDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdb.Options{Latency: time.Millisecond, StallAt: 5 * time.Second, StallFor: time.Second})
		res, err := runNow(context.Background(), NewConstant(1000, 200, 200, 10*time.Second), env)
		if err != nil {
			t.Fatal(err)
		}
		lat := merged(env, histogram.MetricLatency)
		p99 := lat.ValueAtPercentile(99)
		t.Logf("counts %+v, latency p50 %d µs p99 %d µs max %d µs", res.Counts, lat.ValueAtPercentile(50), p99, lat.Max())
		if p99 < 500_000 {
			t.Fatalf("open-model p99 %d µs does not show the 1 s stall", p99)
		}
		if res.Counts.Dropped < 500 {
			t.Fatalf("dropped %d arrivals during a 1 s stall at 1000/s with 200 connections, want about 800", res.Counts.Dropped)
		}
		if got := res.Counts.Ops + res.Counts.Dropped; got != 10_000 {
			t.Fatalf("ops + dropped = %d, want every one of the 10000 arrivals", got)
		}
	})
}

func TestClosedHidesTheStallThatOpenShows(t *testing.T) {
	// The coordinated-omission contrast: the closed model waits out the
	// stall, so only the few operations caught in it are slow.
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdb.Options{Latency: time.Millisecond, StallAt: 5 * time.Second, StallFor: time.Second})
		if _, err := runNow(context.Background(), &Closed{Sessions: 4, Duration: 10 * time.Second}, env); err != nil {
			t.Fatal(err)
		}
		lat := merged(env, histogram.MetricLatency)
		if p99, mx := lat.ValueAtPercentile(99), lat.Max(); p99 >= 500_000 || mx < 900_000 {
			t.Fatalf("closed model: p99 %d µs, max %d µs; want p99 well under the stall and max near it", p99, mx)
		}
	})
}

func TestOpenCatchesUpOverdueArrivals(t *testing.T) {
	// Arrivals due while the pacer could not run go out at once, not
	// later in the schedule: a schedule starting in the past is drained
	// immediately.
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdb.Options{})
		past := pastSchedule{ConstantRate{Rate: 1000, Duration: time.Second}}
		start := time.Now()
		res, err := runNow(context.Background(), &Open{Schedule: past, Sessions: 1, MaxSessions: 1, Duration: time.Second}, env)
		if err != nil {
			t.Fatal(err)
		}
		// The first 500 arrivals (the past half second) are overdue; with
		// one connection and a zero-latency target each is issued as soon
		// as the connection is free, the rest on schedule.
		if res.Counts.Ops+res.Counts.Dropped != 1000 || time.Since(start) > time.Second {
			t.Fatalf("counts %+v after %v", res.Counts, time.Since(start))
		}
	})
}

// pastSchedule shifts a schedule half a second into the past.
type pastSchedule struct{ s Schedule }

func (p pastSchedule) At(i int64) (time.Duration, bool) {
	d, ok := p.s.At(i)
	return d - 500*time.Millisecond, ok
}

func TestGracefulStopDrainsInFlight(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		drain                   time.Duration
		cancelInFlight          bool
		ok, canceled, abandoned int64
		took                    time.Duration
	}{
		{"in-flight finish", 10 * time.Second, false, 3, 0, 0, 5 * time.Second},
		{"drain timeout abandons", time.Second, false, 0, 0, 3, 2 * time.Second},
		{"drain timeout cancels", time.Second, true, 0, 3, 0, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				env, _ := noopEnv(t, noopdb.Options{Latency: 5 * time.Second})
				env.DrainTimeout = tc.drain
				env.CancelInFlight = tc.cancelInFlight
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(time.Second, cancel)
				start := time.Now()
				res, err := runNow(ctx, &Closed{Sessions: 3}, env)
				if err != nil {
					t.Fatal(err)
				}
				var canceled int64
				for _, e := range env.Recorder.Errors() {
					if e.Code == "canceled" {
						canceled = e.Count
					}
				}
				if res.Counts.OK != tc.ok || canceled != tc.canceled || int64(res.Abandoned) != tc.abandoned || time.Since(start) != tc.took {
					t.Fatalf("counts %+v, canceled %d, abandoned %d, took %v; want ok %d canceled %d abandoned %d in %v",
						res.Counts, canceled, res.Abandoned, time.Since(start), tc.ok, tc.canceled, tc.abandoned, tc.took)
				}
				// Abandoned operations still end, and their sessions close.
				time.Sleep(10 * time.Second)
				if c := env.Recorder.Counts(); !tc.cancelInFlight && c.OK != 3 {
					t.Fatalf("after the abandoned operations ended: %+v", c)
				}
			})
		})
	}
}

func TestOpenRecordsLagAndServiceTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One connection, 9 ms per op, 200 arrivals/s: every other arrival
		// is dropped, and those served start on time (lag 0), so latency
		// == service time.
		env, _ := noopEnv(t, noopdb.Options{Latency: 9 * time.Millisecond})
		res, err := runNow(context.Background(), NewConstant(200, 1, 1, time.Second), env)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.Ops != 100 || res.Counts.Dropped != 100 {
			t.Fatalf("counts %+v, want 100 served and 100 dropped", res.Counts)
		}
		lag := merged(env, histogram.MetricLag)
		svc := merged(env, histogram.MetricService)
		if lag.TotalCount() != 100 || lag.Max() != histogram.MinValue || !svc.ValuesAreEquivalent(svc.ValueAtPercentile(50), 9000) {
			t.Fatalf("lag count %d max %d, service p50 %d", lag.TotalCount(), lag.Max(), svc.ValueAtPercentile(50))
		}
	})
}
