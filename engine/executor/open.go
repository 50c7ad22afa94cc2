package executor

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"time"
)

// Schedule gives the arrival times of an open model: At(i) is the offset
// of arrival i (from 0) from the phase start, and false once arrival i
// falls after the end of the phase.
type Schedule interface {
	At(i int64) (time.Duration, bool)
}

// ConstantRate is the schedule of a constant arrival rate: arrival i at
// i/Rate seconds, for Duration (0: no end).
type ConstantRate struct {
	Rate     float64 // arrivals per second, > 0
	Duration time.Duration
}

// At implements Schedule.
func (c ConstantRate) At(i int64) (time.Duration, bool) {
	t := time.Duration(math.Round(float64(i) / c.Rate * 1e9))
	return t, c.Duration <= 0 || t < c.Duration
}

// DefaultGrowBackoff is how long an open model stops growing after a
// session could not be opened.
const DefaultGrowBackoff = time.Second

// Open is the open load model: operations start on the Schedule whether or
// not earlier ones finished. Latency is measured from the scheduled
// (intended) start, so a slow target cannot hide its slowness by slowing
// the load down (no coordinated omission); service time is measured from
// the actual send, and the difference, schedule lag, is recorded on its
// own.
//
// Sessions sessions are opened before the start; when an arrival finds
// every session busy and fewer than MaxSessions are open, one more is
// opened for it (k6's preAllocatedVUs and maxVUs): the arrival runs on it
// once it is open, its latency still counted from the schedule. A session
// that cannot be opened fails that arrival with error class
// SessionOpenCode, and the model stops growing for GrowBackoff. An arrival
// that finds every session busy and no room to open one is dropped,
// never queued.
//
// The pacer computes every due time from the phase start, so it never
// accumulates drift; when it falls behind it issues the overdue arrivals at
// once. With a SpinWindow it hands each arrival to a session that is free
// a short, self-adjusting lead before the arrival is due, and the session
// sends at the due time itself (see handoff): the wake-up of a parked
// session is then not part of the schedule lag. An arrival that finds no
// session free at that moment is decided at its due time, as without the
// lead.
type Open struct {
	Schedule    Schedule
	Sessions    int // opened before the start (>= 1)
	MaxSessions int // at most this many open at once (>= Sessions)
	// Duration bounds the phase (0: the schedule's end or ctx).
	Duration time.Duration
	// SpinWindow makes the pacer sleep on a runtime timer only until
	// SpinWindow before each due time and sleep the rest in the kernel
	// (nanosleep on a locked thread with a 1 µs timer slack, on Linux),
	// for sub-millisecond precision: the runtime wakes idle threads for
	// timers with millisecond granularity. 0: runtime timers only. Never
	// set it under testing/synctest, whose virtual clock the kernel does
	// not follow.
	SpinWindow time.Duration
	// GrowBackoff is how long growth pauses after a failed session open
	// (0: DefaultGrowBackoff).
	GrowBackoff time.Duration
	pool
}

// DefaultSpinWindow is the SpinWindow FromSpec gives every executor.
const DefaultSpinWindow = 2 * time.Millisecond

var _ Executor = (*Open)(nil)

// NewConstant returns the open model at a constant rate (this worker's
// share) for duration, with sessions pre-opened and at most maxSessions.
func NewConstant(rate float64, sessions, maxSessions int, duration time.Duration) *Open {
	return &Open{Schedule: ConstantRate{Rate: rate, Duration: duration}, Sessions: sessions, MaxSessions: maxSessions, Duration: duration}
}

// Open implements Executor.
func (o *Open) Open(ctx context.Context, env Env) error {
	switch {
	case o.Sessions < 1 || o.MaxSessions < o.Sessions:
		return errors.New("open model: sessions must be at least 1 and at most max sessions")
	case o.Schedule == nil:
		return errors.New("open model: no schedule")
	}
	return o.pool.open(ctx, env, o.Sessions)
}

