package pgtarget_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/hashicorp/go-hclog"
)

// The shipped pgbench scenario runs its init at setup and the TPC-B-like
// transaction at several connections on a real server; afterwards the
// balances are consistent: every table's balance sum equals the sum of
// the history's deltas, and there is one history row per committed
// transaction.
func TestPgbenchTPCBScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.Shared(t)
	targetDSN := pgtest.FreshDatabaseOn(t, srv)
	u, err := url.Parse(targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	cfg, diags := dsl.Load([]string{filepath.Join("..", "..", "scenarios", "pgbench_tpcb.fb.hcl")}, dsl.LoadOptions{
		Vars: []string{"pgbench_host=127.0.0.1", fmt.Sprintf("pgbench_port=%d", srv.Port()), "pgbench_user=" + pgtest.User,
			"pgbench_database=" + dbName, "pgbench_sslmode=disable", "pgbench_duration=1500ms"},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{Scenarios: []string{"pgbench_tpcb"}})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	st, err := store.Open(ctx, pgtest.FreshDatabaseOn(t, srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := run.Apply(ctx, plan.Runs[0], cfg, run.Options{Store: st, Logger: hclog.NewNullLogger(),
		HeartbeatEvery: 100 * time.Millisecond, PollEvery: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
		Targets: map[string]run.TargetFactory{dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, qs []executor.QuerySpec, init []string, n int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, qs, init, int32(n))
		}},
		Classifiers: map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("run %s: %s", out.Status, out.FailureReason)
	}
	if out.Parent.Total == 0 || out.Parent.Errors != 0 || out.Parent.Writes != out.Parent.Total {
		t.Fatalf("parent: %d ops, %d errors, %d writes", out.Parent.Total, out.Parent.Errors, out.Parent.Writes)
	}
	if len(out.Phases) != 1 || out.Phases[0].PeakSessions != 4 {
		t.Fatalf("phases %+v", out.Phases)
	}

	db, err := sql.Open("pgx", targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var history, deltas, accounts, tellers, branches int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(delta), 0),
		(SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches)
		FROM pgbench_history`).Scan(&history, &deltas, &accounts, &tellers, &branches); err != nil {
		t.Fatal(err)
	}
	if accounts != deltas || tellers != deltas || branches != deltas {
		t.Errorf("balances: accounts %d tellers %d branches %d, history deltas %d", accounts, tellers, branches, deltas)
	}
	// Every measured transaction committed one history row (setup wrote
	// none; there is no warmup).
	if history != out.Parent.Total {
		t.Errorf("history has %d rows, the run measured %d transactions", history, out.Parent.Total)
	}
}

// newTxTarget builds a pgtarget with one transaction query over fb_tx.
func newTxTarget(t *testing.T, dsn string, tx *executor.TxSpec) *pgtarget.Target {
	t.Helper()
	tgt, err := pgtarget.New(context.Background(), pgtarget.Config{DSN: dsn, Queries: []executor.QuerySpec{{Write: true, Tx: tx}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tgt.Close)
	return tgt
}

// A failing statement rolls the transaction back: nothing of it stays,
// and the session's next operation succeeds instead of failing with
// 25P02 (in failed sql transaction). An into value reaches the later
// statement.
func TestTransactionRollbackLeavesSessionHealthy(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE TABLE fb_tx (id int PRIMARY KEY, n int NOT NULL CHECK (n < 100))", "INSERT INTO fb_tx VALUES (1, 0)", "CREATE TABLE fb_log (n int)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx := &executor.TxSpec{Slots: 1, Statements: []executor.StmtSpec{
		{SQL: "UPDATE fb_tx SET n = n + ? WHERE id = 1", Write: true, Args: 1, Into: -1},
		{SQL: "SELECT n FROM fb_tx WHERE id = 1", Args: 0, Into: 0},
		{SQL: "INSERT INTO fb_log (n) VALUES (?)", Write: true, Args: 1, Into: -1},
	}}
	for _, mode := range []pgtarget.Mode{pgtarget.ModePrepared, pgtarget.ModeDescribe} {
		t.Run(string(mode), func(t *testing.T) {
			if _, err := db.ExecContext(ctx, "UPDATE fb_tx SET n = 0; DELETE FROM fb_log"); err != nil {
				t.Fatal(err)
			}
			tgt, err := pgtarget.New(ctx, pgtarget.Config{DSN: dsn, Mode: mode, Queries: []executor.QuerySpec{{Write: true, Tx: tx}}})
			if err != nil {
				t.Fatal(err)
			}
			defer tgt.Close()
			s, err := tgt.Open(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			bound := boundSlot(0)
			if _, _, err := s.Exec(ctx, 0, []any{int64(5), bound}); err != nil {
				t.Fatal(err)
			}
			// 5 + 200 breaks the CHECK: the update fails, nothing is kept.
			_, _, err = s.Exec(ctx, 0, []any{int64(200), bound})
			if got := pgtarget.Classify(err); got.SQLState != "23514" {
				t.Fatalf("failing transaction: %v (%+v)", err, got)
			}
			for range 3 {
				if _, _, err := s.Exec(ctx, 0, []any{int64(1), bound}); err != nil {
					t.Fatalf("operation after a failed one: %v", err)
				}
			}
			var n int
			var logged []int
			if err := db.QueryRowContext(ctx, "SELECT n FROM fb_tx WHERE id = 1").Scan(&n); err != nil || n != 8 {
				t.Fatalf("n = %d (%v), want 8", n, err)
			}
			rows, err := db.QueryContext(ctx, "SELECT n FROM fb_log ORDER BY n")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v int
				rows.Scan(&v)
				logged = append(logged, v)
			}
			rows.Close()
			if fmt.Sprint(logged) != "[5 6 7 8]" {
				t.Errorf("logged %v, want the value each committed transaction read: [5 6 7 8]", logged)
			}
		})
	}
}

type boundSlot int

func (b boundSlot) BoundSlot() int { return int(b) }

// Serializable transactions that update the same rows from several
// sessions conflict (40001); with max_tries they are retried and the
// retries are counted, and every operation's effect is applied exactly
// once. With one try the conflicts surface as errors of the conflict
// class.
func TestTransactionRetriesConflicts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn := pgtest.FreshDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE TABLE fb_tx (id int PRIMARY KEY, n int NOT NULL)", "INSERT INTO fb_tx VALUES (1, 0), (2, 0)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	spec := func(tries int) *executor.TxSpec {
		return &executor.TxSpec{Isolation: "serializable", MaxTries: tries, Statements: []executor.StmtSpec{
			{SQL: "SELECT n FROM fb_tx WHERE id = 1", Into: -1},
			{SQL: "UPDATE fb_tx SET n = n + 1 WHERE id = 1", Write: true, Into: -1},
			{SQL: "SELECT pg_sleep(0.002)", Into: -1},
			{SQL: "UPDATE fb_tx SET n = n + 1 WHERE id = 2", Write: true, Into: -1},
		}}
	}
	run := func(tries, sessions, ops int) (ok, conflicts, other, retries int64) {
		tgt := newTxTarget(t, dsn, spec(tries))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for c := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := tgt.Open(ctx, c)
				if err != nil {
					t.Error(err)
					return
				}
				defer s.Close()
				for range ops {
					_, _, err := s.Exec(ctx, 0, nil)
					mu.Lock()
					retries += int64(s.(executor.Retrier).LastRetries())
					switch {
					case err == nil:
						ok++
					case executor.IsConflict(pgtarget.Classify(err)):
						conflicts++
					default:
						other++
						t.Errorf("unexpected error: %v", err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return
	}
	read := func() (a, b int64) {
		if err := db.QueryRowContext(ctx, "SELECT (SELECT n FROM fb_tx WHERE id = 1), (SELECT n FROM fb_tx WHERE id = 2)").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		return
	}

	ok, conflicts, _, retries := run(1, 4, 25)
	a, b := read()
	if conflicts == 0 || retries != 0 || ok+conflicts != 100 || a != ok || b != ok {
		t.Fatalf("one try: %d ok, %d conflicts, %d retries; rows %d, %d", ok, conflicts, retries, a, b)
	}
	ok2, conflicts2, _, retries2 := run(100, 4, 25)
	a2, b2 := read()
	if retries2 == 0 || conflicts2 != 0 || ok2 != 100 || a2-a != 100 || b2-b != 100 {
		t.Fatalf("100 tries: %d ok, %d conflicts, %d retries; rows +%d, +%d", ok2, conflicts2, retries2, a2-a, b2-b)
	}
	t.Logf("one try: %d conflicts of 100; 100 tries: %d retries", conflicts, retries2)
}

// A whole run of a serializable transaction on two hot rows at 4
// connections: conflicts happen, are retried (max_tries) and counted in
// the phase's retries; whatever is left after the last try is an error of
// the conflict class and of nothing else; and the rows changed exactly
// once per successful operation.
func TestTransactionConflictsThroughARun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.Shared(t)
	targetDSN := pgtest.FreshDatabaseOn(t, srv)
	u, err := url.Parse(targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`
connection "postgres" "pg" {
  host     = "127.0.0.1"
  port     = %d
  user     = %q
  database = %q
  sslmode  = "disable"
}
template "hot" {
  table = "fb_hot"
  query "move" {
    isolation = "serializable"
    max_tries = 3
    let {
      d = uniform(1, 9)
    }
    statement "a" {
      sql  = "UPDATE fb_hot SET n = n + $1 WHERE id = 1"
      args = [let.d]
    }
    statement "pause" {
      sql = "SELECT pg_sleep(0.002)"
    }
    statement "b" {
      sql  = "UPDATE fb_hot SET n = n - $1 WHERE id = 2"
      args = [let.d]
    }
    statement "count" {
      sql = "UPDATE fb_hot SET n = n + 1 WHERE id = 3"
    }
  }
}
scenario "hot" {
  template = template.hot
  setup {
    sql = ["CREATE TABLE fb_hot (id int PRIMARY KEY, n bigint NOT NULL)", "INSERT INTO fb_hot VALUES (1, 0), (2, 0), (3, 0)"]
  }
  phase "p" {
    duration    = "1500ms"
    connections = 4
  }
}
`, srv.Port(), pgtest.User, strings.TrimPrefix(u.Path, "/"))
	file := filepath.Join(t.TempDir(), "hot.fb.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{file}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	st, err := store.Open(ctx, pgtest.FreshDatabaseOn(t, srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := run.Apply(ctx, plan.Runs[0], cfg, run.Options{Store: st, Logger: hclog.NewNullLogger(),
		HeartbeatEvery: 100 * time.Millisecond, PollEvery: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
		Targets: map[string]run.TargetFactory{dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, qs []executor.QuerySpec, init []string, n int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, qs, init, int32(n))
		}},
		Classifiers: map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || len(out.Phases) != 1 {
		t.Fatalf("run %s: %s", out.Status, out.FailureReason)
	}
	ph := out.Phases[0]
	var conflicts int64
	for _, g := range ph.Errors {
		if g.Class != executor.ConflictClass || (g.SQLState != executor.StateSerializationFailure && g.SQLState != executor.StateDeadlockDetected) {
			t.Errorf("error group %+v is not a conflict", g)
		}
		conflicts += g.Count
	}
	if conflicts != ph.Counts.Errors {
		t.Errorf("%d errors, %d of them in conflict groups", ph.Counts.Errors, conflicts)
	}
	if ph.Counts.Retries == 0 {
		t.Errorf("no retries counted over %d operations (%d conflicts left)", ph.Counts.Total, conflicts)
	}
	db, err := sql.Open("pgx", targetDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var a, b, n int64
	if err := db.QueryRowContext(ctx, "SELECT (SELECT n FROM fb_hot WHERE id = 1), (SELECT n FROM fb_hot WHERE id = 2), (SELECT n FROM fb_hot WHERE id = 3)").Scan(&a, &b, &n); err != nil {
		t.Fatal(err)
	}
	if a != -b || n != ph.Counts.OK {
		t.Errorf("rows: a %d b %d count %d; want a = -b and count = %d successful operations", a, b, n, ph.Counts.OK)
	}
	t.Logf("%d ops, %d ok, %d retries, %d conflicts left", ph.Counts.Total, ph.Counts.OK, ph.Counts.Retries, conflicts)
}
