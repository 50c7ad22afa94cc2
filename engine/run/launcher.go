package run

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// launchInProcess starts the planned workers as goroutine groups of this
// process, running exactly the code of JoinWorker (each with its own target
// pool, talking to the orchestrator only through the store). Groups are
// claimed in order, so worker-N holds WORKER_GROUP_ID N. The returned
// function ends the workers (after they reported COMPLETED, or to abandon
// them) and waits for them.
func (o *orch) launchInProcess(ctx context.Context) (stop func()) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	host, _ := os.Hostname()
	pid := os.Getpid()
	var wg sync.WaitGroup
	for i := 0; i < int(o.plan.Workers); i++ {
		id := fmt.Sprintf("worker-%d", i)
		wo := WorkerOptions{Store: o.st, Config: o.cfg, Logger: o.opts.Logger, WorkerID: id, Host: host, PID: pid,
			HeartbeatEvery: o.opts.HeartbeatEvery, PollEvery: o.opts.PollEvery, DrainTimeout: o.opts.DrainTimeout, LeaseTTL: o.opts.LeaseTTL,
			CancelInFlight: o.opts.CancelInFlight, Sink: o.opts.Sink, Stream: o.opts.Stream, Targets: o.opts.Targets, Classifiers: o.opts.Classifiers, openTarget: o.opts.workerOpenTarget}
		group, err := o.st.ClaimWorkerGroup(o.bg, o.runID, id, host, pid, i)
		if err != nil {
			// The join wait reports the missing worker.
			o.log.Error("in-process worker could not join", "worker", id, "error", err)
			continue
		}
		c := wctx
		if o.opts.workerStore != nil {
			wo.Store = o.opts.workerStore(group, wo.Store)
		}
		if o.opts.workerCtx != nil {
			c = o.opts.workerCtx(group, wctx)
		}
		wg.Go(func() {
			if err := runClaimed(c, o.runID, group, wo); err != nil && c.Err() == nil {
				o.log.Warn("in-process worker ended with an error", "worker", id, "error", err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
