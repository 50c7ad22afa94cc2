package run

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// On a real Postgres: the run's fingerprint (version and settings) is
// stored, the cache warm-up node measures its curve before the phase, and
// every benchmark session carries the run's tag in application_name.
func TestPostgresFingerprintCacheWarmupAndApplicationName(t *testing.T) {
	srv := pgtest.Shared(t)
	f := pgFixture(t, srv, `
  cache_warmup {
    max_duration = "600ms"
    window       = "100ms"
    tolerance    = 0.5
  }
  phase "steady" {
    duration    = "700ms"
    connections = 3
  }
`)
	dsn := f.cfg.Connections["postgres.t"].Get("dsn")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, stop := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		names = map[string]bool{}
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			rows, err := db.QueryContext(ctx, "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND (application_name LIKE 'flakebench:run=%' OR application_name LIKE 'fb:r=%')")
			if err == nil {
				for rows.Next() {
					var n string
					rows.Scan(&n)
					mu.Lock()
					names[n] = true
					mu.Unlock()
				}
				rows.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out, err := Apply(context.Background(), f.plan, f.cfg, pgOptions(t, f))
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || out.Parent.Errors != 0 || out.Parent.Total == 0 {
		t.Fatalf("status %s (%s), %d ops, %d errors", out.Status, out.FailureReason, out.Parent.Total, out.Parent.Errors)
	}
	fps, err := f.st.ListRunFingerprints(context.Background(), out.RunID)
	if err != nil || len(fps) != 1 {
		t.Fatalf("fingerprints %+v, %v", fps, err)
	}
	s := fps[0].Settings
	if fps[0].Backend != "postgres" || !strings.HasPrefix(s["version"], "PostgreSQL") || s["server_version"] == "" ||
		s["shared_buffers"] == "" || s["max_connections"] == "" {
		t.Errorf("fingerprint %v", s)
	}
	if curve := strings.Split(s["cache_warmup.p50_us_per_window"], ","); len(curve) < 2 || s["cache_warmup.stable"] == "" {
		t.Errorf("cache warm-up: %q stable=%q", s["cache_warmup.p50_us_per_window"], s["cache_warmup.stable"])
	}
	mu.Lock()
	defer mu.Unlock()
	var warm, steady bool
	for n := range names {
		tag, ok := target.ParseQueryTag(n)
		if !ok || tag.Run != out.RunID {
			continue
		}
		warm = warm || tag.Worker == "orchestrator" // the warm-up session; its phase does not fit in 63 bytes
		steady = steady || (tag.Worker == "worker-0" && tag.Phase == "steady")
	}
	if !warm || !steady {
		t.Errorf("application_name of the run's sessions: %v (run %s): warm-up %v, phase %v", names, out.RunID, warm, steady)
	}
}
