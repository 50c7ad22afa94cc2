package view

import (
	"fmt"
	"strings"

	"github.com/flakebench/fbctl/engine/results"
)

// writeQPSControl renders a qps_target phase's controller record: the
// verdict, the final sessions and the sessions over time.
func writeQPSControl(b *strings.Builder, q *results.QPSControl) {
	if q == nil {
		return
	}
	verdict := "not reached"
	if q.Reached {
		verdict = "reached"
	}
	fmt.Fprintf(b, "  qps target %s ops/s: %s (last intervals within ±%s), final %d sessions (bounds %d–%d), %d intervals, %d SET_WORKER_TARGET events\n",
		num(q.Target), verdict, percent(q.Deadband), q.Final, q.MinConnections, q.MaxConnections, len(q.Steps), q.Events)
	if len(q.Steps) == 0 {
		return
	}
	parts := make([]string, 0, len(q.Steps))
	for _, s := range q.Steps {
		parts = append(parts, fmt.Sprintf("%.0f@%d", s.MeasuredQPS, s.Sessions))
	}
	fmt.Fprintf(b, "  measured ops/s @ sessions per interval: %s → %d\n", strings.Join(parts, " "), q.Final)
}
