package engine

import (
	"fmt"
	"math"
	"strconv"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

// DefaultMaxConnectionsPerWorker is the per-worker session cap used by
// scaling modes auto and bounded when max_connections_per_worker is unset
// (FlakeBench's historical default).
const DefaultMaxConnectionsPerWorker = 200

// WorkerCount is a resolved worker count and how it was resolved.
type WorkerCount struct {
	Workers int64
	Scaling ScalingPlan
}

// ResolveWorkers turns a phase's workers/scaling into a worker count for a
// connection budget:
//
//   - no scaling block: workers, or 1 when unset;
//   - auto: ceil(budget / max_connections_per_worker), clamped to
//     [min_workers, max_workers] (min 1; max 0 means no upper bound);
//   - bounded: the same, but above max_workers is an error (the budget
//     cannot be served without overloading workers);
//   - fixed: min_workers (at least 1).
//
// It does not check the count against the budget; Split does.
func ResolveWorkers(workers int64, sc *dsl.Scaling, budget int64) (WorkerCount, error) {
	if sc == nil {
		if workers <= 0 {
			workers = 1
		}
		return WorkerCount{Workers: workers, Scaling: ScalingPlan{Mode: ScaleWorkers}}, nil
	}
	plan := ScalingPlan{Mode: sc.Mode, MinWorkers: sc.MinWorkers, MaxWorkers: sc.MaxWorkers, MaxConnectionsPerWorker: sc.MaxConnectionsPerWorker}
	if sc.MinWorkers < 0 || sc.MaxWorkers < 0 || sc.MaxConnectionsPerWorker < 0 {
		return WorkerCount{}, fmt.Errorf("scaling limits must not be negative")
	}
	if sc.MaxWorkers > 0 && sc.MinWorkers > sc.MaxWorkers {
		return WorkerCount{}, fmt.Errorf("min_workers (%d) is greater than max_workers (%d)", sc.MinWorkers, sc.MaxWorkers)
	}
	perWorker := sc.MaxConnectionsPerWorker
	if perWorker == 0 {
		perWorker = DefaultMaxConnectionsPerWorker
		plan.MaxConnectionsPerWorker = perWorker
	}
	minW := max(sc.MinWorkers, 1)
	switch sc.Mode {
	case dsl.ScaleFixed:
		return WorkerCount{Workers: minW, Scaling: plan}, nil
	case dsl.ScaleAuto, dsl.ScaleBounded:
		n := max(ceilDiv(budget, perWorker), minW)
		if sc.MaxWorkers > 0 && n > sc.MaxWorkers {
			if sc.Mode == dsl.ScaleBounded {
				return WorkerCount{}, fmt.Errorf("%d connections need %d workers at %d connections per worker, more than max_workers = %d",
					budget, n, perWorker, sc.MaxWorkers)
			}
			n = sc.MaxWorkers
		}
		return WorkerCount{Workers: n, Scaling: plan}, nil
	}
	return WorkerCount{}, fmt.Errorf("unknown scaling mode %q", sc.Mode)
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// SplitConnections splits total connections over workers exactly: each
// worker gets total/workers and the remainder goes one each to the lowest
// WORKER_GROUP_IDs. The shares sum to total.
func SplitConnections(total, workers int64) []int64 {
	if workers <= 0 {
		return nil
	}
	out := make([]int64, workers)
	base, rem := total/workers, total%workers
	for i := range out {
		out[i] = base
		if int64(i) < rem {
			out[i]++
		}
	}
	return out
}

// SplitRate splits a total rate (ops/s) over workers exactly: the integer
// part of the rate is split like connections (remainder to the lowest group
// ids) and the fractional rest is added to group 0. Group 0 is computed as
// rate minus the other (whole) shares, so the shares sum to rate exactly in
// float64, in any summation order.
func SplitRate(rate float64, workers int64) []float64 {
	if workers <= 0 {
		return nil
	}
	out := make([]float64, workers)
	whole := math.Floor(rate)
	if whole < 0 || whole > 1<<53 || !finite(rate) {
		out[0] = rate
		return out
	}
	ints := SplitConnections(int64(whole), workers)
	var others int64
	for i := 1; i < len(ints); i++ {
		out[i] = float64(ints[i])
		others += ints[i]
	}
	out[0] = rate - float64(others) // exact: rate and others are multiples of ulp(rate)
	return out
}

// phaseAssignments gives every worker of a resolved phase its load: the
// phase's sessions, max sessions and rate split exactly (SplitConnections,
// SplitRate), a ramp scaled by the worker's share of the peak rate, and
// find_max start, step and ceiling split like sessions (at least 1 each).
func phaseAssignments(pp *PhasePlan) []WorkerAssignment {
	out := make([]WorkerAssignment, pp.Workers)
	sessions := SplitConnections(pp.Sessions, pp.Workers)
	maxes := SplitConnections(pp.Connections, pp.Workers)
	var rates []float64
	if pp.Model.IsOpen() {
		rates = SplitRate(pp.Rate, pp.Workers)
	}
	var mins []int64
	if q := pp.QPSTarget; q != nil {
		rates, mins = SplitRate(pp.Rate, pp.Workers), SplitConnections(q.MinConnections, pp.Workers)
	}
	var fmStart, fmStep, fmMax []int64
	if fm := pp.FindMax; fm != nil {
		fmStart, fmStep, fmMax = SplitConnections(fm.Start, pp.Workers), SplitConnections(fm.Step, pp.Workers), SplitConnections(fm.Max, pp.Workers)
	}
	for i := range out {
		l := load.Spec{Model: pp.Model, Duration: pp.Duration, ThinkTime: pp.ThinkTime}
		switch pp.Model {
		case load.Closed:
			l.Sessions = sessions[i]
		case load.Open, load.Ramp:
			l.Sessions, l.MaxSessions, l.Rate = sessions[i], maxes[i], rates[i]
			if r := pp.Ramp; r != nil && pp.Rate > 0 {
				ratio := rates[i] / pp.Rate
				l.Ramp = &load.RampSpec{From: r.From * ratio, To: r.To * ratio, Over: r.Over}
			}
		case load.QPSTarget:
			l.MinSessions = max(mins[i], 1)
			l.Sessions, l.MaxSessions, l.Rate = max(sessions[i], l.MinSessions), max(maxes[i], sessions[i], l.MinSessions), rates[i]
		case load.FindMax:
			fm := pp.FindMax
			f := &load.FindMaxSpec{Start: max(fmStart[i], 1), Step: max(fmStep[i], 1), StepDuration: fm.StepDuration,
				MaxErrorRate: fm.MaxErrorRate, MaxP95Increase: fm.MaxP95Increase, MaxQPSDrop: fm.MaxQPSDrop}
			f.Max = max(fmMax[i], f.Start)
			l.Sessions, l.MaxSessions, l.FindMax = f.Start, f.Max, f
		}
		out[i] = WorkerAssignment{WorkerID: WorkerID(int64(i)), WorkerGroupID: int64(i), Load: l}
	}
	return out
}

// warmupAssignments splits a warmup's closed load over its workers.
func warmupAssignments(w *WarmupPlan, think load.Duration) []WorkerAssignment {
	out := make([]WorkerAssignment, w.Workers)
	for i, n := range SplitConnections(w.Connections, w.Workers) {
		out[i] = WorkerAssignment{WorkerID: WorkerID(int64(i)), WorkerGroupID: int64(i),
			Load: load.Spec{Model: load.Closed, Duration: w.Duration, Sessions: n, ThinkTime: think}}
	}
	return out
}

// WorkerID returns the WORKER_ID of a worker group: "worker-<id>".
func WorkerID(group int64) string { return "worker-" + strconv.FormatInt(group, 10) }
