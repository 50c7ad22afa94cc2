package run

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// scalePgHCL: %[1]s the target DSN, %[2]d sessions over %[3]d workers for
// %[4]s, each session pausing %[5]s between operations.
const scalePgHCL = `
connection "postgres" "t" {
  dsn = %[1]q
}

template "kv" {
  connection = connection.postgres.t
  table      = "kv"
  think_time = %[5]q
  query "get" {
    kind   = "point_lookup"
    sql    = "SELECT v FROM kv WHERE k = ?"
    args   = [uniform(1, 10000)]
  }
}

scenario "scale" {
  template = template.kv
  setup {
    sql = [
      "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text NOT NULL)",
      "INSERT INTO kv SELECT i, 'v' || i FROM generate_series(1, 10000) AS i ON CONFLICT DO NOTHING",
    ]
  }
  phase "scale" {
    duration    = %[4]q
    connections = %[2]d
    workers     = %[3]d
  }
}
`

// BenchmarkScalePostgres runs FBCTL_BENCH_SCALE_WORKERS (50) in-process
// workers × FBCTL_BENCH_SCALE_CONNS (100) sessions each against a real
// Postgres (started here with max_connections to fit), with the results
// store on the same server, for FBCTL_BENCH_SCALE_SECONDS (30); each
// session pauses FBCTL_BENCH_SCALE_THINK (100ms) between operations, so
// the box drives every session without being the bottleneck. It reports
// the oldest heartbeat seen while the phase ran, whether every child was
// merged, and ops/s.
func BenchmarkScalePostgres(b *testing.B) {
	workers := envInt("FBCTL_BENCH_SCALE_WORKERS", 50)
	perWorker := envInt("FBCTL_BENCH_SCALE_CONNS", 100)
	secs := envInt("FBCTL_BENCH_SCALE_SECONDS", 30)
	think := os.Getenv("FBCTL_BENCH_SCALE_THINK")
	if think == "" {
		think = "100ms"
	}
	sessions := workers * perWorker
	srv := pgtest.SharedWith(b, pgtest.Options{Settings: map[string]string{
		"max_connections": fmt.Sprint(sessions + 200), "shared_buffers": "128MB", "max_wal_size": "1GB"}})
	dsn := pgtest.FreshDatabaseOn(b, srv)
	for range b.N {
		cfg, diags := dsl.LoadSources(map[string][]byte{"scale.fb.hcl": []byte(fmt.Sprintf(scalePgHCL, dsn, sessions, workers, fmt.Sprintf("%ds", secs), think))}, dsl.LoadOptions{})
		if diags.HasErrors() {
			b.Fatalf("load: %v", diags)
		}
		plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
		if diags.HasErrors() {
			b.Fatalf("plan: %v", diags)
		}
		st, err := store.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.ApplySchema(context.Background()); err != nil {
			b.Fatal(err)
		}
		runID := store.NewID()
		watch := &heartbeatWatch{st: st, runID: runID, every: 250 * time.Millisecond}
		opts := Options{Store: st, Logger: hclog.NewNullLogger(), Hook: watch, RunID: runID, JoinTimeout: 5 * time.Minute}
		f := &fixture{st: st}
		opts.Targets = pgOptions(&testing.T{}, f).Targets
		out, err := Apply(context.Background(), plan.Runs[0], cfg, opts)
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		if out.Status != store.RunCompleted {
			b.Fatalf("status %s: %s", out.Status, out.FailureReason)
		}
		var phase results.PhaseSummary
		for _, p := range out.Phases {
			if p.Name == "scale" {
				phase = p
			}
		}
		var childTotal int64
		for _, c := range out.Children {
			childTotal += c.Total
		}
		merged := len(out.Children) == workers && phase.Workers == workers && childTotal == out.Parent.Total && out.Parent.Total > 0
		watch.mu.Lock()
		maxAge, maxStale := watch.maxAge, watch.maxStale
		watch.mu.Unlock()
		b.Logf("Postgres: %d workers × %d sessions (think %s): %d ops in %.1f s (%.0f ops/s), peak sessions %d, %d children merged (child sum %d, parent %d), heartbeat max age %v, max stale %d",
			workers, perWorker, think, phase.Counts.Total, phase.Seconds, phase.QPS, phase.PeakSessions, len(out.Children), childTotal,
			out.Parent.Total, maxAge.Round(time.Millisecond), maxStale)
		b.ReportMetric(phase.QPS, "ops/s")
		b.ReportMetric(float64(phase.PeakSessions), "sessions")
		b.ReportMetric(maxAge.Seconds(), "hb_max_age_s")
		b.ReportMetric(float64(maxStale), "stale_workers")
		b.ReportMetric(map[bool]float64{true: 1}[merged], "merged_ok")
	}
}

// BenchmarkLeaseFailover measures, on SQLite and on Postgres, how long a
// run lease renewal takes (p50, p99 over FBCTL_BENCH_LEASE_RENEWALS, 200)
// and the take-over time: from the holder's last renewal to a standby
// (polling every TTL / 10 as fbctl standby does) holding the lease, with a
// 2 s TTL.
func BenchmarkLeaseFailover(b *testing.B) {
	renewals := envInt("FBCTL_BENCH_LEASE_RENEWALS", 200)
	stores := map[string]func() string{
		"sqlite":   func() string { return "sqlite:" + b.TempDir() + "/store.db" },
		"postgres": func() string { return pgtest.FreshDatabase(b) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				ctx := context.Background()
				st, err := store.Open(ctx, stores[name](), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.ApplySchema(ctx); err != nil {
					b.Fatal(err)
				}
				r, err := st.CreateRun(ctx, store.Run{ScenarioName: "lease", WorkersExpected: 1})
				if err != nil {
					b.Fatal(err)
				}
				const ttl = 2 * time.Second
				l, err := st.AcquireRunLease(ctx, r.ID, "leader", ttl, false)
				if err != nil {
					b.Fatal(err)
				}
				lat := make([]time.Duration, 0, renewals)
				for range renewals {
					t0 := time.Now()
					if err := l.Renew(ctx); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				last := time.Now()
				l.Close() // the leader dies
				var took time.Duration
				for {
					if s, err := st.RunLeaseState(ctx, r.ID); err == nil && s.Expired() {
						if nl, err := st.AcquireRunLease(ctx, r.ID, "standby", ttl, false); err == nil {
							took = time.Since(last)
							nl.Close()
							break
						}
					}
					time.Sleep(ttl / 10)
				}
				st.Close()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
				b.Logf("%s: renewal p50 %v p99 %v; take-over %v after the last renewal (TTL %v)", name, p50, p99, took.Round(time.Millisecond), ttl)
				b.ReportMetric(float64(p50.Microseconds()), "renew_p50_us")
				b.ReportMetric(float64(p99.Microseconds()), "renew_p99_us")
				b.ReportMetric(took.Seconds(), "takeover_s")
			}
		})
	}
}
