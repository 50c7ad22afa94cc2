package pgtarget

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkSelectPaths runs pgbench -S's lookup at benchConns connections
// four ways, for scripts/bench-pgbench.sh's counting round (system calls
// and context switches per operation, taken by perf or strace around one
// sub-benchmark) and for a side-by-side of the client's CPU per operation:
//
//	bare-pgx   benchConns goroutines, each a pgx.Conn doing QueryRow(...).Scan:
//	           the bare loop, no executor, no recording
//	pgx        the executor on this target with Config.Pgx: operations on
//	           pgx.Conn (the path before the lean one)
//	lean-goroutines  the lean path with one goroutine per session on Go's
//	           network poller (Config.NoMultiplex: the default before raw.go)
//	lean       the executor on this target's default path (lean.go, raw.go:
//	           sessions multiplexed through engine/fdpoll)
//	mux        pgbench's design in Go, no executor (benchMux, Linux only)
//
// Run with -benchtime=Nx; FBCTL_BENCH_DSN points it at a pgbench -i
// database.
func BenchmarkSelectPaths(b *testing.B) {
	dsn, rows := benchDatabase(b)
	b.Run("bare-pgx", func(b *testing.B) {
		ctx := context.Background()
		conns := make([]*pgx.Conn, benchConns)
		for i := range conns {
			c, err := pgx.Connect(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(ctx)
			conns[i] = c
		}
		var n atomic.Int64
		runLoops(b, len(conns), func(i int) error {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			var bal int32
			for n.Add(1) <= int64(b.N) {
				if err := conns[i].QueryRow(ctx, selectQuery[0].SQL, 1+rng.Int64N(rows)).Scan(&bal); err != nil {
					return err
				}
			}
			return nil
		})
	})
	for _, p := range []struct {
		name       string
		pgx, nomux bool
	}{{"pgx", true, false}, {"lean-goroutines", false, true}, {"lean", false, false}} {
		b.Run(p.name, func(b *testing.B) {
			benchNative(b, Config{DSN: dsn, Queries: selectQuery, MaxConns: benchConns, Pgx: p.pgx, NoMultiplex: p.nomux}, rows)
		})
	}
	if benchMuxer != nil {
		b.Run("mux", func(b *testing.B) { benchMuxer(b, dsn, rows) })
	}
}

// benchMuxer is benchMux where it is built (Linux).
var benchMuxer func(b *testing.B, dsn string, rows int64)

// runLoops times loops goroutines running loop(0…loops-1) and reports
// ops/s and CPU per operation for b.N operations; a loop's error fails
// the benchmark. The bare loops (no executor) of BenchmarkSelectPaths.
func runLoops(b *testing.B, loops int, loop func(i int) error) {
	var wg sync.WaitGroup
	errs := make(chan error, loops)
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	for i := range loops {
		wg.Go(func() {
			if err := loop(i); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	report(b, wall, cpu)
}
