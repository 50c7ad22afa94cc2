package stream

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/noopdb"
	"github.com/hashicorp/go-hclog"
)

// BenchmarkOffer measures the hot path: sampling decision and hand-off,
// from parallel goroutines, with the flusher draining into a writer that
// discards.
func BenchmarkOffer(b *testing.B) {
	for _, rate := range []float64{1, 0.1} {
		b.Run("rate="+strconv.FormatFloat(rate, 'g', -1, 64), func(b *testing.B) {
			w := newMemWriter()
			w.keep = false
			s := New(Options{Store: w, RunID: "0123456789abcdef0123456789abcdef", WorkerID: "worker-0",
				BufferRows: 1 << 16, SpillRows: 1 << 16, JournalDir: b.TempDir(), Sampler: Sampler{Rate: rate}})
			go s.Run(context.Background())
			var seq atomic.Int64
			r, _ := gen(1, 0)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rec := r
				for pb.Next() {
					rec.ExecutionSeq = seq.Add(1)
					s.Offer(rec)
				}
			})
			b.StopTimer()
			f, _ := s.Close(context.Background())
			b.ReportMetric(float64(f.NotWritten), "not-written")
		})
	}
}

// benchStore streams b.N records into st as fast as the flusher writes
// them and reports rows/s from the first Offer to the end of Close.
func benchStore(b *testing.B, st *store.Store) {
	for _, flushRows := range []int{1000, 5000} {
		b.Run("flush="+strconv.Itoa(flushRows), func(b *testing.B) {
			s := New(Options{Store: st, RunID: store.NewID(), WorkerID: "worker-0", FlushRows: flushRows,
				JournalDir: b.TempDir(), Logger: hclog.NewNullLogger()})
			go s.Run(context.Background())
			b.ResetTimer()
			start := time.Now()
			for seq := int64(1); seq <= int64(b.N); seq++ {
				r, _ := gen(seq, 0)
				for !s.offerNoSpill(r) { // back off like a loaded worker rather than dropping
					time.Sleep(50 * time.Microsecond)
				}
			}
			f, err := s.Close(context.Background())
			el := time.Since(start)
			b.StopTimer()
			if err != nil || f.Written != int64(b.N) {
				b.Fatalf("final %+v, %v", f, err)
			}
			b.ReportMetric(float64(f.Written)/el.Seconds(), "rows/s")
			b.ReportMetric(float64(s.Stats().FlushP99.Microseconds())/1000, "flush-p99-ms")
		})
	}
}

// offerNoSpill offers only when the buffer has room (benchmarks of the
// write path, where the journal would hide the store's speed).
func (s *Streamer) offerNoSpill(r executor.Record) bool {
	if s.buf.len() >= s.buf.cap() {
		return false
	}
	return s.Offer(r)
}

func BenchmarkStreamerSQLite(b *testing.B) { benchStore(b, openSQLite(b)) }

func BenchmarkStreamerPostgres(b *testing.B) { benchStore(b, openPostgres(b)) }

// countedOps sends query 0 until limit operations, then stops the phase.
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

// memoryRun runs n operations of the closed executor (4 connections)
// against the no-op target with a streamer as the Sink and a writer that
// discards, and samples the heap in use every n/20 operations.
func memoryRun(tb testing.TB, n int64) (maxEarly, maxLate uint64, st Stats, el time.Duration) {
	w := newMemWriter()
	w.keep = false
	s := New(Options{Store: w, RunID: "0123456789abcdef0123456789abcdef", WorkerID: "worker-0",
		JournalDir: tb.TempDir(), Logger: hclog.NewNullLogger()})
	go s.Run(context.Background())
	var ms runtime.MemStats
	next := n / 20
	el, ops := hotRun(tb, s, n, func(issued int64) {
		if issued < next {
			return
		}
		runtime.ReadMemStats(&ms)
		if next <= n/4 {
			maxEarly = max(maxEarly, ms.HeapInuse)
		} else {
			maxLate = max(maxLate, ms.HeapInuse)
		}
		next += n / 20
	})
	f, err := s.Close(context.Background())
	if err != nil || f.Written != ops || f.Offered != ops {
		tb.Fatalf("final %+v, %v; executor counted %d ops", f, err, ops)
	}
	return maxEarly, maxLate, s.Stats(), el
}

