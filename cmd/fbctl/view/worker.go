package view

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/run"
)

// WorkerLog renders a `fbctl worker` process's steps as plain lines: what
// it waits for, the group it claimed, each node it prepares, starts and
// ends. It implements run.WorkerHook.
type WorkerLog struct {
	W   io.Writer
	Now func() time.Time

	mu sync.Mutex
}

var _ run.WorkerHook = (*WorkerLog)(nil)

// Waiting says the worker waits for its run to be created.
func (l *WorkerLog) Waiting(runID, store string, wait time.Duration) {
	l.printf("worker: waiting up to %s for run %s to appear in %s (start it with `fbctl apply -workers external -run-id %s`)",
		wait, runID, store, runID)
}

// WorkerEvent implements run.WorkerHook.
func (l *WorkerLog) WorkerEvent(ev run.WorkerEvent) {
	who := fmt.Sprintf("worker %s (WORKER_GROUP_ID %d)", ev.WorkerID, ev.Group)
	switch ev.Kind {
	case run.WorkerClaimed:
		l.printf("worker %s: joined run %s as WORKER_GROUP_ID %d; reading its plan and opening the targets", ev.WorkerID, ev.RunID, ev.Group)
	case run.WorkerReady:
		l.printf("%s: ready (%s in the plan); waiting for the orchestrator to start the run once every worker is ready",
			who, Plural(int(ev.Workers), "worker", "workers"))
	case run.WorkerNodePrepared:
		l.printf("%s: %s: opening sessions; waiting for the common start instant", who, ev.Node)
	case run.WorkerNodeStarting:
		l.printf("%s: %s: starts at %s UTC (control plane's clock)", who, ev.Node, ev.At.UTC().Format("15:04:05.000"))
	case run.WorkerNodeFinished:
		if ev.Err != nil {
			l.printf("%s: %s: failed: %v", who, ev.Node, ev.Err)
			return
		}
		l.printf("%s: %s: finished", who, ev.Node)
	case run.WorkerStopping:
		l.printf("%s: the run is stopping; draining in-flight operations and writing results", who)
	case run.WorkerDone:
		l.printf("%s: results written (%s); done", who, ev.Detail)
	default:
		l.printf("%s: %s %s", who, ev.Kind, ev.Node)
	}
}

func (l *WorkerLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	fmt.Fprintf(l.W, "%s %s\n", now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}
