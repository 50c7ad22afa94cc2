package executor

import (
	"context"
	"errors"
	"time"
)

// Closed is the closed load model: Connections sessions, each sending its
// next operation as soon as the previous one (plus ThinkTime) is done, for
// Duration (0: until ctx is cancelled).
type Closed struct {
	Connections int
	Duration    time.Duration
	ThinkTime   time.Duration
}

var _ Executor = (*Closed)(nil)

// Run implements Executor.
func (c *Closed) Run(ctx context.Context, env Env) (Result, error) {
	if err := env.check(); err != nil {
		return Result{}, err
	}
	if c.Connections < 1 {
		return Result{}, errors.New("closed model: connections must be at least 1")
	}
	sessions, srcs, err := openSessions(ctx, &env, 0, c.Connections)
	if err != nil {
		return Result{}, err
	}
	run := newRunCtl(ctx, c.Duration, &env)
	defer run.stop()
	res := Result{Started: utc(time.Now())}
	for i := range sessions {
		rec := env.Recorder.Session(false)
		run.goSession(func() {
			defer sessions[i].Close()
			closedLoop(run.issue.Done(), run.exec, sessions[i], srcs[i], rec, c.ThinkTime)
		})
	}
	res.Abandoned = run.wait()
	res.Ended = utc(time.Now())
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
		start = end
		if think > 0 {
			if !sleepCtx(timer, think, done) {
				return
			}
			start = rec.p.Now()
		}
	}
}
