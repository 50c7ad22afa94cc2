package executor

import (
	"context"
	"database/sql"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/internal/noopdb"
)

// benchConns is the number of connections both the harness and the bare
// loop use.
const benchConns = 4

// countedOps sends query 0 and cancels the phase once limit operations
// have been handed out.
type countedOps struct {
	n      *atomic.Int64
	limit  int64
	cancel context.CancelFunc
}

func (c countedOps) Next() (int, []any) {
	if c.n.Add(1) == c.limit {
		c.cancel()
	}
	return 0, nil
}

// harnessRun runs the closed executor against db until ops operations.
func harnessRun(tb testing.TB, db *sql.DB, ops int64) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
	env := Env{
		Target:   &SQLTarget{DB: db, Queries: []QuerySpec{{SQL: "SELECT 1"}}},
		Ops:      func(int) (OpSource, error) { return countedOps{&n, ops, cancel}, nil },
		Recorder: rec.Phase("bench", false),
	}
	start := time.Now()
	if _, err := runNow(ctx, &Closed{Sessions: benchConns}, env); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// bareRun is the bare minimum: benchConns goroutines, each with its own
// connection and prepared statement, querying and draining rows.
func bareRun(tb testing.TB, db *sql.DB, ops int64) time.Duration {
	ctx := context.Background()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConns {
		c, err := db.Conn(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		st, err := c.PrepareContext(ctx, "SELECT 1")
		if err != nil {
			tb.Fatal(err)
		}
		wg.Go(func() {
			defer c.Close()
			defer st.Close()
			for n.Add(1) <= ops {
				rows, err := st.QueryContext(ctx)
				if err != nil {
					panic(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func BenchmarkBareLoop(b *testing.B) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	db.SetMaxIdleConns(benchConns)
	b.ReportAllocs()
	b.ResetTimer()
	d := bareRun(b, db, int64(b.N))
	b.ReportMetric(float64(b.N)/d.Seconds(), "ops/s")
}

func BenchmarkClosedHarness(b *testing.B) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	db.SetMaxIdleConns(benchConns)
	b.ReportAllocs()
	b.ResetTimer()
	d := harnessRun(b, db, int64(b.N))
	b.ReportMetric(float64(b.N)/d.Seconds(), "ops/s")
}

// BenchmarkHarnessRatio measures the harness and the bare loop side by
// side, alternating, and reports the median ops/s ratio harness ÷ bare
// (target ≥ 0.9).
func BenchmarkHarnessRatio(b *testing.B) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	db.SetMaxIdleConns(benchConns)
	const ops, rounds = 200_000, 9
	for range b.N {
		var ratios, cpuRatios []float64
		for range rounds {
			c0 := cpuTime()
			bare := bareRun(b, db, ops)
			c1 := cpuTime()
			harness := harnessRun(b, db, ops)
			c2 := cpuTime()
			ratios = append(ratios, bare.Seconds()/harness.Seconds())
			cpuRatios = append(cpuRatios, float64(c1-c0)/float64(c2-c1))
		}
		sort.Float64s(ratios)
		sort.Float64s(cpuRatios)
		b.ReportMetric(ratios[rounds/2], "ratio")
		b.ReportMetric(ratios[0], "ratio_min")
		b.ReportMetric(ratios[rounds-1], "ratio_max")
		// CPU seconds per operation, bare ÷ harness: less sensitive to
		// other processes on a shared machine than wall time.
		b.ReportMetric(cpuRatios[rounds/2], "cpu_ratio")
	}
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPacer runs the open model at 10,000 ops/s against the no-op
// target for FBCTL_BENCH_PACER_SECONDS (default 3) and reports the achieved
// rate, the schedule lag and the process's CPU use (cpu_%: CPU seconds per
// second of the run, ×100, getrusage around it; the no-op target's own
// database/sql round trip included). FBCTL_BENCH_PACER_SPIN sets the spin
// window (default DefaultSpinWindow; 0 for timer-only pacing).
func BenchmarkPacer(b *testing.B) { benchPacer(b, 10_000) }

// BenchmarkPacerCPU is BenchmarkPacer at the low rates, where what counts
// is that the pacer does not burn a core to be precise.
func BenchmarkPacerCPU(b *testing.B) {
	for _, rate := range []float64{100, 1000} {
		b.Run("rate="+strconv.FormatFloat(rate, 'f', -1, 64), func(b *testing.B) { benchPacer(b, rate) })
	}
}

func benchPacer(b *testing.B, rate float64) {
	secs := 3.0
	if s, err := strconv.ParseFloat(os.Getenv("FBCTL_BENCH_PACER_SECONDS"), 64); err == nil && s > 0 {
		secs = s
	}
	spinWindow := DefaultSpinWindow
	if s, err := time.ParseDuration(os.Getenv("FBCTL_BENCH_PACER_SPIN")); err == nil {
		spinWindow = s
	}
	for range b.N {
		env, _ := noopEnv(b, noopdb.Options{})
		o := NewConstant(rate, 64, 64, time.Duration(secs*float64(time.Second)))
		o.SpinWindow = spinWindow
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		t0 := time.Now()
		res, err := runNow(context.Background(), o, env)
		wall := time.Since(t0)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		if err != nil {
			b.Fatal(err)
		}
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		achieved := float64(res.Counts.Ops) / secs
		lag := merged(env, histogram.MetricLag)
		b.ReportMetric(achieved, "achieved_ops/s")
		b.ReportMetric(float64(res.Counts.Ops+res.Counts.Dropped)/secs, "issued_ops/s")
		b.ReportMetric(100*(achieved-rate)/rate, "rate_err_%")
		b.ReportMetric(float64(lag.ValueAtPercentile(50)), "lag_p50_us")
		b.ReportMetric(float64(lag.ValueAtPercentile(99)), "lag_p99_us")
		b.ReportMetric(float64(res.Counts.Dropped), "dropped")
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu_%")
		if res.Counts.Ops > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/float64(res.Counts.Ops), "cpu_us/op")
		}
		// Context switches per operation: the wake-ups a hand-off costs.
		if res.Counts.Ops > 0 {
			sw := (ru1.Nvcsw - ru0.Nvcsw) + (ru1.Nivcsw - ru0.Nivcsw)
			b.ReportMetric(float64(sw)/float64(res.Counts.Ops), "ctxsw/op")
		}
	}
}

// BenchmarkCoordinatedOmission runs the open model (1,000 ops/s, 200
// connections) and the closed model (4 connections) for 5 s each against a
// target that stalls 1 s once, 2 s in, and reports both models' p99 and
// max latency: the open model shows the stall, the closed one hides most
// of it.
func BenchmarkCoordinatedOmission(b *testing.B) {
	opts := noopdb.Options{Latency: 200 * time.Microsecond, StallAt: 2 * time.Second, StallFor: time.Second}
	for range b.N {
		openEnv, _ := noopEnv(b, opts)
		o := NewConstant(1000, 200, 200, 5*time.Second)
		o.SpinWindow = DefaultSpinWindow
		res, err := runNow(context.Background(), o, openEnv)
		if err != nil {
			b.Fatal(err)
		}
		closedEnv, _ := noopEnv(b, opts)
		if _, err := runNow(context.Background(), &Closed{Sessions: 4, Duration: 5 * time.Second}, closedEnv); err != nil {
			b.Fatal(err)
		}
		ol, cl := merged(openEnv, histogram.MetricLatency), merged(closedEnv, histogram.MetricLatency)
		b.ReportMetric(float64(ol.ValueAtPercentile(99))/1000, "open_p99_ms")
		b.ReportMetric(float64(ol.Max())/1000, "open_max_ms")
		b.ReportMetric(float64(res.Counts.Dropped), "open_dropped")
		b.ReportMetric(float64(cl.ValueAtPercentile(99))/1000, "closed_p99_ms")
		b.ReportMetric(float64(cl.Max())/1000, "closed_max_ms")
	}
}
