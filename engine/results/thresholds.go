package results

import (
	"fmt"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

// ThresholdResult is one evaluated threshold (scenario threshold or
// template SLO). Limit and Actual are in the metric's unit: milliseconds
// for latency metrics (p50 … max, mean), a fraction for error_rate,
// operations per second for qps, a count for dropped.
type ThresholdResult struct {
	Name     string
	Metric   dsl.Metric
	Query    string // "": all queries
	Phase    string // "": all measurement phases
	Op       string // "below" or "above"
	Limit    float64
	Actual   float64
	Passed   bool
	Source   string // "scenario" or "slo"
	Template string // for SLOs
	// Note explains a failure that is not a crossed limit (no operation
	// in scope).
	Note string
}

// String renders "name: p99 of lookup in steady = 12.3 (below 50): ok".
func (t ThresholdResult) String() string {
	scope := ""
	if t.Query != "" {
		scope += " of " + t.Query
	}
	if t.Phase != "" {
		scope += " in " + t.Phase
	}
	verdict := "ok"
	if !t.Passed {
		verdict = "FAILED"
		if t.Note != "" {
			verdict += " (" + t.Note + ")"
		}
	}
	return fmt.Sprintf("%s: %s%s = %.4g (%s %g): %s", t.Name, t.Metric, scope, t.Actual, t.Op, t.Limit, verdict)
}

// EvaluateStored evaluates ts against a stored parent result row (its
// histograms and phase results), e.g. for `fbctl show`.
func EvaluateStored(ts []engine.ThresholdPlan, parent store.TestResult) ([]ThresholdResult, error) {
	s, err := Merge([]store.TestResult{parent}, PhaseNames(parent))
	if err != nil {
		return nil, err
	}
	return Evaluate(ts, s), nil
}

// Evaluate checks every threshold against merged results. Latency metrics
// come from the merged latency histograms of the scope (every operation,
// successful or not); error_rate is errors ÷ operations; qps is operations
// ÷ the length of the union of the scope's phase windows; dropped counts
// open-model arrivals that found no free connection (per phase: a query
// scope does not narrow it). An SLO applies to its template's queries
// only. A scope without any operation fails, with a note.
func Evaluate(ts []engine.ThresholdPlan, s *Set) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		r := ThresholdResult{Name: t.Name, Metric: t.Metric, Query: t.Query, Phase: t.Phase, Source: t.Source, Template: t.Template}
		switch {
		case t.Below != nil:
			r.Op, r.Limit = "below", *t.Below
		case t.Above != nil:
			r.Op, r.Limit = "above", *t.Above
		default:
			r.Note = "no limit"
			out = append(out, r)
			continue
		}
		inPhase := func(p string) bool { return t.Phase == "" || p == t.Phase }
		measured := map[string]bool{}
		var ops, errs, dropped int64
		for _, p := range s.Phases {
			if inPhase(p.Phase) {
				measured[p.Phase] = true
				ops += p.Counts.Total
				errs += p.Counts.Errors
				dropped += p.Counts.Dropped
			}
		}
		secs := MeasuredSeconds(s.windows(func(p string) bool { return measured[p] }))
		narrowed := t.Query != "" || (t.Source == "slo" && t.Template != "")
		keep := func(k histogram.Key) bool {
			return measured[k.Phase] && (t.Query == "" || k.Query == t.Query) &&
				(t.Source != "slo" || t.Template == "" || k.Template == t.Template)
		}
		h := s.latency(keep)
		if narrowed {
			ops = h.TotalCount()
			errs = s.latency(func(k histogram.Key) bool { return keep(k) && !k.Success }).TotalCount()
		}
		reading := Reading{Latency: histogram.Summarize(h), QPS: PerSecond(ops, secs), ErrorRate: ErrorRate(errs, ops), Dropped: float64(dropped)}
		switch v, ok := reading.Value(t.Metric); {
		case ok && t.Metric.IsLatency():
			r.Actual = v / 1000 // milliseconds, the unit of the limit
		case ok:
			r.Actual = v
		case t.Metric == dsl.MetricFindMaxLevel, t.Metric == dsl.MetricFindMaxQPS:
			// The verified best level (summed over workers) of the find_max
			// phases in scope; never a level verification rejected.
			found := false
			for p := range measured {
				for _, fm := range s.findMax[p] {
					found = true
					if t.Metric == dsl.MetricFindMaxLevel {
						r.Actual += float64(fm.BestConcurrency)
					} else {
						r.Actual += fm.BestQPS
					}
				}
			}
			if !found {
				r.Passed, r.Note = false, "no find_max phase in scope"
				out = append(out, r)
				continue
			}
		default:
			r.Note = "unknown metric"
			out = append(out, r)
			continue
		}
		if t.Below != nil {
			r.Passed = r.Actual < r.Limit
		} else {
			r.Passed = r.Actual > r.Limit
		}
		if ops == 0 && !t.Metric.PerPhase() {
			r.Passed, r.Note = false, "no measured operation in scope"
		}
		out = append(out, r)
	}
	return out
}
