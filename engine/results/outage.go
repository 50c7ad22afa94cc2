package results

import (
	"time"

	"github.com/flakebench/fbctl/engine/executor"
)

// WorkerOutage is one worker's connection outage in a phase: from the
// first session that lost its connection to the target to the moment the
// last got a new one (End zero: the phase ended first), on the control
// plane's clock.
type WorkerOutage struct {
	WorkerID string    `json:"worker_id"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Sessions int       `json:"sessions"` // most sessions down at once
	Errors   int64     `json:"errors"`   // failed operations and reconnect attempts
}

// OutagesOf turns an executor's outage windows into WorkerOutages, each
// instant moved to the control plane's clock by toCP.
func OutagesOf(workerID string, os []executor.Outage, toCP func(time.Time) time.Time) []WorkerOutage {
	var out []WorkerOutage
	for _, o := range os {
		w := WorkerOutage{WorkerID: workerID, Start: toCP(o.Start), Sessions: o.Sessions, Errors: o.Errors}
		if !o.End.IsZero() {
			w.End = toCP(o.End)
		}
		out = append(out, w)
	}
	return out
}
