package executor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/internal/noopdb"
)

// oneQuery always sends query 0 without arguments.
type oneQuery struct{}

func (oneQuery) Next() (int, []any) { return 0, nil }

func oneQueryOps(int) (OpSource, error) { return oneQuery{}, nil }

var readQuery = []QueryInfo{{Name: "read", Kind: "point_lookup"}}

// noopEnv returns an env over a no-op database with one read query.
func noopEnv(t testing.TB, opts noopdb.Options) (Env, *noopdb.Connector) {
	c := noopdb.NewConnector(opts)
	db := noopdb.OpenConnector(c)
	db.SetMaxIdleConns(1000)
	t.Cleanup(func() { db.Close() })
	rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
	return Env{
		Target:   &SQLTarget{DB: db, Queries: []QuerySpec{{SQL: "SELECT 1"}}},
		Ops:      oneQueryOps,
		Recorder: rec.Phase("main", false),
	}, c
}

// merged returns one histogram of metric over every query and outcome.
func merged(env Env, metric string) *hdr.Histogram {
	return env.Recorder.r.reg.Merged(func(k histogram.Key) bool { return k.Metric == metric })
}

// capTarget models a database whose latency and errors depend on how many
// sessions are open at once.
type capTarget struct {
	open      atomic.Int64
	latency   func(n int64) time.Duration
	failAbove int64
	fail      func(n int64) bool // optional: fail an operation at n open sessions
}

type capSession struct{ t *capTarget }

func (t *capTarget) Open(context.Context, int) (Session, error) {
	t.open.Add(1)
	return capSession{t}, nil
}

func (s capSession) Exec(ctx context.Context, _ int, _ []any) (int64, string, error) {
	n := s.t.open.Load()
	time.Sleep(s.t.latency(n))
	if s.t.failAbove > 0 && n > s.t.failAbove || s.t.fail != nil && s.t.fail(n) {
		return 0, "", errors.New("too many connections")
	}
	return 1, "", nil
}

func (s capSession) Close() error { s.t.open.Add(-1); return nil }

// runNow opens ex and runs it from now.
func runNow(ctx context.Context, ex Executor, env Env) (Result, error) {
	if err := ex.Open(ctx, env); err != nil {
		return Result{}, err
	}
	return ex.Run(ctx, time.Now())
}
