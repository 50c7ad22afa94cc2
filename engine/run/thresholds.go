package run

import (
	"encoding/json"
	"fmt"

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
	Metric   string
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

// EvaluateThresholds evaluates ts against a stored parent result row (its
// histograms and phase results), e.g. for `fbctl show`.
func EvaluateThresholds(ts []engine.ThresholdPlan, parent store.TestResult) ([]ThresholdResult, error) {
	rs, _, _, err := mergeRows([]store.TestResult{parent}, phaseNamesOf(parent))
	if err != nil {
		return nil, err
	}
	return evaluate(ts, rs), nil
}

func phaseNamesOf(r store.TestResult) []string {
	var ps []struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(r.PhaseResults, &ps)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// evaluate checks every threshold against merged results. Latency metrics
// come from the merged latency histograms of the scope (every operation,
// successful or not); error_rate is errors ÷ operations; qps is operations
// ÷ the scope's phase seconds; dropped counts open-model arrivals that
// found no free connection (per phase: a query scope does not narrow it).
// A scope without any operation fails, with a note.
func evaluate(ts []engine.ThresholdPlan, rs *resultSet) []ThresholdResult {
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
		var secs float64
		var ops, errs, dropped int64
		for _, p := range rs.phases {
			if inPhase(p.Phase) {
				measured[p.Phase] = true
				secs += p.Ended.Sub(p.Started).Seconds()
				ops += p.Counts.Total
				errs += p.Counts.Errors
				dropped += p.Counts.Dropped
			}
		}
		keep := func(k histogram.Key) bool { return measured[k.Phase] && (t.Query == "" || k.Query == t.Query) }
		h := rs.latency(keep)
		if t.Query != "" {
			ops = h.TotalCount()
			errs = rs.latency(func(k histogram.Key) bool { return keep(k) && !k.Success }).TotalCount()
		}
		s := histogram.Summarize(h)
		ms := func(us int64) float64 { return float64(us) / 1000 }
		switch t.Metric {
		case "p50":
			r.Actual = ms(s.P50)
		case "p90":
			r.Actual = ms(s.P90)
		case "p95":
			r.Actual = ms(s.P95)
		case "p99":
			r.Actual = ms(s.P99)
		case "p999":
			r.Actual = ms(s.P999)
		case "max":
			r.Actual = ms(s.Max)
		case "mean":
			r.Actual = s.Mean / 1000
		case "error_rate":
			r.Actual = errorRate(errs, ops)
		case "qps":
			r.Actual = perSecond(ops, secs)
		case "dropped":
			r.Actual = float64(dropped)
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
		if ops == 0 && t.Metric != "dropped" {
			r.Passed, r.Note = false, "no measured operation in scope"
		}
		out = append(out, r)
	}
	return out
}
