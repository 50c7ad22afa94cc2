package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgHCL reads a Postgres table; %[1]s is the DSN, %[2]s the phases.
const pgHCL = `
connection "postgres" "t" {
  dsn = %[1]q
}

template "kv" {
  connection = connection.postgres.t
  table      = "kv"
  query "get" {
    kind   = "point_lookup"
    weight = 1
    sql    = "SELECT v FROM kv WHERE k = ?"
    args   = [uniform(1, 1000)]
  }
}

scenario "pg" {
  template = template.kv
  setup {
    sql = [
      "DROP TABLE IF EXISTS kv",
      "CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL)",
      "INSERT INTO kv SELECT i, 'v' || i FROM generate_series(1, 1000) AS i",
    ]
  }
%[2]s
}
`

// pgFixture plans pgHCL on a fresh database of srv, with the results in an
// SQLite store.
func pgFixture(t *testing.T, srv *pgtest.Server, phases string) *fixture {
	t.Helper()
	dsn := pgtest.FreshDatabaseOn(t, srv)
	cfg, diags := dsl.LoadSources(map[string][]byte{"pg.fb.hcl": []byte(fmt.Sprintf(pgHCL, dsn, phases))}, dsl.LoadOptions{})
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
	return &fixture{cfg: cfg, plan: plan.Runs[0], st: st}
}

func pgOptions(t *testing.T, f *fixture) Options {
	opts := f.fastOptions(t)
	opts.Targets = map[string]TargetFactory{dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, qs []executor.QuerySpec, init []string, n int) (NativeTarget, error) {
		return pgtarget.Open(ctx, c, qs, init, int32(n))
	}}
	opts.Classifiers = map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify}
	return opts
}

func TestOpenPhaseQPSOnPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			f := pgFixture(t, srv, fmt.Sprintf(`
  phase "rate" {
    duration        = "1s"
    rate            = 200
    max_connections = 64
    workers         = %d
  }
`, workers))
			out, err := Apply(context.Background(), f.plan, f.cfg, pgOptions(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != store.RunCompleted || out.Parent.Errors != 0 {
				t.Fatalf("status %s (%s), %d errors", out.Status, out.FailureReason, out.Parent.Errors)
			}
			checkOpenWindow(t, out, "rate", 200, time.Second, workers)
		})
	}
}

// A server that takes 20 clients serves an open phase allowed 600
// sessions when its load needs a few: sessions grow on demand, and the
// peak is reported. A plan that pre-opens more than the server takes is
// refused before anything is written.
func TestOpenPhaseFitsAServerWithFewConnections(t *testing.T) {
	srv := pgtest.SharedWith(t, pgtest.Options{Settings: map[string]string{"max_connections": "20", "superuser_reserved_connections": "2"}})
	f := pgFixture(t, srv, `
  phase "rate" {
    duration        = "1s"
    rate            = 200
    max_connections = 600
    workers         = 2
  }
`)
	opts := CapacityOptions{Limits: map[string]target.CapacityFunc{dsl.ConnPostgres: pgtarget.Capacity}}
	warnings, err := CheckCapacity(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "up to 604 sessions on postgres.t") {
		t.Fatalf("warnings %q", warnings)
	}
	out, err := Apply(context.Background(), f.plan, f.cfg, pgOptions(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s (%s)", out.Status, out.FailureReason)
	}
	ph := out.Phases[0]
	// Under the race detector statements are slow enough that 200 ops/s
	// needs more sessions than the server has: the phase goes on, and each
	// session it could not open is counted in its own class, never as a
	// failed operation. Without it the load needs a few sessions and none fails.
	if raceEnabled {
		if out.Parent.Errors != ph.SessionErrors || !strings.Contains(string(out.Parent.ErrorsJSON), `"session_open"`) && ph.SessionErrors > 0 {
			t.Fatalf("errors %d, session errors %d: %s", out.Parent.Errors, ph.SessionErrors, out.Parent.ErrorsJSON)
		}
	} else if out.Parent.Errors != 0 || ph.SessionErrors != 0 || ph.PeakSessions > 16 {
		t.Fatalf("errors %d, peak sessions %d, %d could not be opened: %s", out.Parent.Errors, ph.PeakSessions, ph.SessionErrors, out.Parent.ErrorsJSON)
	}
	if ph.PeakSessions < 2 || ph.PeakSessions > 18 {
		t.Fatalf("peak sessions %d on a server with 18 slots", ph.PeakSessions)
	}
	checkOpenWindow(t, out, "rate", 200, time.Second, 2)

	// Pre-opening 40 sessions cannot fit in 18 slots: refused with the
	// numbers, and nothing is written.
	big := pgFixture(t, srv, `
  phase "rate" {
    duration        = "1s"
    rate            = 200
    connections     = 40
    max_connections = 600
  }
`)
	_, err = CheckCapacity(context.Background(), big.plan, big.cfg, opts)
	var ce *CapacityError
	if !errors.As(err, &ce) || ce.Need != 43 || ce.Capacity.Max != 20 || ce.Capacity.Reserved != 2 ||
		!strings.Contains(err.Error(), "open 40 sessions before they start") {
		t.Fatalf("CheckCapacity = %v", err)
	}
}
