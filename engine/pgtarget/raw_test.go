package pgtarget

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// keepSessions is a Target that remembers the sessions it opened (the
// inner target's own values, so the executor sees what it would).
type keepSessions struct {
	executor.Target
	mu       sync.Mutex
	sessions []*session
}

func (k *keepSessions) Open(ctx context.Context, conn int) (executor.Session, error) {
	s, err := k.Target.Open(ctx, conn)
	if err == nil {
		k.mu.Lock()
		k.sessions = append(k.sessions, s.(*session))
		k.mu.Unlock()
	}
	return s, err
}

// opsFunc is an OpSource of a function.
type opsFunc func() (int, []any)

func (f opsFunc) Next() (int, []any) { return f() }

// runClosed runs a closed phase of sessions on tg (Reconnector-wrapped,
// as the run engine wraps targets), every operation from next, until
// stop closes or the phase's duration ends, and returns its result and
// the phase's errors.
func runClosed(t *testing.T, tg executor.Target, ex *executor.Closed, env executor.Env, next func(conn int) opsFunc) (executor.Result, []executor.ErrorGroup) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rec := executor.NewRecorder(histogram.NewRegistry(), []executor.QueryInfo{{Name: "q"}, {Name: "q2"}}, executor.RecorderOptions{Classify: Classify})
	pr := rec.Phase("mux", false)
	env.Target, env.Recorder = tg, pr
	env.Ops = func(conn int) (executor.OpSource, error) { return next(conn), nil }
	if err := ex.Open(ctx, env); err != nil {
		t.Fatal(err)
	}
	res, err := ex.Run(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res, pr.Errors()
}

// slot is a transaction argument bound to an earlier statement's value.
type slot int

func (s slot) BoundSlot() int { return int(s) }

// A closed phase on the lean path runs its sessions multiplexed: every
// session's socket moved off pgconn (raw), every operation counted once
// and done once on the server (writes and a transaction with a value read
// into a later statement), no error.
func TestClosedPhaseMultiplexesLeanSessions(t *testing.T) {
	dsn := database(t)
	ctx := ctxT(t)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE TABLE mux_w (conn int, n int); CREATE TABLE mux_acc (id int PRIMARY KEY, bal bigint); INSERT INTO mux_acc SELECT g, 0 FROM generate_series(1, 10) g"); err != nil {
		t.Fatal(err)
	}
	tx := &executor.TxSpec{Slots: 1, Statements: []executor.StmtSpec{
		{SQL: "SELECT bal FROM mux_acc WHERE id = $1", Args: 1, Into: 0},
		{SQL: "UPDATE mux_acc SET bal = $1::bigint + 1 WHERE id = $2", Write: true, Args: 2, Into: -1},
	}}
	keep := &keepSessions{Target: newTarget(t, Config{DSN: dsn, MaxConns: 6, Queries: []executor.QuerySpec{
		{SQL: "INSERT INTO mux_w VALUES ($1, $2)", Write: true},
		{Tx: tx},
	}})}
	tg := &executor.Reconnector{Target: keep, Classify: Classify}
	res, errs := runClosed(t, tg, &executor.Closed{Sessions: 6, Duration: 1500 * time.Millisecond}, executor.Env{}, func(conn int) opsFunc {
		n := 0
		return func() (int, []any) {
			if n++; n%4 == 0 {
				// Each session its own account: no conflicts to retry.
				return 1, []any{1 + conn, slot(0), 1 + conn}
			}
			return 0, []any{conn, n}
		}
	})
	if res.Counts.Errors != 0 || len(errs) != 0 {
		t.Fatalf("%d errors: %+v", res.Counts.Errors, errs)
	}
	if len(keep.sessions) != 6 {
		t.Fatalf("%d sessions opened, want 6", len(keep.sessions))
	}
	for i, s := range keep.sessions {
		if s.lean == nil || s.lean.raw == nil || !s.lean.raw.closed {
			t.Fatalf("session %d was not multiplexed (or not closed after the phase)", i)
		}
	}
	var rows, bal int64
	if err := admin.QueryRow(ctx, "SELECT (SELECT count(*) FROM mux_w), (SELECT sum(bal) FROM mux_acc)").Scan(&rows, &bal); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || bal == 0 || rows+bal != res.Counts.Ops {
		t.Fatalf("server: %d inserts + %d transactions; the phase counted %d operations", rows, bal, res.Counts.Ops)
	}
	var left int64
	waitFor(t, func() bool {
		_ = admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()").Scan(&left)
		return left == 0
	}, "the phase's connections to close")
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Operations in flight when the drain timeout ends are cancelled
// (Env.CancelInFlight): the multiplexed wait ends with the context, the
// operation is recorded as cancelled, the phase returns.
func TestMultiplexedCancelInFlight(t *testing.T) {
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT pg_sleep(60)"}}})
	start := time.Now()
	res, errs := runClosed(t, tg, &executor.Closed{Sessions: 3, Duration: 200 * time.Millisecond},
		executor.Env{CancelInFlight: true, DrainTimeout: 100 * time.Millisecond},
		func(int) opsFunc { return func() (int, []any) { return 0, nil } })
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the phase took %v: the sleeping operations were not cancelled", took)
	}
	if res.Counts.Ops != 3 || res.Counts.Errors != 3 || res.Abandoned != 0 {
		t.Fatalf("counts %+v, abandoned %d: want the 3 operations in flight, each an error", res.Counts, res.Abandoned)
	}
	for _, g := range errs {
		if g.Code != "canceled" && !strings.Contains(strings.Join(g.Messages, " "), "context canceled") {
			t.Fatalf("error group %+v, want the cancellation", g)
		}
	}
}

