package pgtarget

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// benchConns is pgbench's -c in scripts/bench-pgbench.sh.
const benchConns = 8

// selectOps hands out pgbench -S's lookup with a uniform aid, and cancels
// the phase after limit operations.
type selectOps struct {
	n      *atomic.Int64
	limit  int64
	rows   int64
	rng    *rand.Rand
	cancel context.CancelFunc
}

func (s *selectOps) Next() (int, []any) {
	if s.n.Add(1) == s.limit {
		s.cancel()
	}
	return 0, []any{1 + s.rng.Int64N(s.rows)}
}

// benchDatabase returns FBCTL_BENCH_DSN (a `pgbench -i` database) and its
// account count, or a fresh pgtest database with 100000 accounts.
func benchDatabase(b *testing.B) (string, int64) {
	if dsn := os.Getenv("FBCTL_BENCH_DSN"); dsn != "" {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, "SELECT max(aid) FROM pgbench_accounts").Scan(&n); err != nil {
			b.Fatal(err)
		}
		return dsn, n
	}
	dsn := pgtest.FreshDatabase(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
		INSERT INTO pgbench_accounts SELECT i, 1, 0, '' FROM generate_series(1, 100000) i; ANALYZE pgbench_accounts`); err != nil {
		b.Fatal(err)
	}
	return dsn, 100000
}

var selectQuery = []executor.QuerySpec{{SQL: "SELECT abalance FROM pgbench_accounts WHERE aid = $1"}}

// runSelect runs the closed executor with benchConns connections on target
// until ops operations, recording every one into histograms.
func runSelect(b *testing.B, tg executor.Target, rows, ops int64) (time.Duration, time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	rec := executor.NewRecorder(histogram.NewRegistry(), []executor.QueryInfo{{Name: "select", Kind: "point_lookup"}}, executor.RecorderOptions{Classify: Classify})
	pr := rec.Phase("bench", false)
	env := executor.Env{
		Target: tg,
		Ops: func(conn int) (executor.OpSource, error) {
			return &selectOps{n: &n, limit: ops, rows: rows, rng: rand.New(rand.NewPCG(uint64(conn), 1)), cancel: cancel}, nil
		},
		Recorder: pr,
	}
	cpu0 := cpuTime()
	start := time.Now()
	ex := &executor.Closed{Sessions: benchConns}
	if err := ex.Open(ctx, env); err != nil {
		b.Fatal(err)
	}
	res, err := ex.Run(ctx, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if res.Counts.Errors > 0 {
		b.Fatalf("%d errors: %+v", res.Counts.Errors, pr.Errors())
	}
	return time.Since(start), cpuTime() - cpu0
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(b *testing.B, wall, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/wall.Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkSelectOnly compares the two Postgres targets on pgbench -S's
// workload at 8 connections: database/sql over pgx's stdlib driver
// (executor.SQLTarget, what the run engine uses) and this package's native
// pool. Run with -benchtime=200000x; set FBCTL_BENCH_DSN to a pgbench -i
// database to measure against the same server as pgbench.
func BenchmarkSelectOnly(b *testing.B) {
	dsn, rows := benchDatabase(b)
	b.Run("database-sql", func(b *testing.B) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxIdleConns(benchConns + 2)
		b.ResetTimer()
		wall, cpu := runSelect(b, &executor.SQLTarget{DB: db, Queries: selectQuery}, rows, int64(b.N))
		report(b, wall, cpu)
	})
	b.Run("pgx-native", func(b *testing.B) {
		benchNative(b, Config{DSN: dsn, Queries: selectQuery, MaxConns: benchConns}, rows)
	})
}

// benchNative runs b.N selects on a native target opened with cfg and
// reports them.
func benchNative(b *testing.B, cfg Config, rows int64) {
	tg, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tg.Close()
	b.ResetTimer()
	wall, cpu := runSelect(b, tg, rows, int64(b.N))
	report(b, wall, cpu)
}
