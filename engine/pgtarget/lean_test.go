package pgtarget

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func openSession(t *testing.T, tg *Target) *session {
	t.Helper()
	s, err := tg.Open(ctxT(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*session)
}

// The default Postgres path is the lean one; the other modes and
// Config.Pgx stay on pgx.Conn.
func TestLeanPathIsTheDefault(t *testing.T) {
	dsn := database(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		lean bool
	}{
		{"default", Config{DSN: dsn, Queries: queries}, true},
		{"pgx", Config{DSN: dsn, Queries: queries, Pgx: true}, false},
		{"describe", Config{DSN: dsn, Queries: queries, Mode: ModeDescribe}, false},
		{"simple", Config{DSN: dsn, Queries: queries, Mode: ModeSimple}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSession(t, newTarget(t, tc.cfg))
			if (s.lean != nil) != tc.lean {
				t.Fatalf("lean path %v, want %v", s.lean != nil, tc.lean)
			}
		})
	}
}

// Results on the lean path: rows counted for reads, the command tag's
// count for writes, arguments of each type encoded, NULLs included.
func TestLeanPathResults(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Queries: append(queries,
		executor.QuerySpec{SQL: "SELECT count(*) FROM acc WHERE v = $1 OR $2::bigint IS NULL OR $3::float8 > 0 OR $4::timestamptz IS NULL OR $5::bool"})})
	s := openSession(t, tg)
	for _, c := range []struct {
		q    int
		args []any
		want int64
	}{
		{0, []any{1, 10}, 10},
		{0, []any{int64(5), "7"}, 3},
		{1, []any{"w", 4}, 4},
		{2, []any{1000, "new"}, 1},
		{3, []any{1000}, 1},
		{0, []any{200, 300}, 0},
		{4, []any{"w", nil, 1.5, time.Now(), true}, 1},
	} {
		n, _, err := s.Exec(ctxT(t), c.q, c.args)
		if err != nil {
			t.Fatalf("query %d %v: %v", c.q, c.args, err)
		}
		if n != c.want {
			t.Fatalf("query %d %v: %d rows, want %d", c.q, c.args, n, c.want)
		}
	}
	var v string
	if err := s.conn.QueryRow(ctxT(t), "SELECT v FROM acc WHERE id = 3").Scan(&v); err != nil || v != "w" {
		t.Fatalf("the update did not reach the table: %q %v", v, err)
	}
}

// Errors on the lean path carry their class, and the session goes on
// after an error the server reported.
func TestLeanPathErrors(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Init: []string{"SET statement_timeout = '100ms'"}, Queries: []executor.QuerySpec{
		{SQL: "INSERT INTO acc (id, v) VALUES ($1, $2)", Write: true},
		{SQL: "SELECT pg_sleep($1)"},
		{SQL: "SELECT id FROM acc WHERE id = $1"},
	}})
	s := openSession(t, tg)
	ctx := ctxT(t)
	for _, c := range []struct {
		q     int
		args  []any
		state string
	}{
		{0, []any{1, "dup"}, "23505"},
		{1, []any{1.0}, "57014"},
		{2, []any{"not a number"}, "22P02"},
	} {
		_, _, err := s.Exec(ctx, c.q, c.args)
		if got := Classify(err); got.SQLState != c.state {
			t.Fatalf("query %d %v: error %v classified %+v, want %s", c.q, c.args, err, got, c.state)
		}
		if n, _, err := s.Exec(ctx, 2, []any{7}); err != nil || n != 1 {
			t.Fatalf("after %s the session does not work: %d rows, %v", c.state, n, err)
		}
	}
	if _, _, err := s.Exec(ctx, 2, []any{1, 2}); err == nil || !strings.Contains(err.Error(), "expected 1 arguments, got 2") {
		t.Fatalf("wrong argument count: %v", err)
	}
	if s.Close() != nil || s.c != nil {
		t.Fatal("close failed")
	}
}

