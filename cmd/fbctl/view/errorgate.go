package view

import (
	"fmt"
	"io"

	"github.com/flakebench/fbctl/engine/results"
)

// ErrorGateWarning explains a run that crossed the default error-rate
// gate: most of what it measured may be errors, and nothing declared that
// acceptable.
func ErrorGateWarning(w io.Writer, g results.ErrorGate) error {
	_, err := fmt.Fprintf(w, "\nWarning: %s of the measured operations failed (%d of %d), above the default gate of %g%%, and the scenario declares no error_rate threshold.\n"+
		"  The numbers above may measure errors, not the workload: see the errors per phase above, or `fbctl show RUN_ID`.\n"+
		"  If errors are expected, say how many in the scenario, for example:\n"+
		"    threshold \"errors\" {\n      metric = \"error_rate\"\n      below  = 0.5\n    }\n"+
		"  apply exits 4 for this run.\n",
		percent(g.Actual), g.Errors, g.Total, 100*g.Limit)
	return err
}
