package stream

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/noopdb"
)

// hotRun runs ops operations of the closed executor (4 connections)
// against the no-op target with sink (nil: none) and returns how long the
// executor took and how many operations it counted.
func hotRun(tb testing.TB, sink executor.Sink, ops int64, onOp func(int64)) (time.Duration, int64) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	db.SetMaxIdleConns(4)
	rec := executor.NewRecorder(histogram.NewRegistry(), []executor.QueryInfo{{Name: "point_lookup", Kind: "read"}},
		executor.RecorderOptions{Sink: sink})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var issued atomic.Int64
	env := executor.Env{
		Target:   &executor.SQLTarget{DB: db, Queries: []executor.QuerySpec{{SQL: "SELECT 1"}}},
		Ops:      func(int) (executor.OpSource, error) { return countedOps{&issued, ops, cancel}, nil },
		Recorder: rec.Phase("steady", false),
	}
	var done chan struct{}
	if onOp != nil {
		done = make(chan struct{})
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				onOp(issued.Load())
				time.Sleep(time.Millisecond)
			}
		}()
	}
	start := time.Now()
	ex := &executor.Closed{Sessions: 4}
	if err := ex.Open(ctx, env); err != nil {
		tb.Fatal(err)
	}
	res, err := ex.Run(ctx, time.Now())
	el := time.Since(start)
	if done != nil {
		<-done
	}
	if err != nil {
		tb.Fatal(err)
	}
	return el, res.Counts.Ops
}

func envInt64(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkIngestHotPath streams FBCTL_BENCH_INGEST_OPS (500,000) operations
// of the executor against the no-op target into each results store with
// the default streamer options (every operation stored), and measures at
// the same time the hot path: the executor's ops/s with the streamer as its
// sink against a run without sink just before (hot_ratio). rows/s is every
// row written, from the first operation until Close returned; rows/s_hot
// counts only the rows written while the executor ran; lost_rows the rows
// the streamer dropped (both queues full).
func BenchmarkIngestHotPath(b *testing.B) {
	ops := envInt64("FBCTL_BENCH_INGEST_OPS", 500_000)
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			for range b.N {
				baseEl, baseOps := hotRun(b, nil, ops, nil)
				s := New(Options{Store: st, RunID: store.NewID(), WorkerID: "worker-0", JournalDir: b.TempDir(),
					Logger: hclog.NewNullLogger()})
				go s.Run(context.Background())
				start := time.Now()
				hotEl, hotOps := hotRun(b, s, ops, nil)
				duringHot := s.Stats().Written
				f, err := s.Close(context.Background())
				el := time.Since(start)
				// Rows the streamer could not keep (spill queue full) are
				// a measured shortfall, reported as lost, not a crash of
				// the suite; anything else unaccounted for is a bug.
				stats := s.Stats()
				if f.Offered != hotOps || f.Written+f.NotWritten != hotOps || f.NotWritten != stats.Dropped {
					b.Fatalf("final %+v, %v; executor counted %d ops, stats %+v", f, err, hotOps, stats)
				}
				if err != nil {
					b.Logf("close: %v", err)
				}
				base, hot := float64(baseOps)/baseEl.Seconds(), float64(hotOps)/hotEl.Seconds()
				b.ReportMetric(float64(f.Written)/el.Seconds(), "rows/s")
				b.ReportMetric(float64(duringHot)/hotEl.Seconds(), "rows/s_hot")
				b.ReportMetric(hot, "hot_ops/s")
				b.ReportMetric(base, "base_ops/s")
				b.ReportMetric(hot/base, "hot_ratio")
				b.ReportMetric(float64(stats.Spilled), "spilled")
				b.ReportMetric(float64(f.NotWritten), "lost_rows")
				b.ReportMetric(float64(stats.FlushP99.Microseconds())/1000, "flush-p99-ms")
			}
		})
	}
}

// vmRSS reads the resident set size from /proc/self/status (0 when it
// cannot).
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkMemoryRSS runs FBCTL_BENCH_MEMORY_OPS (10 million) operations of
// the executor against the no-op target with a streamer as its sink (every
// operation offered, a writer that discards) and samples the process RSS
// every 1/20 of the run: rss_early_MB is the highest sample in the first
// quarter, rss_peak_MB the highest overall, rss_start_MB before the run;
// lost_rows counts records the streamer dropped (both queues full).
// Run it alone (-bench '^BenchmarkMemoryRSS$'): RSS is the whole process's.
func BenchmarkMemoryRSS(b *testing.B) {
	n := envInt64("FBCTL_BENCH_MEMORY_OPS", 10_000_000)
	for range b.N {
		runtime.GC()
		startRSS := vmRSS()
		w := newMemWriter()
		w.keep = false
		s := New(Options{Store: w, RunID: "0123456789abcdef0123456789abcdef", WorkerID: "worker-0",
			JournalDir: b.TempDir(), Logger: hclog.NewNullLogger()})
		go s.Run(context.Background())
		var early, peak uint64
		next := n / 20
		el, got := hotRun(b, s, n, func(issued int64) {
			if issued < next {
				return
			}
			rss := vmRSS()
			if next <= n/4 {
				early = max(early, rss)
			}
			peak = max(peak, rss)
			next += n / 20
		})
		peak = max(peak, vmRSS())
		f, err := s.Close(context.Background())
		// The op source stops the phase at its n-th operation; the other
		// three sessions may each be past their stop check already and run
		// one more. Every operation run must reach the streamer.
		if got < n || got > n+3 || f.Offered != got || f.Written+f.NotWritten != got {
			b.Fatalf("final %+v, %v; executor counted %d of %d ops", f, err, got, n)
		}
		if err != nil {
			b.Logf("close: %v", err) // rows dropped: reported as lost_rows
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(n)/el.Seconds(), "ops/s")
		b.ReportMetric(float64(startRSS)/1e6, "rss_start_MB")
		b.ReportMetric(float64(early)/1e6, "rss_early_MB")
		b.ReportMetric(float64(peak)/1e6, "rss_peak_MB")
		b.ReportMetric(float64(ms.HeapInuse)/1e6, "heap_end_MB")
		b.ReportMetric(float64(s.Stats().Spilled), "spilled")
		b.ReportMetric(float64(f.NotWritten), "lost_rows")
	}
}
