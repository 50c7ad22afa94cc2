package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
	// HardStop, when set and done, ends the drain at once (a second
	// Ctrl-C).
	HardStop context.Context
	// CancelInFlight cancels the context of operations still running when
	// the drain ends, and waits for them to return. Without it they are
	// left running (their sessions close when they return) and counted in
	// Result.Abandoned: database/sql starts a goroutine per query for a
	// cancellable context, which costs more than the whole harness against
	// a fast target.
	CancelInFlight bool
	Logger         hclog.Logger // nil: no logging
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
	// Abandoned is the number of operations still running when the drain
	// timeout ended the phase (never counted in Counts).
	Abandoned int
	FindMax   *FindMaxResult
}

// runCtl holds the two deadlines of a phase, the k6 way: issue ends when
// the duration is over or ctx is cancelled, and no operation starts after
// it; in-flight operations then get the drain timeout (cut short by
// Env.HardStop) to finish. Operations run under exec, which is never
// cancelled unless Env.CancelInFlight is set, in which case it is
// cancelled when the drain timeout expires.
type runCtl struct {
	issue       context.Context
	exec        context.Context
	cancelIssue context.CancelFunc
	cancelExec  context.CancelFunc
	drain       time.Duration
	hard        <-chan struct{}
	cancelIn    bool
	wg          sync.WaitGroup
	running     atomic.Int64
}

func newRunCtl(ctx context.Context, duration time.Duration, env *Env) *runCtl {
	r := &runCtl{drain: env.DrainTimeout, cancelIn: env.CancelInFlight}
	if r.drain <= 0 {
		r.drain = DefaultDrainTimeout
	}
	if duration > 0 {
		r.issue, r.cancelIssue = context.WithTimeout(ctx, duration)
	} else {
		r.issue, r.cancelIssue = context.WithCancel(ctx)
	}
	r.exec, r.cancelExec = context.Background(), func() {}
	if r.cancelIn {
		r.exec, r.cancelExec = context.WithCancel(context.WithoutCancel(ctx))
	}
	if env.HardStop != nil {
		r.hard = env.HardStop.Done()
	}
	return r
}

// goSession runs fn on its own goroutine, tracked for the drain.
func (r *runCtl) goSession(fn func()) {
	r.running.Add(1)
	r.wg.Go(func() {
		defer r.running.Add(-1)
		fn()
	})
}

// wait waits for every session goroutine, up to the drain timeout after
// issue ends (or HardStop), and returns how many it left running.
func (r *runCtl) wait() (abandoned int) {
	all := make(chan struct{})
	go func() { r.wg.Wait(); close(all) }()
	select {
	case <-all:
		return 0
	case <-r.issue.Done():
	case <-r.hard:
	}
	t := time.NewTimer(r.drain)
	defer t.Stop()
	select {
	case <-all:
		return 0
	case <-t.C:
	case <-r.hard:
	}
	if r.cancelIn {
		r.cancelExec()
		<-all
		return 0
	}
	return int(r.running.Load())
}

func (r *runCtl) stop() {
	r.cancelIssue()
	r.cancelExec()
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
