package run

import (
	"context"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
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
// for up to finalRetryFor with backoff (100 ms doubling to 2 s): a full
// disk first frees the store's reserve and retries at once, a store that
// is briefly away gets time to come back. It returns the last error,
// with the tries it took.
func retryFinal(ctx context.Context, st ControlPlane, log hclog.Logger, what string, fn func() error) error {
	attempts := 0
	err := retry.Do(ctx, retry.Policy{
		Initial: 100 * time.Millisecond, Max: 2 * time.Second, Factor: 2, MaxElapsed: finalRetryFor,
		OnRetry: func(a retry.Attempt) {
			if a.Try == 1 {
				log.Warn(what+" failed; retrying", "error", a.Err, "for", finalRetryFor)
			}
		},
	}, func(context.Context) error {
		for {
			attempts++
			err := fn()
			if err == nil || !releaseOnFull(st, err) {
				return err
			}
			// space was freed: again at once
		}
	})
	if err == nil && attempts > 1 {
		log.Info(what+" written after retries", "attempts", attempts)
	}
	return err
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
