package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

// Find-max stop reasons (FindMaxResult.Reason, Step.Reason).
const (
	ReasonErrorRate   = "error_rate"
	ReasonP95Increase = "p95_increase"
	ReasonQPSDrop     = "qps_drop"
	ReasonSignal      = "signal"
	ReasonMaxReached  = "max_reached"
	ReasonStopped     = "stopped" // ctx cancelled
)

// StopSignal lets a backend say "stop" after a step, for signals the
// executor cannot see (queued queries on a warehouse, say). It returns
// true and a short reason to stop.
type StopSignal func(ctx context.Context, step Step) (stop bool, reason string)

// Step is one measured concurrency level of a find-max phase.
type Step struct {
	Concurrency int
	Started     time.Time // UTC
	Ended       time.Time // UTC
	Ops         int64
	Errors      int64
	QPS         float64
	P95US       int64
	ErrorRate   float64 // Errors / Ops
	P95Increase float64 // over the first step's p95, as a fraction
	Verify      bool    // the back-off step that re-measures the best level
	Stable      bool
	Reason      string // why the step was not stable
}

// FindMaxResult is what a find-max phase found.
//
// BestConcurrency is never a level a verification step contradicted: when
// the back-off step at the best level is unstable, that level is
// Rejected and the next best stable level below it is verified in turn
// (up to MaxVerifications levels); when none is confirmed, BestConcurrency
// is 0.
type FindMaxResult struct {
	BestConcurrency int // 0 when no step was stable, or none survived verification
	BestQPS         float64
	Reason          string // why the search stopped
	Verified        bool   // a back-off step at BestConcurrency was stable
	// Rejected lists the levels, best first, whose verification step was
	// unstable (a headline they would have made is not given).
	Rejected []int `json:",omitempty"`
	Steps    []Step
}

// MaxVerifications bounds the back-off steps of one find-max search.
const MaxVerifications = 3

// FindMax steps the concurrency of a closed model — Start, Start+Step, …
// each for StepDuration — until a step is unstable: its error rate is above
// MaxErrorRate, its p95 is more than MaxP95Increase above the first step's,
// its QPS is more than MaxQPSDrop below the best step's, or Signal says
// stop; or until Max is reached. After an unstable step it backs off once to
// the best level to verify it. A zero limit disables its condition.
type FindMax struct {
	Start, Step, Max int
	StepDuration     time.Duration
	MaxErrorRate     float64
	MaxP95Increase   float64
	MaxQPSDrop       float64
	ThinkTime        time.Duration
	Signal           StopSignal
	// SpinWindow: see Closed.SpinWindow.
	SpinWindow time.Duration
	pool
}

var _ Executor = (*FindMax)(nil)

// Open implements Executor: it opens the Start sessions of the first step.
func (f *FindMax) Open(ctx context.Context, env Env) error {
	switch {
	case f.Start < 1 || f.Step < 1 || f.StepDuration <= 0:
		return errors.New("find-max: start and step must be at least 1 and the step duration positive")
	case f.Max < f.Start:
		return fmt.Errorf("find-max: max %d is below start %d", f.Max, f.Start)
	}
	return f.pool.open(ctx, env, f.Start)
}

