package run

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
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
		!strings.HasSuffix(s["shared_buffers"], "B") || s["max_connections"] == "" {
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

// hotRowHCL updates one row from several sessions; an AFTER UPDATE trigger
// holds each row lock for 30 ms, so the other sessions wait for it.
const hotRowHCL = `
connection "postgres" "t" {
  dsn = %q
}

template "hot" {
  connection = connection.postgres.t
  table      = "hot"
  query "bump" {
    kind = "update"
    sql  = "UPDATE hot SET v = v + 1 WHERE k = 1"
  }
}

scenario "hot" {
  template = template.hot
  setup {
    sql = [
      "DROP TABLE IF EXISTS hot",
      "CREATE TABLE hot (k int PRIMARY KEY, v int NOT NULL)",
      "INSERT INTO hot VALUES (1, 0)",
      "CREATE OR REPLACE FUNCTION hot_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$",
      "CREATE TRIGGER hot_slow AFTER UPDATE ON hot FOR EACH ROW EXECUTE FUNCTION hot_slow()",
    ]
  }
  phase "contended" {
    duration    = "1200ms"
    connections = 4
  }
}
`

// A hot-row update workload on a real Postgres: the sampler sees the run's
// sessions waiting for a transaction lock, stores the samples, and records
// the lock waits (the update, the lock, the blocking pid, how long).
func TestPostgresSamplesAndLockWaitsOnAHotRow(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := pgtest.FreshDatabaseOn(t, srv)
	cfg, diags := dsl.LoadSources(map[string][]byte{"hot.fb.hcl": []byte(fmt.Sprintf(hotRowHCL, dsn))}, dsl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{cfg: cfg, plan: plan.Runs[0], st: st}
	opts := pgOptions(t, f)
	opts.ServerSampleEvery = 50 * time.Millisecond
	var live liveServer
	opts.Hook = &live
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || out.Parent.Errors != 0 || out.Parent.Total == 0 {
		t.Fatalf("status %s (%s), %d ops, %d errors", out.Status, out.FailureReason, out.Parent.Total, out.Parent.Errors)
	}
	samples, err := st.ListServerSamples(context.Background(), out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var waiting, times = int64(0), map[time.Time]bool{}
	for _, s := range samples {
		times[s.SampledAt] = true
		if s.Target != "postgres.t" || s.Phase != "contended" {
			t.Errorf("sample %+v: want target postgres.t, phase contended", s)
		}
		if s.State == "waiting" && strings.HasPrefix(s.Kind, "Lock:") {
			waiting = max(waiting, s.Sessions)
		}
		if s.Sessions > 4 {
			t.Errorf("sample counts %d sessions; the phase has 4 (the sampler's own must not count)", s.Sessions)
		}
	}
	if len(times) < 3 || waiting < 1 {
		t.Fatalf("%d samples at %d instants, at most %d sessions waiting for a lock: %+v", len(samples), len(times), waiting, samples)
	}
	waits, err := st.ListLockWaits(context.Background(), out.RunID)
	if err != nil || len(waits) == 0 {
		t.Fatalf("lock waits %+v, %v", waits, err)
	}
	for _, w := range waits {
		if w.WaiterQuery != "UPDATE hot SET v = v + 1 WHERE k = 1" || w.Blocker == "" || w.LockType == "" || w.Phase != "contended" || w.WaitUS < 0 {
			t.Fatalf("lock wait %+v", w)
		}
	}
	if !live.sawServer() {
		t.Error("the live view never carried a server sample")
	}
}

// liveServer is a hook that notes whether Progress carried server samples.
type liveServer struct {
	NopHook
	mu  sync.Mutex
	saw bool
}

func (h *liveServer) Progress(p Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.saw = h.saw || len(p.Server) > 0
}

func (h *liveServer) sawServer() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.saw
}