// Backends terminated mid-phase: the multiplexed sessions fail with the
// server's reason, reopen through the Reconnector (moved to the group
// again), and the phase goes on.
func TestMultiplexedSessionsReconnect(t *testing.T) {
	dsn := database(t)
	ctx := ctxT(t)
	keep := &keepSessions{Target: newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT pg_backend_pid(), pg_sleep(0.001)"}}})}
	tg := &executor.Reconnector{Target: keep, Classify: Classify, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed atomic.Int64
	go func() {
		time.Sleep(500 * time.Millisecond)
		var n int64
		_ = admin.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_backend_pid(), pg_sleep%' AND pid <> pg_backend_pid()").Scan(&n)
		killed.Store(n)
	}()
	res, errs := runClosed(t, tg, &executor.Closed{Sessions: 4, Duration: 2 * time.Second}, executor.Env{},
		func(int) opsFunc { return func() (int, []any) { return 0, nil } })
	if killed.Load() == 0 {
		t.Fatal("no backend was terminated")
	}
	if tg.Reconnects() < killed.Load() {
		t.Fatalf("%d reconnects after %d backends were terminated", tg.Reconnects(), killed.Load())
	}
	if res.Counts.Errors == 0 || res.Counts.OK < 10*res.Counts.Errors {
		t.Fatalf("counts %+v: want a few errors at the termination and the phase going on", res.Counts)
	}
	for _, g := range errs {
		if g.SQLState != "57P01" && !strings.HasPrefix(g.SQLState, "08") {
			t.Fatalf("error group %+v, want the termination (57P01) or a connection error", g)
		}
	}
	if len(keep.sessions) < 4+int(killed.Load()) {
		t.Fatalf("%d sessions opened, want 4 and one per terminated backend", len(keep.sessions))
	}
	for i, s := range keep.sessions {
		if s.lean.raw == nil {
			t.Fatalf("session %d (reopened: %v) was not multiplexed", i, i >= 4)
		}
	}
}

// A TLS session cannot hand its socket to fdpoll (the socket carries TLS
// records): it refuses, so a closed phase runs one goroutine per session,
// encrypted, every operation counted.
func TestTLSSessionsAreNotMultiplexed(t *testing.T) {
	srv := pgtest.SharedWith(t, pgtest.Options{TLS: true})
	dsn := strings.TrimSuffix(srv.DSN("postgres"), "?sslmode=disable") + "?sslmode=require"
	keep := &keepSessions{Target: newTarget(t, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl"}}})}
	res, errs := runClosed(t, keep, &executor.Closed{Sessions: 3, Duration: 300 * time.Millisecond}, executor.Env{},
		func(int) opsFunc { return func() (int, []any) { return 0, nil } })
	if res.Counts.Errors != 0 || res.Counts.Ops == 0 || res.Counts.Reads != res.Counts.Ops {
		t.Fatalf("counts %+v, errors %+v: want every operation to read its one row of pg_stat_ssl", res.Counts, errs)
	}
	for i, s := range keep.sessions {
		if s.lean == nil || s.lean.raw != nil {
			t.Fatalf("session %d: lean %v, multiplexed %v; want the lean path on its TLS socket", i, s.lean != nil, s.lean != nil && s.lean.raw != nil)
		}
	}
}
