package results

import "time"

// QPSControl is what the orchestrator's qps_target controller did in one
// phase: the target and bounds, every interval's measured rate with the
// sessions it set, and whether the target was reached (the last
// ReachedIntervals intervals within the deadband).
type QPSControl struct {
	Target         float64          `json:"target"`
	Deadband       float64          `json:"deadband"`
	MinConnections int64            `json:"min_connections"`
	MaxConnections int64            `json:"max_connections"`
	Reached        bool             `json:"reached"`
	Steps          []QPSControlStep `json:"steps"`
	Final          int64            `json:"final_sessions"`
	Events         int              `json:"events"` // SET_WORKER_TARGET events appended
}

// QPSControlStep is one control interval.
type QPSControlStep struct {
	At          time.Time `json:"at"`
	MeasuredQPS float64   `json:"measured_qps"`
	Sessions    int64     `json:"sessions"`     // before the decision
	SetSessions int64     `json:"set_sessions"` // after it (the same when inside the deadband or at a bound)
}
