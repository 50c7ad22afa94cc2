package view

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/flakebench/fbctl/engine/run"
)

// writeFindMax renders a find_max phase's outcome: the headline (only a
// level no verification contradicted), what verification said, and every
// worker's step history.
func writeFindMax(b *strings.Builder, fm run.FindMaxOutcome) {
	switch {
	case fm.BestConcurrency == 0 && len(fm.Rejected) > 0:
		fmt.Fprintf(b, "\nFind-max %s: no stable level: verification rejected %s\n", fm.Phase, ints(fm.Rejected))
	case fm.BestConcurrency == 0:
		fmt.Fprintf(b, "\nFind-max %s: no stable level (the first step was already unstable)\n", fm.Phase)
	default:
		fmt.Fprintf(b, "\nFind-max %s: best stable concurrency %d at %.1f ops/s", fm.Phase, fm.BestConcurrency, fm.BestQPS)
		switch {
		case fm.Verified:
			b.WriteString(", verified by a back-off step")
		default:
			b.WriteString(", not verified (no back-off step ran)")
		}
		if len(fm.Rejected) > 0 {
			fmt.Fprintf(b, "; verification rejected %s", ints(fm.Rejected))
		}
		b.WriteString("\n")
	}
	for i, w := range fm.Workers {
		if len(fm.Workers) > 1 {
			fmt.Fprintf(b, "  worker group %d: best %d, stopped on %s\n", i, w.BestConcurrency, w.Reason)
		} else {
			fmt.Fprintf(b, "  stopped on %s\n", w.Reason)
		}
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "    STEP\tCONCURRENCY\tOPS/S\tP95\tERRORS\tRESULT\t")
		for j, s := range w.Steps {
			verdict := "stable"
			if !s.Stable {
				verdict = "unstable: " + s.Reason
			}
			if s.Verify {
				verdict = "verify, " + verdict
			}
			fmt.Fprintf(tw, "    %d\t%d\t%.1f\t%s\t%s\t%s\t\n", j+1, s.Concurrency, s.QPS, Micros(s.P95US), percent(s.ErrorRate), verdict)
		}
		tw.Flush()
	}
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
