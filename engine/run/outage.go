package run

import (
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/results"
)

// reconnecting wraps a node's target so that its sessions reconnect after
// a connection-level error (a target restart), with the connection type's
// classifier.
func reconnecting(t executor.Target, classify executor.Classifier) *executor.Reconnector {
	return &executor.Reconnector{Target: t, Classify: classify}
}

// reportOutages logs a node's connection outages once, at its end (never
// per operation).
func (w *worker) reportOutages(node string, os []results.WorkerOutage) {
	for _, o := range os {
		if o.End.IsZero() {
			w.log.Warn("target connections lost and not back when the node ended", "node", node,
				"since", o.Start, "sessions", o.Sessions, "errors", o.Errors)
			continue
		}
		w.log.Warn("target connections lost and reconnected", "node", node, "from", o.Start, "to", o.End,
			"outage", o.End.Sub(o.Start), "sessions", o.Sessions, "errors", o.Errors)
	}
}
