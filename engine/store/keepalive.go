package store

import (
	"context"
	"time"
)

// KeepAlive renews the lease for ttl every third of ttl until ctx ends or
// the returned stop is called (stop waits for the renewer to exit). A
// failed renewal is passed to onError (it may be nil) and retried at the
// next tick: the lease expires only when no renewal succeeds for ttl, and
// one taken away (force-unlock) reports ErrLeaseLost at every tick.
func (l *Lease) KeepAlive(ctx context.Context, ttl time.Duration, onError func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := l.Renew(ctx, ttl); err != nil && ctx.Err() == nil && onError != nil {
					onError(err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
