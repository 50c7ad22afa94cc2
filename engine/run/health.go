package run

import (
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// failDead marks workers DEAD whose heartbeat is older than DeadAfter and
// returns the run's failure for the first dead or failed worker.
func (o *orch) failDead(h health) error {
	for _, hb := range h.dead {
		age := o.st.Now().Sub(hb.LastHeartbeat).Round(time.Millisecond)
		reason := fmt.Sprintf("no heartbeat for %s (dead after %s)", age, o.opts.DeadAfter)
		if err := o.st.SetWorkerStatus(o.bg, o.runID, hb.WorkerID, store.WorkerDead, ""); err != nil {
			o.log.Warn("marking worker dead failed", "worker", hb.WorkerID, "error", err)
		}
		return fmt.Errorf("worker %s (group %d, host %s, pid %d) is dead: %s; last status %s in %q%s",
			hb.WorkerID, hb.WorkerGroupID, hb.Host, hb.PID, reason, hb.Status, hb.Phase, lastErr(hb))
	}
	for _, hb := range h.failed {
		return fmt.Errorf("worker %s (group %d, host %s, pid %d) failed%s", hb.WorkerID, hb.WorkerGroupID, hb.Host, hb.PID, lastErr(hb))
	}
	return nil
}

func lastErr(hb store.Heartbeat) string {
	if hb.LastError == "" {
		return ""
	}
	return ": " + hb.LastError
}

// health is the workers' liveness at one moment.
type health struct {
	ready, alive, stale int
	dead                []store.Heartbeat // heartbeat older than DeadAfter
	failed              []store.Heartbeat // reported DEAD themselves
}

// checkHealth classifies heartbeats: COMPLETED workers are done and never
// stale; a worker that reported DEAD failed.
func checkHealth(hbs []store.Heartbeat, now time.Time, staleAfter, deadAfter time.Duration) health {
	var h health
	for _, hb := range hbs {
		switch {
		case hb.Status == store.WorkerCompleted:
			continue
		case hb.Status == store.WorkerDead:
			h.failed = append(h.failed, hb)
			continue
		case hb.Status == store.WorkerReady:
			h.ready++
		}
		switch age := now.Sub(hb.LastHeartbeat); {
		case age > deadAfter:
			h.dead = append(h.dead, hb)
		case age > staleAfter:
			h.stale++
		default:
			h.alive++
		}
	}
	return h
}
