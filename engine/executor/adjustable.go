package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Adjustable is the closed model with a session count that can change
// while it runs (the qps_target phase: the orchestrator sets it through
// SET_WORKER_TARGET events). It starts with Sessions sessions; SetTarget
// moves it within [MinSessions, MaxSessions] by opening sessions (which
// then send like the others) or stopping the newest ones after their
// operation in flight. The phase is not restarted.
type Adjustable struct {
	Sessions, MinSessions, MaxSessions int
	Duration                           time.Duration
	ThinkTime                          time.Duration
	SpinWindow                         time.Duration
	pool

	mu      sync.Mutex
	targets chan int
}

var _ Executor = (*Adjustable)(nil)

// TargetChange is one session count an Adjustable ran at, from At (UTC).
type TargetChange struct {
	At       time.Time `json:"at"`
	Sessions int       `json:"sessions"`
}

// Open implements Executor.
func (a *Adjustable) Open(ctx context.Context, env Env) error {
	if a.MinSessions < 1 || a.Sessions < a.MinSessions || a.MaxSessions < a.Sessions {
		return fmt.Errorf("qps_target: need 1 ≤ min sessions (%d) ≤ sessions (%d) ≤ max sessions (%d)", a.MinSessions, a.Sessions, a.MaxSessions)
	}
	a.mu.Lock()
	a.targets = make(chan int, 1)
	a.mu.Unlock()
	return a.pool.open(ctx, env, a.Sessions)
}

// SetTarget asks for n sessions (clamped to the bounds); the newest
// request wins. It never blocks. It returns the count that will apply.
func (a *Adjustable) SetTarget(n int) int {
	n = min(max(n, a.MinSessions), a.MaxSessions)
	a.mu.Lock()
	ch := a.targets
	a.mu.Unlock()
	if ch == nil {
		return n
	}
	for {
		select {
		case ch <- n:
			return n
		default:
			select {
			case <-ch: // drop the older request
			default:
			}
		}
	}
}

// Run implements Executor.
func (a *Adjustable) Run(ctx context.Context, start time.Time) (Result, error) {
	st, res0, err := a.startSessions(ctx, start, a.Duration, a.SpinWindow, a.ThinkTime)
	if st == nil {
		return res0, err
	}
	defer st.run.stop()
	run, env, sessions, late := st.run, &st.env, st.sessions, st.late
	res := Result{Late: late, Targets: []TargetChange{{At: utc(start), Sessions: sessions.len()}}}
	var sessErr error
	a.mu.Lock()
	targets := a.targets
	a.mu.Unlock()
loop:
	for {
		select {
		case <-run.issue.Done():
			break loop
		case n := <-targets:
			if n == sessions.len() {
				continue
			}
			if err := sessions.set(ctx, n); err != nil {
				sessErr = err
				res.SessionErrors++
				env.Logger.Warn("qps_target: a session could not be opened; staying at the sessions open", "sessions", sessions.len(), "error", err)
			}
			res.Targets = append(res.Targets, TargetChange{At: time.Now().UTC(), Sessions: sessions.len()})
		}
	}
	sessions.stop()
	res.Abandoned = run.wait()
	run.result(&res)
	res.PeakSessions = sessions.peak
	res.Stopped = ctx.Err() != nil
	res.Counts = env.Recorder.Counts()
	if sessErr != nil && sessions.len() == 0 {
		return res, errors.Join(errors.New("qps_target: no session left"), sessErr)
	}
	return res, nil
}
