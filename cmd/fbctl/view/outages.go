package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/results"
)

// writeOutages prints the windows in which a phase's sessions had lost
// their target connections, one line per worker outage.
func writeOutages(b *strings.Builder, ph results.PhaseSummary) {
	for _, o := range ph.Outages {
		fmt.Fprintf(b, "  target connection outage: %s %s → ", o.WorkerID, o.Start.UTC().Format("15:04:05.000"))
		if o.End.IsZero() {
			b.WriteString("not back when the phase ended")
		} else {
			fmt.Fprintf(b, "%s (%s)", o.End.UTC().Format("15:04:05.000"), o.End.Sub(o.Start).Round(time.Millisecond))
		}
		fmt.Fprintf(b, ", %s down at most, %s during it", Plural(o.Sessions, "session", "sessions"), Plural(int(o.Errors), "error", "errors"))
		if !o.End.IsZero() {
			b.WriteString("; every session reconnected")
		}
		b.WriteString("\n")
	}
}