// TestMemoryStaysFlat: a million operations of the executor against the
// no-op target keep the heap in use under 100 MB and flat, and every record
// is written (BenchmarkMemoryTenMillion runs 10 million).
func TestMemoryStaysFlat(t *testing.T) {
	n := int64(1_000_000)
	if testing.Short() || raceEnabled {
		n = 200_000
	}
	early, late, st, el := memoryRun(t, n)
	t.Logf("%d ops in %v: heap in use max %.1f MB in the first quarter, %.1f MB after; spilled %d, written %d",
		n, el.Round(time.Millisecond), float64(early)/1e6, float64(late)/1e6, st.Spilled, st.Written)
	if late > 100e6 {
		t.Fatalf("heap in use %.1f MB", float64(late)/1e6)
	}
	if late > early+32e6 {
		t.Fatalf("heap grows: %.1f MB early, %.1f MB late", float64(early)/1e6, float64(late)/1e6)
	}
}

// BenchmarkMemoryTenMillion reports heap in use after 10 million operations.
func BenchmarkMemoryTenMillion(b *testing.B) {
	for range b.N {
		early, late, st, el := memoryRun(b, 10_000_000)
		b.ReportMetric(1e7/el.Seconds(), "ops/s")
		b.ReportMetric(float64(early)/1e6, "heap-MB-early")
		b.ReportMetric(float64(late)/1e6, "heap-MB-max")
		b.ReportMetric(float64(st.Spilled), "spilled")
	}
}

// BenchmarkExecutorSink compares the closed executor against the no-op
// target without a sink and with a streamer as its sink (the hot path's
// cost in context); run with -count to interleave.
func BenchmarkExecutorSink(b *testing.B) {
	for _, withSink := range []bool{false, true} {
		b.Run(map[bool]string{false: "sink=none", true: "sink=stream"}[withSink], func(b *testing.B) {
			w := newMemWriter()
			w.keep = false
			s := New(Options{Store: w, RunID: "0123456789abcdef0123456789abcdef", WorkerID: "worker-0",
				JournalDir: b.TempDir(), Logger: hclog.NewNullLogger()})
			go s.Run(context.Background())
			var sink executor.Sink
			if withSink {
				sink = s
			}
			db := noopdb.Open(noopdb.Options{})
			defer db.Close()
			db.SetMaxIdleConns(4)
			rec := executor.NewRecorder(histogram.NewRegistry(), []executor.QueryInfo{{Name: "q", Kind: "read"}},
				executor.RecorderOptions{Sink: sink})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var issued atomic.Int64
			env := executor.Env{
				Target:   &executor.SQLTarget{DB: db, Queries: []executor.QuerySpec{{SQL: "SELECT 1"}}},
				Ops:      func(int) (executor.OpSource, error) { return countedOps{&issued, int64(b.N), cancel}, nil },
				Recorder: rec.Phase("steady", false),
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			ex := &executor.Closed{Sessions: 4}
			if err := ex.Open(ctx, env); err != nil {
				b.Fatal(err)
			}
			res, err := ex.Run(ctx, time.Now())
			el := time.Since(start)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			f, _ := s.Close(context.Background())
			if withSink && f.Written != res.Counts.Ops {
				b.Fatalf("final %+v, %d ops", f, res.Counts.Ops)
			}
			b.ReportMetric(float64(res.Counts.Ops)/el.Seconds(), "ops/s")
		})
	}
}

// openRun runs the open model at rate ops/s for d against the no-op
// target with sink (nil: none) and returns the operations done, the
// schedule lag's p99 (µs) and the process CPU per operation (µs, getrusage
// around the run: what the sink's goroutines spend is included).
func openRun(tb testing.TB, sink executor.Sink, rate float64, d time.Duration) (ops int64, lagP99 int64, cpuPerOp float64) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	db.SetMaxIdleConns(64)
	reg := histogram.NewRegistry()
	rec := executor.NewRecorder(reg, []executor.QueryInfo{{Name: "point_lookup", Kind: "read"}},
		executor.RecorderOptions{Sink: sink})
	env := executor.Env{
		Target:   &executor.SQLTarget{DB: db, Queries: []executor.QuerySpec{{SQL: "SELECT 1"}}},
		Ops:      func(int) (executor.OpSource, error) { return oneOp{}, nil },
		Recorder: rec.Phase("steady", false),
	}
	o := executor.NewConstant(rate, 64, 64, d)
	o.SpinWindow = executor.DefaultSpinWindow
	ctx := context.Background()
	if err := o.Open(ctx, env); err != nil {
		tb.Fatal(err)
	}
	c0 := cpuTime()
	res, err := o.Run(ctx, time.Now())
	cpu := cpuTime() - c0
	if err != nil {
		tb.Fatal(err)
	}
	lag := reg.Merged(func(k histogram.Key) bool { return k.Metric == histogram.MetricLag })
	return res.Counts.Ops, lag.ValueAtPercentile(99), float64(cpu.Microseconds()) / float64(max(res.Counts.Ops, 1))
}