// Run implements Executor.
func (o *Open) Run(ctx context.Context, start time.Time) (Result, error) {
	sessions, srcs, err := o.take()
	if err != nil {
		return Result{}, err
	}
	env := o.env
	run := newRunCtl(ctx, start, o.Duration, &env)
	defer run.stop()
	res := Result{}
	backoff := o.GrowBackoff
	if backoff <= 0 {
		backoff = DefaultGrowBackoff
	}

	// free holds one token per idle session: the pacer takes a token to
	// hand an arrival over (arrivals never blocks, it has room for every
	// session), or grows, or counts the arrival as dropped when there is
	// none. A session returns its token as soon as its operation ends.
	free := make(chan struct{}, o.MaxSessions)
	arrivals := make(chan time.Duration, o.MaxSessions) // intended starts on the recorder's clock
	var (
		slots      atomic.Int64 // sessions open or opening
		peak       atomic.Int64 // sessions open at once (never closed before the end)
		sessErrs   atomic.Int64
		blockUntil atomic.Int64 // recorder-clock offset before which growth pauses
	)
	// With a spin window the pacer hands arrivals over ahead of time
	// (handoff); without one (tests under testing/synctest) at their due
	// time, and ho is nil.
	var ho *handoff
	if o.SpinWindow > 0 {
		ho = newHandoff()
	}
	done := run.issue.Done()
	serve := func(s Session, src OpSource, rec *SessionRecorder) {
		defer s.Close()
		retr := retrier(s)
		for intended := range arrivals {
			q, args := src.Next()
			var start time.Duration
			if ho != nil {
				var issue bool
				if start, issue = ho.await(rec.p, intended, done); !issue {
					free <- struct{}{}
					continue
				}
			} else {
				start = rec.p.Now()
			}
			rows, qid, err := s.Exec(run.exec, q, args)
			end := rec.p.Now()
			free <- struct{}{}
			rec.Record(q, intended, start, end, rows, qid, err)
			noteRetriesOf(retr, rec)
		}
	}
	for i := range sessions {
		free <- struct{}{}
		slots.Add(1)
		peak.Add(1)
		rec := env.Recorder.Session(true)
		s, src := sessions[i], srcs[i]
		run.goSession(func() { serve(s, src, rec) })
	}
	// grow opens one more session for the arrival intended at off, in the
	// background; it runs the arrival on it, then serves like the others.
	grow := func(off time.Duration) bool {
		if int(slots.Load()) >= o.MaxSessions || env.Recorder.Now() < time.Duration(blockUntil.Load()) {
			return false
		}
		i := int(slots.Add(1) - 1)
		run.goSession(func() {
			rec := env.Recorder.Session(true)
			s, src, err := openSession(run.exec, &env, i)
			if err != nil {
				slots.Add(-1)
				sessErrs.Add(1)
				now := rec.p.Now()
				blockUntil.Store(int64(now + backoff))
				env.Logger.Warn("open model: a session could not be opened; growth paused", "sessions", slots.Load(), "error", err, "pause", backoff)
				if src != nil {
					q, _ := src.Next()
					rec.Record(q, off, now, now, 0, "", &SessionOpenError{Err: err})
				}
				return
			}
			peak.Add(1)
			q, args := src.Next()
			actual := rec.p.Now()
			rows, qid, err := s.Exec(run.exec, q, args)
			end := rec.p.Now()
			free <- struct{}{}
			rec.Record(q, off, actual, end, rows, qid, err)
			noteRetriesOf(retrier(s), rec)
			serve(s, src, rec)
		})
		return true
	}

	ok, late := waitUntil(run.issue, start, o.SpinWindow)
	res.Late = late
	endIssue := run.endIssue
	if !ok {
		res.Stopped = true
	} else if pace(done, start, o.Schedule, o.SpinWindow, ho, free, arrivals, grow, env.Recorder) {
		endIssue = run.scheduleDone
	}
	close(arrivals)
	endIssue() // start the drain
	res.Abandoned = run.wait()
	run.result(&res)
	res.Counts = env.Recorder.Counts()
	res.PeakSessions, res.SessionErrors = int(peak.Load()), sessErrs.Load()
	return res, nil
}

// pace hands arrival i of sched to a free session at t0+sched.At(i), until
// the schedule ends (it returns true) or done closes (false); an arrival
// with no free session goes to grow, and is counted as dropped when grow
// does not take it. When done closes with arrivals overdue (the pacer fell
// behind, or the phase was stopped), those due before the moment it
// closed are counted as dropped, so every arrival of the window is either
// issued or dropped.
//
// With ho set, an arrival goes to a session that is free ho's lead before
// it is due, and the session waits for the due time itself (handoff);
// when none is free then, the pacer waits for the due time and decides
// there, as without a lead: take a session that came free meanwhile, grow,
// or drop.
func pace(done <-chan struct{}, t0 time.Time, sched Schedule, spin time.Duration, ho *handoff, free <-chan struct{}, arrivals chan<- time.Duration,
	grow func(off time.Duration) bool, rec *PhaseRecorder) bool {
	t0off := t0.Sub(rec.base)
	if spin > 0 {
		defer preciseSleepSetup()()
	}
	timer := newStoppedTimer()
	// wait sleeps until t: a runtime timer until spin before it, then the
	// kernel; false when done closed first.
	wait := func(t time.Time) bool {
		if d := time.Until(t); d > spin {
			if !sleepCtx(timer, d-spin, done) {
				return false
			}
		}
		if spin > 0 {
			preciseSleepUntil(t)
		}
		return true
	}
	isDone := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	stopped := func(i int64) bool {
		stop := time.Since(t0)
		if ho != nil {
			stop = ho.stopped(t0off+stop) - t0off
		}
		for ; ; i++ {
			off, ok := sched.At(i)
			if !ok || off >= stop {
				return false
			}
			rec.Drop()
		}
	}
	// handOver gives the arrival intended at off to a free session, if
	// there is one.
	handOver := func(off time.Duration) bool {
		select {
		case <-free:
			arrivals <- off
			return true
		default:
			return false
		}
	}
	var prev time.Duration // due offset of the arrival before
	for i := int64(0); ; i++ {
		off, ok := sched.At(i)
		if !ok {
			// Sessions hold arrivals handed over ahead: the window ends
			// once the last is due.
			if ho != nil && i > 0 {
				wait(t0.Add(prev))
			}
			return true
		}
		due := t0.Add(off)
		var lead time.Duration
		if ho != nil {
			lead = ho.leadFor(off - prev)
		}
		prev = off
		if !wait(due.Add(-lead)) || isDone() {
			return stopped(i)
		}
		if handOver(t0off + off) {
			continue
		}
		if lead > 0 {
			if !wait(due) || isDone() {
				return stopped(i)
			}
			if handOver(t0off + off) {
				continue
			}
		}
		if !grow(t0off + off) {
			rec.Drop()
		}
	}
}
