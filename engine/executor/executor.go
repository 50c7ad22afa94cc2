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

// Executor runs one worker's share of one load node under a load model,
// in two steps, so that every worker of a node starts at the same instant:
// Open opens the sessions the load starts with (which can take long), Run
// waits for the node's start instant and issues the load from it. An
// executor is used once.
type Executor interface {
	// Open opens the sessions the load starts with and their op sources;
	// nothing is issued. An error means the load cannot run (a session
	// failed to open), not that operations failed.
	Open(ctx context.Context, env Env) error
	// Run waits until start (a wall-clock instant on this host's clock),
	// issues load for the load's duration from it (graceful stop on ctx:
	// no new operations, in-flight ones get Env.DrainTimeout), closes the
	// sessions and returns the counts. A Run whose ctx is done before the
	// start issues nothing and reports Result.Stopped.
	Run(ctx context.Context, start time.Time) (Result, error)
	// Close closes the sessions of an executor whose Run will not be
	// called. It may be called after Run and more than once.
	Close()
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

// Result is what a load node did on one worker.
type Result struct {
	Counts Counts
	// Started and Ended are the window the worker issued in, UTC: from the
	// start instant Run was given to start + duration, or to the moment
	// the node was stopped or (find_max) its search ended. Operations
	// issued in the window and still running at its end are waited for
	// and counted; QPS is over the window.
	Started time.Time
	Ended   time.Time
	// Drained is when the last of those operations returned (Ended when
	// none was running).
	Drained time.Time
	// Late is how long after the start instant Run began issuing (0 when
	// it was on time); an open model issues its overdue arrivals at once.
	Late time.Duration
	// Stopped reports that ctx ended the node before its duration did.
	Stopped bool
	// PeakSessions is the most sessions open at once.
	PeakSessions int
	// SessionErrors counts sessions that could not be opened during the
	// node (open model growth); their arrivals are errors of class
	// SessionOpenCode.
	SessionErrors int64
	// Abandoned is the number of operations still running when the drain
	// timeout ended the phase (never counted in Counts).
	Abandoned int
	FindMax   *FindMaxResult
	// Targets are the session counts an adjustable (qps_target) node ran
	// at, in order, with when each took effect.
	Targets []TargetChange `json:",omitempty"`
}

// SessionOpenCode is the error class of an operation whose session could
// not be opened (a server refusing more clients, say).
const SessionOpenCode = "session_open"

// SessionOpenError wraps the error of a session that could not be opened
// during a node; the operation that waited for it is recorded with it.
type SessionOpenError struct{ Err error }

func (e *SessionOpenError) Error() string { return "open session: " + e.Err.Error() }
func (e *SessionOpenError) Unwrap() error { return e.Err }

// pool is the sessions an executor opened and their op sources; the base
// of every executor.
type pool struct {
	env      Env
	sessions []Session
	srcs     []OpSource
	opened   bool
	closed   bool
}

// open checks env and opens sessions 0..n-1.
func (p *pool) open(ctx context.Context, env Env, n int) error {
	if p.opened {
		return errors.New("executor: opened twice")
	}
	if err := env.check(); err != nil {
		return err
	}
	p.env, p.opened = env, true
	ss, srcs, err := openSessions(ctx, &p.env, 0, n)
	if err != nil {
		return err
	}
	p.sessions, p.srcs = ss, srcs
	return nil
}

// take hands the sessions over to Run, which closes them.
func (p *pool) take() ([]Session, []OpSource, error) {
	if !p.opened || p.closed {
		return nil, nil, errors.New("executor: Run before Open, or after Close")
	}
	ss, srcs := p.sessions, p.srcs
	p.sessions, p.srcs, p.closed = nil, nil, true
	return ss, srcs, nil
}

// Close implements Executor.
func (p *pool) Close() {
	closeAll(p.sessions)
	p.sessions, p.srcs, p.closed = nil, nil, true
}

// runCtl holds the two deadlines of a node, the k6 way: issue ends at
// start + duration or when ctx is cancelled, and no operation starts after
// it; in-flight operations then get the drain timeout (cut short by
// Env.HardStop) to finish. Operations run under exec, which is never
// cancelled unless Env.CancelInFlight is set, in which case it is
// cancelled when the drain timeout expires.
type runCtl struct {
	start       time.Time
	end         time.Time // zero: no planned end
	issue       context.Context
	exec        context.Context
	cancelIssue context.CancelFunc
	cancelExec  context.CancelFunc
	drain       time.Duration
	hard        <-chan struct{}
	cancelIn    bool
	wg          sync.WaitGroup
	running     atomic.Int64
	issueEnded  time.Time
}

func newRunCtl(ctx context.Context, start time.Time, duration time.Duration, env *Env) *runCtl {
	r := &runCtl{start: start, drain: env.DrainTimeout, cancelIn: env.CancelInFlight}
	if r.drain <= 0 {
		r.drain = DefaultDrainTimeout
	}
	if duration > 0 {
		r.end = start.Add(duration)
		r.issue, r.cancelIssue = context.WithDeadline(ctx, r.end)
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

// endIssue stops issuing now (idempotent) and remembers when.
func (r *runCtl) endIssue() {
	if r.issueEnded.IsZero() {
		r.issueEnded = time.Now()
	}
	r.cancelIssue()
}

// scheduleDone stops issuing because the schedule has no arrival left
// before the planned end: the window still ends at that end.
func (r *runCtl) scheduleDone() {
	if r.issueEnded.IsZero() && !r.end.IsZero() {
		r.issueEnded = r.end
	}
	r.endIssue()
}

// wait waits for every session goroutine, up to the drain timeout after
// issue ends (or HardStop), and returns how many it left running.
func (r *runCtl) wait() (abandoned int) {
	all := make(chan struct{})
	go func() { r.wg.Wait(); close(all) }()
	select {
	case <-all:
		r.endIssue()
		return 0
	case <-r.issue.Done():
		r.endIssue()
	case <-r.hard:
		r.endIssue()
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

// result fills the window of res: Started is the start instant, Ended the
// planned end or the moment issuing stopped before it, Drained now.
func (r *runCtl) result(res *Result) {
	res.Started = utc(r.start)
	end := r.issueEnded
	if !r.end.IsZero() && (end.IsZero() || !end.Before(r.end)) {
		end = r.end
	} else if !r.end.IsZero() {
		res.Stopped = true
	}
	if end.Before(r.start) {
		end = r.start
	}
	res.Ended = utc(end)
	drained := time.Now()
	if drained.Before(end) {
		drained = end
	}
	res.Drained = utc(drained)
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
		s, src, err := openSession(ctx, env, i)
		if err != nil {
			closeAll(sessions)
			return nil, nil, err
		}
		sessions = append(sessions, s)
		srcs = append(srcs, src)
	}
	return sessions, srcs, nil
}

// openSession opens session i and its op source.
func openSession(ctx context.Context, env *Env, i int) (Session, OpSource, error) {
	src, err := env.Ops(i)
	if err != nil {
		return nil, nil, fmt.Errorf("connection %d: %w", i, err)
	}
	s, err := env.Target.Open(ctx, i)
	if err != nil {
		return nil, src, fmt.Errorf("open session %d: %w", i, err)
	}
	return s, src, nil
}

func closeAll(ss []Session) {
	for _, s := range ss {
		s.Close()
	}
}

// waitUntil waits for t, the start of a node, unless ctx ends first; it
// reports whether t was reached and how late it is now. With spin > 0 the
// last spin of the wait is a kernel sleep for sub-millisecond precision
// (see Open.SpinWindow).
func waitUntil(ctx context.Context, t time.Time, spin time.Duration) (ok bool, late time.Duration) {
	if d := time.Until(t); d > spin {
		timer := time.NewTimer(d - spin)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return false, 0
		}
	}
	if spin > 0 {
		preciseSleepUntil(t)
	}
	if ctx.Err() != nil {
		return false, 0
	}
	return true, max(time.Since(t), 0)
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
