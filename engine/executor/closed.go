package executor

import (
	"context"
	"errors"
	"sync"
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
	defer closeAll(sessions)
	issue, exec, stop := runContexts(ctx, c.Duration, env.DrainTimeout, env.HardStop)
	defer stop()
	res := Result{Started: utc(time.Now())}
	var wg sync.WaitGroup
	for i := range sessions {
		rec := env.Recorder.Session(false)
		wg.Go(func() { closedLoop(issue.Done(), exec, sessions[i], srcs[i], rec, c.ThinkTime) })
	}
	wg.Wait()
	res.Ended = utc(time.Now())
	res.Counts = env.Recorder.Counts()
	return res, nil
}

// closedLoop runs one connection until done closes.
func closedLoop(done <-chan struct{}, exec context.Context, s Session, src OpSource, rec *SessionRecorder, think time.Duration) {
	var timer *time.Timer
	if think > 0 {
		timer = newStoppedTimer()
	}
	for {
		select {
		case <-done:
			return
		default:
		}
		q, args := src.Next()
		start := time.Now()
		rows, qid, err := s.Exec(exec, q, args)
		end := time.Now()
		rec.Record(q, start, start, end, rows, qid, err)
		if think > 0 && !sleepCtx(timer, think, done) {
			return
		}
	}
}
