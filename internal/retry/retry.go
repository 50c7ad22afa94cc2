package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy says how Do waits between tries.
type Policy struct {
	// Initial is the wait after the first failed try.
	Initial time.Duration
	// Max caps every wait before jitter (0: no cap).
	Max time.Duration
	// Factor multiplies each wait over the one before; below 1 (the zero
	// value included) the waits are constant.
	Factor float64
	// Jitter scales each wait by a random factor in [1-Jitter,
	// 1+Jitter] (Jitter 0 to 1), so that many callers do not retry in
	// step. 0: exact waits.
	Jitter float64
	// MaxElapsed bounds the whole: a wait that would end later than
	// MaxElapsed after the first try is not started (0: no bound).
	MaxElapsed time.Duration
	// MaxTries bounds the number of tries, the first included (0: no
	// bound).
	MaxTries int
	// OnRetry, if set, is called after each failed try that will be
	// retried, before the wait, from the goroutine that called Do.
	OnRetry func(Attempt)
}

// Attempt describes a failed try that is about to be retried.
type Attempt struct {
	Try     int           // 1 for the first try
	Err     error         // what the try returned
	Elapsed time.Duration // since the first try started
	Wait    time.Duration // the wait before the next try
}

// wait returns the wait after the given failed try (1 for the first).
func (p Policy) wait(try int) time.Duration {
	w := float64(p.Initial)
	if p.Factor > 1 {
		for range try - 1 {
			w *= p.Factor
			if p.Max > 0 && w >= float64(p.Max) {
				break
			}
		}
	}
	if p.Max > 0 && w > float64(p.Max) {
		w = float64(p.Max)
	}
	if p.Jitter > 0 {
		w *= 1 + min(p.Jitter, 1)*(2*rand.Float64()-1)
	}
	return time.Duration(w)
}

// Do calls fn until it returns nil, fn returns an error marked
// Permanent, ctx is done, or the policy's MaxTries or MaxElapsed is
// reached. The first try is at once.
//
// It returns nil on success and a permanent error as fn returned it
// (without the mark). Otherwise it returns an *Error holding fn's last
// error, the number of tries and the time they took, and ctx's error when
// ctx ended the retries.
func Do(ctx context.Context, p Policy, fn func(context.Context) error) error {
	start := time.Now()
	for try := 1; ; try++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if pe, ok := err.(*permanent); ok {
			return pe.err
		}
		var perm *permanent
		if errors.As(err, &perm) {
			return err // wrapped around the mark: keep the wrapping
		}
		fail := func(cause error) error {
			return &Error{Err: err, Tries: try, Elapsed: time.Since(start), Cause: cause}
		}
		if ctx.Err() != nil {
			return fail(context.Cause(ctx))
		}
		if p.MaxTries > 0 && try >= p.MaxTries {
			return fail(nil)
		}
		wait := p.wait(try)
		elapsed := time.Since(start)
		if p.MaxElapsed > 0 && elapsed+wait > p.MaxElapsed {
			return fail(nil)
		}
		if p.OnRetry != nil {
			p.OnRetry(Attempt{Try: try, Err: err, Elapsed: elapsed, Wait: wait})
		}
		if !sleep(ctx, wait) {
			return fail(context.Cause(ctx))
		}
	}
}

// Poll calls fn at once and then every interval until fn reports done or
// returns an error, and returns that error (nil when done). When ctx is
// done first it returns ctx.Err() without waiting again.
func Poll(ctx context.Context, interval time.Duration, fn func(context.Context) (done bool, err error)) error {
	for {
		done, err := fn(ctx)
		if done || err != nil {
			return err
		}
		if !sleep(ctx, interval) {
			return ctx.Err()
		}
	}
}

// sleep waits d and reports whether it did, false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Error is what Do returns when it gave up: fn's last error, how many
// tries were made and how long they took. Cause is ctx's error when the
// context ended the retries (nil when the policy's bound did).
type Error struct {
	Err     error
	Tries   int
	Elapsed time.Duration
	Cause   error
}

func (e *Error) Error() string {
	tries := "1 try"
	if e.Tries != 1 {
		tries = fmt.Sprintf("%d tries", e.Tries)
	}
	s := fmt.Sprintf("%v (gave up after %s in %s", e.Err, tries, e.Elapsed.Round(time.Millisecond))
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s + ")"
}

// Unwrap returns the last error and, when the context ended the retries,
// its error: errors.Is sees both.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// Permanent marks err as not worth retrying: Do returns it (unmarked) at
// once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err: err}
}

type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }
