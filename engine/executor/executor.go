package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// DefaultDrainTimeout is how long in-flight operations may take to finish
// after a phase stops issuing, when Env.DrainTimeout is zero.
const DefaultDrainTimeout = 30 * time.Second

// Executor runs one phase of one worker under a load model.
type Executor interface {
	// Run issues load until the model says stop, its duration ends or ctx
	// is cancelled (graceful stop: no new operations, in-flight ones get
	// Env.DrainTimeout to finish). It returns the phase's counts; an error
	// means the phase could not run (a session failed to open), not that
	// operations failed.
	Run(ctx context.Context, env Env) (Result, error)
}

// OpSource says what one connection sends next: a query index and its
// arguments (valid until the next call). workload.Conn implements it. An
// OpSource is used by one goroutine.
type OpSource interface {
	Next() (query int, args []any)
}

// Env is what an executor runs against.
type Env struct {
	Target Target
	// Ops returns the OpSource of connection conn (0-based within the
	// worker); called once per connection before its first operation.
	Ops      func(conn int) (OpSource, error)
	Recorder *PhaseRecorder
	// DrainTimeout bounds how long in-flight operations may run after the
	// phase stops issuing (0: DefaultDrainTimeout).
	DrainTimeout time.Duration
	// HardStop, when set and done, cancels in-flight operations at once
	// (a second Ctrl-C).
	HardStop context.Context
	Logger   hclog.Logger // nil: no logging
}

func (e *Env) check() error {
	switch {
	case e.Target == nil:
		return errors.New("executor: no target")
	case e.Ops == nil:
		return errors.New("executor: no op source")
	case e.Recorder == nil:
		return errors.New("executor: no recorder")
	}
	if e.Logger == nil {
		e.Logger = hclog.NewNullLogger()
	}
	return nil
}

// Result is what a phase did on one worker.
type Result struct {
	Counts  Counts
	Started time.Time // UTC
	Ended   time.Time // UTC
	FindMax *FindMaxResult
}

// runContexts derives the two deadlines of a phase, the k6 way: issue ends
// when the duration is over or ctx is cancelled (no new operations after
// it); exec, which in-flight operations run under, ends drain after issue
// ends, or at once when hard is done.
func runContexts(ctx context.Context, duration, drain time.Duration, hard context.Context) (issue, exec context.Context, stop func()) {
	if drain <= 0 {
		drain = DefaultDrainTimeout
	}
	var cancelIssue context.CancelFunc
	if duration > 0 {
		issue, cancelIssue = context.WithTimeout(ctx, duration)
	} else {
		issue, cancelIssue = context.WithCancel(ctx)
	}
	exec, cancelExec := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	var timer *time.Timer
	stopIssue := context.AfterFunc(issue, func() {
		mu.Lock()
		timer = time.AfterFunc(drain, cancelExec)
		mu.Unlock()
	})
	stopHard := func() bool { return false }
	if hard != nil {
		stopHard = context.AfterFunc(hard, cancelExec)
	}
	return issue, exec, func() {
		stopIssue()
		stopHard()
		cancelIssue()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancelExec()
	}
}

// openSessions opens sessions first..first+n-1 and their op sources.
func openSessions(ctx context.Context, env *Env, first, n int) ([]Session, []OpSource, error) {
	sessions := make([]Session, 0, n)
	srcs := make([]OpSource, 0, n)
	for i := first; i < first+n; i++ {
		s, err := env.Target.Open(ctx, i)
		if err != nil {
			closeAll(sessions)
			return nil, nil, fmt.Errorf("open session %d: %w", i, err)
		}
		src, err := env.Ops(i)
		if err != nil {
			s.Close()
			closeAll(sessions)
			return nil, nil, fmt.Errorf("connection %d: %w", i, err)
		}
		sessions = append(sessions, s)
		srcs = append(srcs, src)
	}
	return sessions, srcs, nil
}

func closeAll(ss []Session) {
	for _, s := range ss {
		s.Close()
	}
}

// sleepCtx waits d on t (a reused, stopped or fired timer) unless done
// closes first; it reports whether the whole d passed.
func sleepCtx(t *time.Timer, d time.Duration, done <-chan struct{}) bool {
	t.Reset(d)
	select {
	case <-t.C:
		return true
	case <-done:
		t.Stop()
		return false
	}
}

// newStoppedTimer returns a timer that is not running.
func newStoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

func utc(t time.Time) time.Time { return t.UTC().Round(0) }
