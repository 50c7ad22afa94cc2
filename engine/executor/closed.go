package executor

import (
	"context"
	"errors"
	"time"
)

// Closed is the closed load model: Sessions sessions, each sending its
// next operation as soon as the previous one (plus ThinkTime) is done, for
// Duration from the start (0: until ctx is cancelled).
type Closed struct {
	Sessions  int
	Duration  time.Duration
	ThinkTime time.Duration
	// SpinWindow is how much of the wait for the start is a kernel sleep
	// (see Open.SpinWindow); 0 under testing/synctest.
	SpinWindow time.Duration
	pool
}

var _ Executor = (*Closed)(nil)

// Open implements Executor.
func (c *Closed) Open(ctx context.Context, env Env) error {
	if c.Sessions < 1 {
		return errors.New("closed model: sessions must be at least 1")
	}
	return c.pool.open(ctx, env, c.Sessions)
}

// Run implements Executor.
func (c *Closed) Run(ctx context.Context, start time.Time) (Result, error) {
	sessions, srcs, err := c.take()
	if err != nil {
		return Result{}, err
	}
	env := c.env
	run := newRunCtl(ctx, start, c.Duration, &env)
	defer run.stop()
	res := Result{PeakSessions: len(sessions)}
	// Before the start: moving the sessions' sockets is not the phase's time.
	mux := c.ThinkTime == 0 && multiplex(sessions)
	ok, late := waitUntil(run.issue, start, c.SpinWindow)
	res.Late = late
	if !ok {
		closeAll(sessions)
		run.endIssue()
		run.result(&res)
		res.Stopped = true
		return res, nil
	}
	if mux {
		loops := make([]func(context.Context), len(sessions))
		for i := range sessions {
			rec := env.Recorder.Session(false)
			loops[i] = func(ctx context.Context) {
				defer sessions[i].Close()
				closedLoop(run.issue.Done(), ctx, sessions[i], srcs[i], rec, 0)
			}
		}
		run.goMultiplexed(loops)
	} else {
		for i := range sessions {
			rec := env.Recorder.Session(false)
			run.goSession(func() {
				defer sessions[i].Close()
				closedLoop(run.issue.Done(), run.exec, sessions[i], srcs[i], rec, c.ThinkTime)
			})
		}
	}
	res.Abandoned = run.wait()
	run.result(&res)
	res.Counts = env.Recorder.Counts()
	return res, nil
}

// closedLoop runs one connection until done closes. An operation's start
// is the moment the session was free to send it: the end of the previous
// operation (or of its think time). Reusing that timestamp takes one clock
// read per operation instead of two; the time between the two (choosing
// the next query and its arguments, tens of nanoseconds) counts as the
// client's part of the latency.
func closedLoop(done <-chan struct{}, exec context.Context, s Session, src OpSource, rec *SessionRecorder, think time.Duration) {
	var timer *time.Timer
	if think > 0 {
		timer = newStoppedTimer()
	}
	retr := retrier(s)
	start := rec.p.Now()
	for {
		select {
		case <-done:
			return
		default:
		}
		q, args := src.Next()
		rows, qid, err := s.Exec(exec, q, args)
		end := rec.p.Now()
		rec.Record(q, start, start, end, rows, qid, err)
		noteRetriesOf(retr, rec)
		start = end
		if think > 0 {
			if !sleepCtx(timer, think, done) {
				return
			}
			start = rec.p.Now()
		}
	}
}
