package run

import (
	"context"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// streamDrainKey is the WORKER_HEARTBEATS.NODE_STATES entry a worker adds
// while its stream writes what is left at the end (no load node has this
// name).
const streamDrainKey = "stream"

// DrainProgress is the workers' end-of-run write of their query
// executions: the orchestrator waits for it as long as it makes progress.
type DrainProgress struct {
	RunID    string
	Workers  int   // workers still writing
	Written  int64 // rows they have written so far
	Pending  int64 // rows they still hold (memory and spill journal)
	Waited   time.Duration
	Deadline time.Duration // how long the orchestrator waits without progress
}

// DrainHook is implemented by a Hook that shows DrainProgress (optional,
// so that every Hook need not know it). It is called from the
// orchestrator's goroutine, about once a poll interval while workers write.
type DrainHook interface {
	Draining(DrainProgress)
}

// reportDrain marks the worker's stream as writing its rest and
// heartbeats every HeartbeatEvery with its progress (rows written and
// pending) until the returned function is called, so that the
// orchestrator waits for it as long as it makes progress.
func (w *worker) reportDrain(ctx context.Context) (stop func()) {
	w.draining.Store(true)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.opts.HeartbeatEvery)
		defer t.Stop()
		for {
			w.heartbeat(hctx)
			select {
			case <-hctx.Done():
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		w.draining.Store(false)
	}
}

// drainState adds the stream's drain progress to a heartbeat's node
// states while the stream writes its rest.
func (w *worker) drainState(states map[string]nodeState) {
	// draining first: it is set after the stream exists, so reading the
	// flag orders this goroutine after startStream's write.
	if !w.draining.Load() || w.stream == nil {
		return
	}
	st := w.stream.Stats()
	states[streamDrainKey] = nodeState{State: "draining", Written: st.Written,
		Pending: st.Buffered + st.JournalPending}
}

// drainWatch follows the workers' drain progress in their heartbeats.
type drainWatch struct {
	start   time.Time
	written map[string]int64 // by worker
	cur     DrainProgress
}

func newDrainWatch() *drainWatch {
	return &drainWatch{start: time.Now(), written: map[string]int64{}}
}

// observe reads the latest heartbeats and reports whether a worker that
// is alive wrote rows since the last call (or started writing).
func (d *drainWatch) observe(hbs []store.Heartbeat, _ health) bool {
	progress := false
	d.cur = DrainProgress{Waited: time.Since(d.start)}
	for _, hb := range hbs {
		if hb.Status == store.WorkerCompleted || hb.Status == store.WorkerDead {
			continue
		}
		ns, ok := nodeStatesOf(hb)[streamDrainKey]
		if !ok || ns.State != "draining" {
			continue
		}
		d.cur.Workers++
		d.cur.Written += ns.Written
		d.cur.Pending += ns.Pending
		if last, seen := d.written[hb.WorkerID]; !seen || ns.Written > last {
			progress = true
		}
		d.written[hb.WorkerID] = ns.Written
	}
	return progress
}

func (d *drainWatch) progress() DrainProgress { return d.cur }

func (o *orch) reportDrain(p DrainProgress) {
	p.RunID, p.Deadline = o.runID, o.opts.DrainTimeout+o.opts.DeadAfter
	if h, ok := o.hook.(DrainHook); ok {
		h.Draining(p)
	}
}

// executionCounter is the part of the store that counts QUERY_EXECUTIONS
// rows (*store.Store).
type executionCounter interface {
	CountQueryExecutions(ctx context.Context, f store.QueryExecutionFilter) (int64, error)
}

var _ executionCounter = (*store.Store)(nil)

// trueStreamCounts makes the parent row's ROWS_STORED what
// QUERY_EXECUTIONS holds for the run, whatever the workers could report
// (a worker abandoned by a hard stop, or whose row is older than its last
// write, would make the sum of the children low).
func (o *orch) trueStreamCounts(p *store.TestResult, _ []store.TestResult) {
	c, ok := o.st.(executionCounter)
	if !ok {
		return
	}
	n, err := c.CountQueryExecutions(o.bg, store.QueryExecutionFilter{RunID: o.runID})
	if err != nil {
		o.log.Warn("stored query executions not counted; ROWS_STORED is the workers' sum", "error", err)
		return
	}
	p.RowsStored = n
}
