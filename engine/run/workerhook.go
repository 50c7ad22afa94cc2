package run

import "time"

// WorkerHook follows one worker through a run, for a person watching a
// `fbctl worker` process: what it waits for, the group it claimed, and
// each node it prepares, starts and ends. It is called from the worker's
// control loop, never from the hot path; implementations must not block.
type WorkerHook interface {
	WorkerEvent(WorkerEvent)
}

// WorkerEvent kinds, in the order a worker meets them.
const (
	WorkerClaimed      = "claimed"       // Group is the WORKER_GROUP_ID it claimed
	WorkerReady        = "ready"         // targets open; it waits for the run's START
	WorkerNodePrepared = "node_prepared" // SET_PHASE: it opens Node's sessions and waits for START_PHASE
	WorkerNodeStarting = "node_starting" // START_PHASE: Node starts At (control plane's clock)
	WorkerNodeFinished = "node_finished" // Node ended on this worker (Err when it failed)
	WorkerStopping     = "stopping"      // the run stops: Detail is the status its row gets
	WorkerDone         = "done"          // its result row is written
)

// WorkerEvent is one step of a worker.
type WorkerEvent struct {
	Kind     string
	RunID    string
	WorkerID string
	Group    int
	Workers  int64 // the plan's worker count (0 before the plan is read)
	Node     string
	At       time.Time
	Detail   string
	Err      error
}

// emit reports an event to the worker's hook, if it has one.
func (w *worker) emit(ev WorkerEvent) {
	if w.opts.Hook == nil {
		return
	}
	ev.RunID, ev.WorkerID, ev.Group, ev.Workers = w.runID, w.id, w.group, w.plan.Workers
	w.opts.Hook.WorkerEvent(ev)
}
