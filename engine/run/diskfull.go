package run

import (
	"context"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/hashicorp/go-hclog"
)

// finalRetryFor is how long the writes that record a run's end (its final
// status, the result rows, the lock release) are retried.
const finalRetryFor = 30 * time.Second

// reserveReleaser is the embedded store's disk reserve (*store.Store).
type reserveReleaser interface{ ReleaseReserve() bool }

// releaseOnFull frees the store's disk reserve when err says its disk is
// full, and reports whether a retry may now succeed.
func releaseOnFull(st ControlPlane, err error) bool {
	if !store.IsDiskFull(err) {
		return false
	}
	r, ok := st.(reserveReleaser)
	return ok && r.ReleaseReserve()
}

// retryFinal runs a write that records the end of a run until it succeeds,
// for up to finalRetryFor with backoff: a full disk first frees the
// store's reserve, a store that is briefly away gets time to come back.
// It returns the last error.
func retryFinal(ctx context.Context, st ControlPlane, log hclog.Logger, what string, fn func() error) error {
	deadline := time.Now().Add(finalRetryFor)
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			if attempt > 1 {
				log.Info(what+" written after retries", "attempts", attempt)
			}
			return nil
		}
		if releaseOnFull(st, err) {
			continue // space was freed: at once
		}
		if attempt == 1 {
			log.Warn(what+" failed; retrying", "error", err, "for", finalRetryFor)
		}
		if time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// failNodes reports every node the worker has not finished as failed with
// err (the orchestrator then fails the run with it and waits for this
// worker's rows), before the nodes are stopped.
func (w *worker) failNodes(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.nodes {
		switch n.state {
		case nodePreparing, nodePrepared, nodeRunning:
			n.state, n.err = nodeFailed, err.Error()
		}
	}
}
