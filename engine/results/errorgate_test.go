package results

import (
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

func TestCheckErrorGate(t *testing.T) {
	failing := store.TestResult{Total: 1000, Errors: 980, ErrorRate: 0.98}
	if g := CheckErrorGate(nil, failing); !g.Applies || !g.Crossed || g.Limit != DefaultErrorRateGate || g.Errors != 980 {
		t.Errorf("98%% errors and no declared limit: %+v, want crossed", g)
	}
	// At the limit is not above it.
	if g := CheckErrorGate(nil, store.TestResult{Total: 100, Errors: 5, ErrorRate: 0.05}); g.Crossed {
		t.Errorf("exactly 5%%: %+v, want not crossed", g)
	}
	// A run with no operations has no error rate to judge.
	if g := CheckErrorGate(nil, store.TestResult{}); g.Crossed {
		t.Errorf("no operations: %+v", g)
	}
	// A latency threshold does not declare what error rate is acceptable.
	if g := CheckErrorGate([]ThresholdResult{{Metric: "p99", Passed: true}}, failing); !g.Crossed {
		t.Errorf("only a p99 threshold: %+v, want crossed", g)
	}
	// A declared error_rate threshold or SLO replaces the gate, whatever its limit.
	for _, src := range []string{"scenario", "slo"} {
		ts := []ThresholdResult{{Metric: "error_rate", Op: "below", Limit: 1, Actual: 0.98, Passed: true, Source: src}}
		if g := CheckErrorGate(ts, failing); g.Applies || g.Crossed {
			t.Errorf("declared error_rate %s: %+v, want the gate not to apply", src, g)
		}
	}
}
