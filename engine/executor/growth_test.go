package executor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/internal/noopdb"
)

// limitedTarget refuses to open more than limit sessions at once, like a
// server at its max_connections.
type limitedTarget struct {
	capTarget
	limit  int64
	opened atomic.Int64 // sessions ever opened
}

func (t *limitedTarget) Open(ctx context.Context, conn int) (Session, error) {
	if t.open.Load() >= t.limit {
		return nil, errors.New("sorry, too many clients already")
	}
	t.opened.Add(1)
	return t.capTarget.Open(ctx, conn)
}

func TestOpenGrowsSessionsOnDemand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdbLatency(0))
		// 400 ops/s at 20 ms each needs about 8 sessions; 1 is pre-opened,
		// 600 are allowed: the model opens only what the load needs.
		tgt := &limitedTarget{capTarget: capTarget{latency: func(int64) time.Duration { return 20 * time.Millisecond }}, limit: 1000}
		env.Target = tgt
		o := NewConstant(400, 1, 600, 2*time.Second)
		if err := o.Open(context.Background(), env); err != nil {
			t.Fatal(err)
		}
		if n := tgt.opened.Load(); n != 1 {
			t.Fatalf("Open opened %d sessions before the start, want the 1 pre-opened", n)
		}
		res, err := o.Run(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.PeakSessions < 8 || res.PeakSessions > 16 {
			t.Fatalf("peak sessions %d, want about the 8 that 400 ops/s × 20 ms needs", res.PeakSessions)
		}
		if res.Counts.Ops != 800 || res.Counts.Dropped != 0 || res.Counts.Errors != 0 || res.SessionErrors != 0 {
			t.Fatalf("counts %+v, session errors %d", res.Counts, res.SessionErrors)
		}
		if tgt.open.Load() != 0 {
			t.Fatalf("%d sessions left open", tgt.open.Load())
		}
	})
}

func TestOpenGoesOnWhenTheServerRefusesSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdbLatency(0))
		// The load needs about 20 sessions; the server takes 5.
		tgt := &limitedTarget{capTarget: capTarget{latency: func(int64) time.Duration { return 50 * time.Millisecond }}, limit: 5}
		env.Target = tgt
		res, err := runNow(context.Background(), NewConstant(400, 2, 100, 3*time.Second), env)
		if err != nil {
			t.Fatal(err)
		}
		if res.PeakSessions != 5 {
			t.Fatalf("peak sessions %d, want the server's 5", res.PeakSessions)
		}
		if res.SessionErrors == 0 || res.SessionErrors > 10 {
			t.Fatalf("%d failed session opens over 3 s, want a few (growth pauses 1 s after each)", res.SessionErrors)
		}
		var classified int64
		for _, g := range env.Recorder.Errors() {
			if g.Code == SessionOpenCode {
				classified = g.Count
			}
		}
		if classified != res.SessionErrors || res.Counts.Errors != res.SessionErrors {
			t.Fatalf("errors %+v, %d session errors", env.Recorder.Errors(), res.SessionErrors)
		}
		if got := res.Counts.Ops + res.Counts.Dropped; got != 1200 {
			t.Fatalf("ops + dropped = %d, want all 1200 arrivals accounted for", got)
		}
		if res.Counts.Ops-res.Counts.Errors < 250 {
			t.Fatalf("only %d operations ran on the 5 sessions", res.Counts.Ops-res.Counts.Errors)
		}
	})
}

func TestRunStartsAtTheStartInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, ex := range []Executor{
			&Closed{Sessions: 2, Duration: time.Second},
			NewConstant(100, 1, 4, time.Second),
			&FindMax{Start: 1, Step: 1, Max: 2, StepDuration: 500 * time.Millisecond},
		} {
			env, _ := noopEnv(t, noopdbLatency(time.Millisecond))
			if err := ex.Open(context.Background(), env); err != nil {
				t.Fatal(err)
			}
			start := time.Now().Add(3 * time.Second)
			res, err := ex.Run(context.Background(), start)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Started.Equal(start.UTC()) || res.Ended.Sub(res.Started) != time.Second || res.Late != 0 || res.Stopped {
				t.Fatalf("%T: window %s → %s, late %s, stopped %v; want %s + 1s", ex, res.Started, res.Ended, res.Late, res.Stopped, start.UTC())
			}
			if res.Counts.Ops == 0 {
				t.Fatalf("%T issued nothing", ex)
			}
		}
	})
}

func TestRunStoppedBeforeTheStartIssuesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, db := noopEnv(t, noopdbLatency(time.Millisecond))
		ex := &Closed{Sessions: 2, Duration: time.Second}
		if err := ex.Open(context.Background(), env); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := ex.Run(ctx, time.Now().Add(time.Minute))
		if err != nil || !res.Stopped || res.Counts.Ops != 0 || db.Ops() != 0 {
			t.Fatalf("res %+v, %v, target ops %d", res, err, db.Ops())
		}
	})
}

func TestFromSpec(t *testing.T) {
	sec := load.Duration(time.Second)
	ex, err := FromSpec(load.Spec{Model: load.Open, Sessions: 2, MaxSessions: 8, Rate: 50, Duration: sec, ThinkTime: 0})
	if err != nil {
		t.Fatal(err)
	}
	if o := ex.(*Open); o.Sessions != 2 || o.MaxSessions != 8 || o.Schedule.(ConstantRate).Rate != 50 || o.SpinWindow != DefaultSpinWindow {
		t.Fatalf("open %+v", o)
	}
	ex, err = FromSpec(load.Spec{Model: load.FindMax, Sessions: 2, Duration: 4 * sec,
		FindMax: &load.FindMaxSpec{Start: 2, Step: 2, Max: 8, StepDuration: sec, MaxErrorRate: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	if f := ex.(*FindMax); f.Start != 2 || f.Max != 8 || f.StepDuration != time.Second || f.MaxErrorRate != 0.1 {
		t.Fatalf("find_max %+v", f)
	}
	if _, err := FromSpec(load.Spec{Model: load.Closed}); err == nil {
		t.Fatal("a closed spec with no sessions built an executor")
	}
}

func noopdbLatency(d time.Duration) noopdb.Options { return noopdb.Options{Latency: d} }