// Run implements Executor. Step k covers [start + k·StepDuration,
// start + (k+1)·StepDuration), so the steps of every worker of the node
// line up.
func (f *FindMax) Run(ctx context.Context, start time.Time) (Result, error) {
	st, res0, err := f.startSessions(ctx, start, 0, f.SpinWindow, f.ThinkTime)
	if st == nil {
		return res0, err
	}
	defer st.run.stop()
	run, env, sessions, late := st.run, &st.env, st.sessions, st.late
	// stopAll stops every session and drains them like the other models.
	stopped := false
	stopAll := func() int {
		if stopped {
			return 0
		}
		stopped = true
		sessions.stop()
		run.endIssue()
		return run.wait()
	}
	defer stopAll()

	reg := env.Recorder.r.reg
	phase := env.Recorder.name
	latencyOf := func(k histogram.Key) bool { return k.Metric == histogram.MetricLatency && k.Phase == phase }
	stepAt := 0 // index of the next step window
	measure := func(level int, verify bool) (Step, bool) {
		c0, h0 := env.Recorder.Counts(), reg.Merged(latencyOf)
		t0 := start.Add(time.Duration(stepAt) * f.StepDuration)
		t1 := t0.Add(f.StepDuration)
		stepAt++
		timer := newStoppedTimer()
		full := sleepCtx(timer, time.Until(t1), run.issue.Done())
		if !full {
			t1 = time.Now()
		}
		c1, h1 := env.Recorder.Counts(), reg.Merged(latencyOf)
		st := Step{Concurrency: level, Started: utc(t0), Ended: utc(t1), Verify: verify,
			Ops: c1.Ops - c0.Ops, Errors: c1.Errors - c0.Errors}
		if el := t1.Sub(t0).Seconds(); el > 0 {
			st.QPS = float64(st.Ops) / el
		}
		if st.Ops > 0 {
			st.ErrorRate = float64(st.Errors) / float64(st.Ops)
		}
		if d, err := histogram.Sub(h1, h0); err == nil && d.TotalCount() > 0 {
			st.P95US = d.ValueAtPercentile(95)
		}
		return st, full
	}

	res := &FindMaxResult{}
	var baseP95 int64
	best := -1 // index into res.Steps
	evaluate := func(st *Step) {
		if baseP95 > 0 {
			st.P95Increase = float64(st.P95US-baseP95) / float64(baseP95)
		}
		switch {
		case f.MaxErrorRate > 0 && st.ErrorRate > f.MaxErrorRate:
			st.Reason = ReasonErrorRate
		case f.MaxP95Increase > 0 && baseP95 > 0 && st.P95Increase > f.MaxP95Increase:
			st.Reason = ReasonP95Increase
		case f.MaxQPSDrop > 0 && best >= 0 && st.QPS < res.Steps[best].QPS*(1-f.MaxQPSDrop):
			st.Reason = ReasonQPSDrop
		}
		if st.Reason == "" && f.Signal != nil {
			if s, why := f.Signal(ctx, *st); s {
				st.Reason = ReasonSignal
				if why != "" {
					st.Reason += ": " + why
				}
			}
		}
		st.Stable = st.Reason == ""
	}

	// verify backs off to the best stable level below the unstable one
	// and re-measures it; a level whose re-measurement is unstable is
	// rejected and the next best below it is tried. It returns the index
	// of the confirmed step, or -1.
	verify := func(unstable int) (int, error) {
		below := unstable
		for range MaxVerifications {
			cand := -1
			for i, s := range res.Steps {
				if s.Stable && !s.Verify && s.Concurrency < below && (cand < 0 || s.QPS > res.Steps[cand].QPS) {
					cand = i
				}
			}
			if cand < 0 {
				return -1, nil
			}
			c := res.Steps[cand].Concurrency
			if err := sessions.set(ctx, c); err != nil {
				return -1, err
			}
			vs, full := measure(c, true)
			if !full {
				return -1, nil
			}
			best = cand // a QPS drop is judged against this level's own first measurement
			evaluate(&vs)
			res.Steps = append(res.Steps, vs)
			if vs.Stable {
				res.Verified = true
				return cand, nil
			}
			res.Rejected = append(res.Rejected, c)
			below = c
		}
		return -1, nil
	}

	level := f.Start
	for {
		if err := sessions.set(ctx, level); err != nil {
			return Result{}, err
		}
		st, full := measure(level, false)
		if !full {
			res.Reason = ReasonStopped
			break
		}
		if len(res.Steps) == 0 {
			baseP95 = st.P95US
		}
		evaluate(&st)
		res.Steps = append(res.Steps, st)
		env.Logger.Debug("find-max step", "concurrency", level, "qps", st.QPS, "p95_us", st.P95US, "error_rate", st.ErrorRate, "stable", st.Stable, "reason", st.Reason)
		if !st.Stable {
			res.Reason = st.Reason
			if best >= 0 && res.Steps[best].Concurrency != level {
				var err error
				best, err = verify(level)
				if err != nil {
					return Result{}, err
				}
			}
			break
		}
		if best < 0 || st.QPS > res.Steps[best].QPS {
			best = len(res.Steps) - 1
		}
		if level >= f.Max {
			res.Reason = ReasonMaxReached
			break
		}
		level = min(level+f.Step, f.Max)
	}
	if best >= 0 {
		res.BestConcurrency = res.Steps[best].Concurrency
		res.BestQPS = res.Steps[best].QPS
	}
	out := Result{Late: late, FindMax: res, PeakSessions: sessions.peak}
	out.Abandoned = stopAll()
	run.result(&out)
	out.Stopped = res.Reason == ReasonStopped
	out.Counts = env.Recorder.Counts()
	return out, nil
}
