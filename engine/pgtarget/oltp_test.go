package pgtarget_test

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/flakebench/fbctl/engine/results"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/hashicorp/go-hclog"
)

// The shipped scenarios/postgres_oltp.fb.hcl runs end to end on a real
// server, with its results stored in Postgres too: setup creates and loads
// fb_orders, the closed and the open phase run the four-query mix without
// errors, teardown drops the table, and pg_stat_statements' window deltas
// see the same statements. Durations are cut to seconds in the plan; the
// table size and connections are the shipped defaults (setup once
// overflowed int4 at its default 100000 rows).
func TestPostgresOLTPScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.SharedWith(t, pgtest.Options{Preload: []string{pgstats.Extension}})
	targetDSN := pgtest.FreshDatabaseOn(t, srv)
	storeDSN := pgtest.FreshDatabaseOn(t, srv)
	u, err := url.Parse(targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	if err := srv.CreateExtension(ctx, dbName, pgstats.Extension); err != nil {
		t.Fatal(err)
	}

	cfg, diags := dsl.Load([]string{filepath.Join("..", "..", "scenarios", "postgres_oltp.fb.hcl")}, dsl.LoadOptions{
		Vars: []string{"pg_host=127.0.0.1", fmt.Sprintf("pg_port=%d", srv.Port()), "pg_user=" + pgtest.User,
			"pg_database=" + dbName, "pg_sslmode=disable", "pg_rate=300"}, // pg_rows and pg_connections: the defaults
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	// Shorter than shipped, so the test takes seconds.
	sc := cfg.Scenarios["postgres_oltp"]
	sc.Warmup.Duration = 300 * time.Millisecond
	for _, p := range sc.Phases {
		p.Duration = 1500 * time.Millisecond
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{Scenarios: []string{"postgres_oltp"}})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	rp := plan.Runs[0]

	st, err := store.Open(ctx, storeDSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	tdb, err := sql.Open("pgx", targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer tdb.Close()
	window, err := pgstats.Begin(ctx, tdb, 0)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	out, err := run.Apply(ctx, rp, cfg, run.Options{Store: st, Logger: hclog.NewNullLogger(),
		HeartbeatEvery: 100 * time.Millisecond, PollEvery: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
		Targets: map[string]run.TargetFactory{dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, qs []executor.QuerySpec, init []string, n int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, qs, init, int32(n))
		}},
		Classifiers: map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("apply took %s", time.Since(t0))
	report, err := window.End(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("run %s: %s", out.Status, out.FailureReason)
	}
	if out.Parent.Errors != 0 || out.Parent.Total == 0 || out.Parent.Reads == 0 || out.Parent.Writes == 0 {
		t.Fatalf("parent result: %d ops, %d errors, %d reads, %d writes", out.Parent.Total, out.Parent.Errors, out.Parent.Reads, out.Parent.Writes)
	}
	phases := map[string]results.PhaseSummary{}
	for _, p := range out.Phases {
		phases[p.Name] = p
	}
	if phases["closed"].Counts.Total == 0 || phases["open"].Counts.Total == 0 || phases["open"].Model != dsl.ModelOpen {
		t.Fatalf("phases %+v", out.Phases)
	}
	// Each measurement phase carries the server's own view of it.
	for _, name := range []string{"closed", "open"} {
		ss := phases[name].ServerStats
		if ss == nil || !ss.Available || len(ss.Statements) == 0 {
			t.Fatalf("phase %s: server stats %+v", name, ss)
		}
		var calls int64
		for _, st := range ss.Statements {
			calls += st.Calls
		}
		if calls < phases[name].Counts.Total {
			t.Errorf("phase %s: server counted %d calls, the client %d operations", name, calls, phases[name].Counts.Total)
		}
	}
	ops := map[string]int64{}
	for _, q := range out.Queries.Queries {
		ops[q.Query] = q.Ops
		if q.Ops == 0 || q.Errors != 0 {
			t.Errorf("query %s: %d ops, %d errors", q.Query, q.Ops, q.Errors)
		}
	}
	if len(ops) != 4 {
		t.Fatalf("queries measured: %v", ops)
	}

	// Stored in Postgres and read back.
	parent, err := st.GetTestResult(ctx, out.RunID)
	if err != nil || parent.Total != out.Parent.Total {
		t.Fatalf("stored parent result: %+v, %v", parent, err)
	}
	// Teardown dropped the table.
	var exists bool
	if err := tdb.QueryRowContext(ctx, "SELECT to_regclass('fb_orders') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("fb_orders after teardown: exists=%v err=%v", exists, err)
	}

	// The server saw at least the measured lookups (the window also holds
	// the warmup and pool sampling).
	if !report.Available {
		t.Fatalf("pg_stat_statements: %s", report.Reason)
	}
	var lookups, inserts int64
	for _, s := range report.Statements {
		switch {
		case strings.HasPrefix(s.Query, "SELECT id, customer_id, status, amount, note FROM fb_orders WHERE id = $1"):
			lookups += s.Calls
		case strings.HasPrefix(s.Query, "INSERT INTO fb_orders (id, customer_id"):
			inserts += s.Calls
			if s.WALBytes == 0 {
				t.Errorf("inserts wrote no WAL: %+v", s)
			}
		}
	}
	if lookups < ops["lookup"] || inserts < ops["new_order"] {
		t.Fatalf("server counted %d lookups, %d inserts; client measured %d, %d", lookups, inserts, ops["lookup"], ops["new_order"])
	}
}