type oneOp struct{}

func (oneOp) Next() (int, []any) { return 0, nil }

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngestOpenRate is BenchmarkIngestHotPath at a rate a real
// target allows: the open model at FBCTL_BENCH_INGEST_RATE (20,000) ops/s
// for FBCTL_BENCH_INGEST_SECONDS (5) on the no-op target, without a sink
// and then streaming every row into each store, alternating. At a rate
// the machine keeps up with, streaming cannot lower ops/s (the schedule
// sets it), so what it costs shows as schedule lag and CPU: hot_ratio is
// the operations done with the sink ÷ without, lag_p99 both ways, and
// cpu_us/op both ways (the difference is what storing a row costs the
// process, the store's own process aside).
func BenchmarkIngestOpenRate(b *testing.B) {
	rate := float64(envInt64("FBCTL_BENCH_INGEST_RATE", 20_000))
	d := time.Duration(envInt64("FBCTL_BENCH_INGEST_SECONDS", 5)) * time.Second
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			for range b.N {
				baseOps, baseLag, baseCPU := openRun(b, nil, rate, d)
				s := New(Options{Store: st, RunID: store.NewID(), WorkerID: "worker-0", JournalDir: b.TempDir(),
					Logger: hclog.NewNullLogger()})
				go s.Run(context.Background())
				c0 := cpuTime()
				hotOps, hotLag, hotCPU := openRun(b, s, rate, d)
				f, err := s.Close(context.Background())
				allCPU := cpuTime() - c0
				if err != nil || f.Offered != hotOps || f.Written != hotOps {
					b.Fatalf("final %+v, %v; executor counted %d ops", f, err, hotOps)
				}
				b.ReportMetric(float64(hotOps)/float64(baseOps), "hot_ratio")
				b.ReportMetric(float64(baseLag), "base_lag_p99_us")
				b.ReportMetric(float64(hotLag), "hot_lag_p99_us")
				b.ReportMetric(baseCPU, "base_cpu_us/op")
				b.ReportMetric(hotCPU, "hot_cpu_us/op")
				// Including the rows Close wrote after the run.
				b.ReportMetric(float64(allCPU.Microseconds())/float64(hotOps), "hot_cpu_us/op_incl_close")
				b.ReportMetric(float64(f.NotWritten), "lost_rows")
			}
		})
	}
}
