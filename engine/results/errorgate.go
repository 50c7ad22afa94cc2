package results

import (
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/store"
)

// DefaultErrorRateGate is the error rate above which a run that declares
// no error_rate limit of its own is not taken as a success: more than 5 %
// of its measured operations failed, and nothing in the files says that
// is expected. A scenario threshold or a template SLO on error_rate (with
// any limit, `below = 1` included) replaces the gate: the files then say
// what is acceptable. `fbctl apply` warns and exits 4 when the gate is
// crossed (README, exit codes).
const DefaultErrorRateGate = 0.05

// ErrorGate is the default error-rate gate's verdict on a run.
type ErrorGate struct {
	// Applies is false when the run declares an error_rate threshold or
	// SLO: the gate then does not judge it.
	Applies bool
	Limit   float64 // DefaultErrorRateGate
	Actual  float64 // the run's measured error rate
	Errors  int64
	Total   int64
	// Crossed: the gate applies and Actual is above Limit.
	Crossed bool
}

// CheckErrorGate judges the run's merged (parent) row against the default
// gate, unless ts (the run's evaluated thresholds and SLOs) has one on
// error_rate.
func CheckErrorGate(ts []ThresholdResult, parent store.TestResult) ErrorGate {
	g := ErrorGate{Applies: true, Limit: DefaultErrorRateGate, Actual: parent.ErrorRate, Errors: parent.Errors, Total: parent.Total}
	for _, t := range ts {
		if t.Metric == dsl.MetricErrorRate {
			g.Applies = false
			return g
		}
	}
	g.Crossed = parent.Total > 0 && parent.ErrorRate > g.Limit
	return g
}
