package run

import (
	"context"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// hardStopStreamWait is how long a worker's stream may write after a hard
// stop (the second Ctrl-C) before the rest goes to the spill journal,
// which the next command replays.
const hardStopStreamWait = time.Second

// hardStopWait is the orchestrator's first wait for the workers after a
// hard stop; it goes on while a worker still heartbeats (anyFresh). It is
// only a bound: workers that end at once (the usual case, milliseconds)
// end the wait. On a starved machine a worker takes seconds to take its
// last interval and write its row after the stop (3.5 s measured under the
// race detector with every CPU busy), so the bound is not shorter.
func hardStopWait(o Options) time.Duration {
	return max(5*time.Second, 3*o.HeartbeatEvery)
}

// hardStopFresh is how recent a heartbeat must be for its worker to count
// as still finishing after a hard stop: not stale. A starved worker's
// heartbeats come late, not at HeartbeatEvery.
func hardStopFresh(o Options) time.Duration { return max(time.Second, o.StaleAfter) }

// anyFresh reports whether a worker that has not completed heartbeated
// within fresh.
func anyFresh(hbs []store.Heartbeat, now time.Time, fresh time.Duration) bool {
	for _, hb := range hbs {
		if hb.Status != store.WorkerCompleted && hb.Status != store.WorkerDead && now.Sub(hb.LastHeartbeat) <= fresh {
			return true
		}
	}
	return false
}

// closeStreamStopping closes the stream when the worker stops: as long as
// it makes progress, or, after a hard stop, for hardStopStreamWait, the
// rest staying in the journal for replay.
func (w *worker) closeStreamStopping(ctx, hardCtx context.Context) {
	if hardCtx.Err() == nil {
		w.closeStream(ctx)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, hardStopStreamWait)
	defer cancel()
	w.closeStream(cctx)
}
