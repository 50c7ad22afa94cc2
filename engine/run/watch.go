package run

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// watcher polls the workers' heartbeats for the orchestrator, once every
// PollEvery: nodes wait on it for their workers, it fails the run when a
// worker dies, and it drives the live view once a heartbeat interval.
type watcher struct {
	o       *orch
	mu      sync.Mutex
	hbs     []store.Heartbeat
	err     error         // sticky: a dead or failed worker
	changed chan struct{} // closed and replaced after every poll
	conds   condLog       // store problems, logged once per change
}

func newWatcher(o *orch) *watcher { return &watcher{o: o, changed: make(chan struct{})} }

func (w *watcher) heartbeats() []store.Heartbeat {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hbs
}

func (w *watcher) run(ctx context.Context) {
	o := w.o
	poll := time.NewTicker(o.opts.PollEvery)
	defer poll.Stop()
	lastProgress := time.Now()
	for {
		hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
		if err != nil {
			w.conds.fail(o.log, "reading heartbeats", err)
		} else {
			w.conds.ok(o.log, "reading heartbeats")
			h := checkHealth(hbs, o.st.Now(), o.opts.StaleAfter, o.opts.DeadAfter)
			ferr := o.failDead(h)
			w.mu.Lock()
			w.hbs = hbs
			if w.err == nil {
				w.err = ferr
			}
			close(w.changed)
			w.changed = make(chan struct{})
			w.mu.Unlock()
			if time.Since(lastProgress) >= o.opts.HeartbeatEvery {
				lastProgress = time.Now()
				if r, err := o.st.GetRun(o.bg, o.runID); err == nil && r.CancelRequested {
					o.requestCancel()
				}
				if o.live != nil {
					o.live.report(h)
				}
				active := h.alive + h.stale
				if err := o.update(store.RunUpdate{WorkersActive: &active}); err != nil {
					o.log.Debug("workers active not recorded", "error", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

// waitFor waits until done accepts the latest heartbeats, failing on a
// dead worker or a cancelled ctx (errCancelled; a hard stop too).
func (w *watcher) waitFor(ctx context.Context, done func([]store.Heartbeat) bool) error {
	for {
		w.mu.Lock()
		hbs, err, ch := w.hbs, w.err, w.changed
		w.mu.Unlock()
		if err != nil {
			return err
		}
		if hbs != nil && done(hbs) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errCancelled
		case <-w.o.opts.HardStop.Done():
			w.o.setHard()
			return errCancelled
		case <-ch:
		}
	}
}

// waitJoined waits until every planned worker joined and is READY, or
// fails after JoinTimeout.
func (o *orch) waitJoined(ctx context.Context) error {
	jctx, cancel := context.WithTimeout(ctx, o.opts.JoinTimeout)
	defer cancel()
	err := o.watch.waitFor(jctx, o.joinedAll)
	if err != nil && ctx.Err() == nil && jctx.Err() != nil {
		hbs := o.watch.heartbeats()
		h := checkHealth(hbs, o.st.Now(), o.opts.StaleAfter, o.opts.DeadAfter)
		return fmt.Errorf("only %d of %d planned workers joined and got ready within %s (joined: %s); start them with `fbctl worker -run %s`",
			h.ready, o.plan.Workers, o.opts.JoinTimeout, joinedNames(hbs), o.runID)
	}
	return err
}

func (o *orch) joinedAll(hbs []store.Heartbeat) bool {
	ready := 0
	for _, hb := range hbs {
		if hb.Status == store.WorkerReady {
			ready++
		}
	}
	return ready >= int(o.plan.Workers)
}

func joinedNames(hbs []store.Heartbeat) string {
	if len(hbs) == 0 {
		return "none"
	}
	var s []string
	for _, hb := range hbs {
		s = append(s, fmt.Sprintf("%s %s", hb.WorkerID, hb.Status))
	}
	return strings.Join(s, ", ")
}

func (o *orch) setHard() {
	o.mu.Lock()
	o.hard = true
	o.mu.Unlock()
}

func (o *orch) isHard() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hard
}

// requestCancel stops the run as `fbctl cancel` asked.
func (o *orch) requestCancel() {
	o.cancelOnce.Do(func() {
		o.log.Info("cancel requested with fbctl cancel")
		close(o.cancelled)
	})
}

func (o *orch) cancelRequestedByCommand() bool {
	select {
	case <-o.cancelled:
		return true
	default:
		return false
	}
}
