package run

import (
	"github.com/flakebench/fbctl/engine/results"
)

// FindMaxOutcomes returns the find_max result of every phase that has
// one: the workers' best levels summed, Verified only when every worker
// verified its level, and the levels verification rejected. `fbctl show`
// rebuilds them from the stored phase results the same way.
func FindMaxOutcomes(phases []results.PhaseSummary) []FindMaxOutcome {
	var out []FindMaxOutcome
	for _, ph := range phases {
		if len(ph.FindMax) == 0 {
			continue
		}
		fm := FindMaxOutcome{Phase: ph.Name, Workers: ph.FindMax, Verified: true}
		for _, w := range ph.FindMax {
			fm.BestConcurrency += w.BestConcurrency
			fm.BestQPS += w.BestQPS
			fm.Verified = fm.Verified && w.Verified
			fm.Rejected = append(fm.Rejected, w.Rejected...)
		}
		out = append(out, fm)
	}
	return out
}