// A cancelled operation returns promptly with the context's error (class
// canceled), and the session's connection is destroyed, not pooled.
func TestLeanPathCancel(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT pg_sleep($1)"}}})
	s, err := tg.Open(ctxT(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(ctxT(t))
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, _, err = s.Exec(ctx, 0, []any{10.0})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sleep: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %s", d)
	}
	if got := Classify(err); got.Code != "canceled" {
		t.Fatalf("classified %+v, want canceled", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := tg.Pool().Stat().TotalConns(); n != 0 {
		t.Fatalf("%d connections pooled after a cancelled operation, want the broken one destroyed", n)
	}
}

// A context that ends after its operations leaves the connection
// usable: the session's next context gets a connection without the past
// deadline the first one's end set, and a pooled connection keeps none.
func TestLeanPathServesTheNextContext(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT pg_sleep($1)"}}, MaxConns: 1})
	s, err := tg.Open(ctxT(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close() // a no-op once closed below
	first, cancel := context.WithCancel(ctxT(t))
	if _, _, err := s.Exec(first, 0, []any{0.0}); err != nil {
		t.Fatal(err)
	}
	cancel() // ends while the session is idle
	time.Sleep(10 * time.Millisecond)
	if _, _, err := s.Exec(ctxT(t), 0, []any{0.05}); err != nil {
		t.Fatalf("an operation on the next context: %v", err)
	}
	// The same again across the pool: a session closed after its context
	// ended returns a connection the next session can use.
	third, cancel3 := context.WithCancel(ctxT(t))
	if _, _, err := s.Exec(third, 0, []any{0.0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cancel3()
	time.Sleep(10 * time.Millisecond)
	s2, err := tg.Open(ctxT(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, _, err := s2.Exec(ctxT(t), 0, []any{0.05}); err != nil {
		t.Fatalf("an operation on the pooled connection: %v", err)
	}
}

// A backend terminated mid-phase: 57P01, then the Reconnector's next
// operation runs on a new connection.
func TestLeanPathTerminatedBackendReconnects(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT pg_backend_pid()"}}})
	r := &executor.Reconnector{Target: tg, Classify: Classify, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	ctx := ctxT(t)
	s, err := r.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Exec(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_backend_pid()'"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Exec(ctx, 0, nil)
	if got := Classify(err); got.SQLState != "57P01" && !strings.HasPrefix(got.SQLState, "08") {
		t.Fatalf("operation on a terminated backend: %v classified %+v", err, got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(5 * time.Millisecond)
		if _, _, err = s.Exec(ctx, 0, nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect: %v", err)
		}
	}
	if r.Reconnects() == 0 {
		t.Fatal("Reconnects() = 0 after a terminated backend")
	}
}

// A server restart mid-phase (every connection broken): operations fail
// with a connection class until the server is back, then the sessions
// reconnect through executor.Reconnector.
func TestLeanPathReconnectsAfterServerRestart(t *testing.T) {
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	tg := newTarget(t, Config{DSN: srv.DSN("postgres"), Queries: []executor.QuerySpec{{SQL: "SELECT $1::int + 1"}}})
	r := &executor.Reconnector{Target: tg, Classify: Classify, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	ctx := ctxT(t)
	s, err := r.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Exec(ctx, 0, []any{1}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var failed int
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, _, err := s.Exec(ctx, 0, []any{1})
		if err == nil && n == 1 {
			break
		}
		if err != nil {
			info := Classify(err)
			if !strings.HasPrefix(info.SQLState, "08") && info.SQLState != "57P01" && info.SQLState != "57P03" {
				t.Fatalf("error across the restart classified %+v: %v", info, err)
			}
			failed++
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect within 20s: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if failed == 0 || r.Reconnects() == 0 {
		t.Fatalf("%d failed operations, %d reconnects across a restart; want both > 0", failed, r.Reconnects())
	}
}

// An operation on the lean path allocates nothing: a lookup, a write and
// a whole transaction of statements (into values aside, which decode a
// value).
func TestLeanPathAllocatesNothing(t *testing.T) {
	dsn := database(t)
	tx := &executor.TxSpec{Statements: []executor.StmtSpec{
		{SQL: "UPDATE acc SET v = v WHERE id = $1", Write: true, Args: 1, Into: -1},
		{SQL: "SELECT v FROM acc WHERE id = $1", Args: 1, Into: -1},
	}}
	tg := newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{
		{SQL: "SELECT v FROM acc WHERE id = $1"},
		{SQL: "UPDATE acc SET v = v WHERE id = $1", Write: true},
		{Tx: tx},
	}})
	s := openSession(t, tg)
	ctx := ctxT(t)
	for q := range 3 {
		args := []any{int64(7)}
		if q == 2 {
			args = []any{int64(7), int64(8)}
		}
		var err error
		allocs := testing.AllocsPerRun(200, func() {
			if _, _, e := s.Exec(ctx, q, args); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if allocs != 0 {
			t.Errorf("query %d: %.1f allocations per operation, want 0", q, allocs)
		}
	}
}
