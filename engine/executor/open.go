package executor

import (
	"context"
	"errors"
	"math"
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

// Open is the open load model: operations start on the Schedule whether or
// not earlier ones finished, on at most MaxConnections sessions. Latency is
// measured from the scheduled (intended) start, so a slow target cannot
// hide its slowness by slowing the load down (no coordinated omission);
// service time is measured from the actual send, and the difference,
// schedule lag, is recorded on its own. An arrival that finds every
// session busy is counted as dropped, never queued.
//
// The pacer computes every due time from the phase start, so it never
// accumulates drift; when it falls behind it issues the overdue arrivals at
// once.
type Open struct {
	Schedule       Schedule
	MaxConnections int
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
}

// DefaultSpinWindow is the SpinWindow New gives open and ramp phases.
const DefaultSpinWindow = 2 * time.Millisecond

var _ Executor = (*Open)(nil)

// NewConstant returns the open model at a constant rate (this worker's
// share) for duration.
func NewConstant(rate float64, maxConnections int, duration time.Duration) *Open {
	return &Open{Schedule: ConstantRate{Rate: rate, Duration: duration}, MaxConnections: maxConnections, Duration: duration}
}

// Run implements Executor.
func (o *Open) Run(ctx context.Context, env Env) (Result, error) {
	if err := env.check(); err != nil {
		return Result{}, err
	}
	if o.MaxConnections < 1 {
		return Result{}, errors.New("open model: max connections must be at least 1")
	}
	if o.Schedule == nil {
		return Result{}, errors.New("open model: no schedule")
	}
	sessions, srcs, err := openSessions(ctx, &env, 0, o.MaxConnections)
	if err != nil {
		return Result{}, err
	}
	run := newRunCtl(ctx, o.Duration, &env)
	defer run.stop()

	// free holds one token per idle session: the pacer takes a token to
	// hand an arrival over (arrivals never blocks, it has room for every
	// session), or counts the arrival as dropped when there is none. A
	// session returns its token as soon as its operation ends.
	free := make(chan struct{}, len(sessions))
	arrivals := make(chan time.Duration, len(sessions)) // intended starts on the recorder's clock
	for i := range sessions {
		free <- struct{}{}
		rec := env.Recorder.Session(true)
		s, src := sessions[i], srcs[i]
		run.goSession(func() {
			defer s.Close()
			for intended := range arrivals {
				q, args := src.Next()
				start := rec.p.Now()
				rows, qid, err := s.Exec(run.exec, q, args)
				end := rec.p.Now()
				free <- struct{}{}
				rec.Record(q, intended, start, end, rows, qid, err)
			}
		})
	}

	t0 := time.Now()
	res := Result{Started: utc(t0)}
	pace(run.issue.Done(), t0, o.Schedule, o.SpinWindow, free, arrivals, env.Recorder)
	close(arrivals)
	run.cancelIssue() // the schedule is over: start the drain
	res.Abandoned = run.wait()
	res.Ended = utc(time.Now())
	res.Counts = env.Recorder.Counts()
	return res, nil
}

// pace hands arrival i of sched to a free session at t0+sched.At(i), until
// the schedule ends or done closes; arrivals with no free session are
// counted as dropped.
func pace(done <-chan struct{}, t0 time.Time, sched Schedule, spin time.Duration, free <-chan struct{}, arrivals chan<- time.Duration, rec *PhaseRecorder) {
	t0off := t0.Sub(rec.base)
	if spin > 0 {
		defer preciseSleepSetup()()
	}
	timer := newStoppedTimer()
	for i := int64(0); ; i++ {
		off, ok := sched.At(i)
		if !ok {
			return
		}
		due := t0.Add(off)
		if d := time.Until(due); d > spin {
			if !sleepCtx(timer, d-spin, done) {
				return
			}
		}
		if spin > 0 {
			preciseSleepUntil(due)
			select {
			case <-done:
				return
			default:
			}
		} else {
			select {
			case <-done:
				return
			default:
			}
		}
		select {
		case <-free:
			arrivals <- t0off + off
		default:
			rec.Drop()
		}
	}
}
