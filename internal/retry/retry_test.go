package retry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/internal/retry"
	"github.com/google/go-cmp/cmp"
)

var errBusy = errors.New("database is locked")

// tries records when each try started, relative to the first.
type tries struct {
	start time.Time
	at    []time.Duration
}

func (tr *tries) mark() {
	if tr.start.IsZero() {
		tr.start = time.Now()
	}
	tr.at = append(tr.at, time.Since(tr.start))
}

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, n := range v {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestDoBackoffSequenceAndCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tr tries
		var waits []time.Duration
		p := retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Factor: 2,
			OnRetry: func(a retry.Attempt) { waits = append(waits, a.Wait) }}
		err := retry.Do(t.Context(), p, func(context.Context) error {
			tr.mark()
			if len(tr.at) < 7 {
				return errBusy
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if diff := cmp.Diff(ms(100, 200, 400, 800, 1000, 1000), waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(ms(0, 100, 300, 700, 1500, 2500, 3500), tr.at); diff != "" {
			t.Errorf("try instants (-want +got):\n%s", diff)
		}
	})
}

func TestDoConstantWaitsByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tr tries
		err := retry.Do(t.Context(), retry.Policy{Initial: 500 * time.Millisecond, MaxTries: 4}, func(context.Context) error {
			tr.mark()
			return errBusy
		})
		if !errors.Is(err, errBusy) {
			t.Fatalf("Do: %v, want the last error", err)
		}
		if diff := cmp.Diff(ms(0, 500, 1000, 1500), tr.at); diff != "" {
			t.Errorf("try instants (-want +got):\n%s", diff)
		}
	})
}

func TestDoMaxTries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		start := time.Now()
		err := retry.Do(t.Context(), retry.Policy{Initial: 50 * time.Millisecond, Factor: 2, MaxTries: 3}, func(context.Context) error {
			n++
			return errBusy
		})
		var re *retry.Error
		if !errors.As(err, &re) {
			t.Fatalf("Do: %v (%T), want *retry.Error", err, err)
		}
		if n != 3 || re.Tries != 3 {
			t.Errorf("tries: fn called %d times, Error.Tries %d, want 3", n, re.Tries)
		}
		// No wait after the last try: 50 + 100 ms.
		if got := time.Since(start); got != 150*time.Millisecond {
			t.Errorf("took %s, want 150ms", got)
		}
		if re.Cause != nil || errors.Is(err, context.Canceled) {
			t.Errorf("Cause %v, want none: the policy ended the retries", re.Cause)
		}
		if want := "database is locked (gave up after 3 tries in 150ms)"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	})
}

func TestDoMaxElapsedStartsNoWaitPastIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tr tries
		p := retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Factor: 2, MaxElapsed: 3 * time.Second}
		err := retry.Do(t.Context(), p, func(context.Context) error {
			tr.mark()
			return errBusy
		})
		// 0, .1, .3, .7, 1.5; the next wait (1.6 s) would end at 3.1 s.
		if diff := cmp.Diff(ms(0, 100, 300, 700, 1500), tr.at); diff != "" {
			t.Errorf("try instants (-want +got):\n%s", diff)
		}
		var re *retry.Error
		if !errors.As(err, &re) || re.Tries != 5 || re.Elapsed != 1500*time.Millisecond {
			t.Errorf("Do: %#v, want 5 tries in 1.5s", err)
		}
	})
}

func TestDoCancelledMidWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		n := 0
		start := time.Now()
		time.AfterFunc(250*time.Millisecond, cancel)
		err := retry.Do(ctx, retry.Policy{Initial: 200 * time.Millisecond, Factor: 2}, func(context.Context) error {
			n++
			return errBusy
		})
		// Tries at 0 and 200 ms; the wait until 600 ms is cut at 250 ms.
		if got := time.Since(start); got != 250*time.Millisecond {
			t.Errorf("returned after %s, want 250ms (at the cancellation)", got)
		}
		if n != 2 {
			t.Errorf("%d tries, want 2", n)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) {
			t.Errorf("Do: %v, want both the last error and context.Canceled", err)
		}
		if !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("message %q does not say the context ended", err)
		}
	})
}

func TestDoNoWaitWhenContextDoneDuringTry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		called := false
		start := time.Now()
		err := retry.Do(ctx, retry.Policy{Initial: time.Hour, OnRetry: func(retry.Attempt) { called = true }}, func(ctx context.Context) error {
			cancel()
			return ctx.Err()
		})
		if time.Since(start) != 0 || called {
			t.Errorf("waited %s (OnRetry called: %v) after the context was done", time.Since(start), called)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Do: %v, want context.Canceled", err)
		}
	})
}

func TestDoPermanentStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errLost := errors.New("lease lost")
		n := 0
		err := retry.Do(t.Context(), retry.Policy{Initial: time.Second}, func(context.Context) error {
			n++
			if n == 2 {
				return retry.Permanent(errLost)
			}
			return errBusy
		})
		if n != 2 {
			t.Errorf("%d tries, want 2", n)
		}
		if err != errLost {
			t.Errorf("Do: %v (%T), want the permanent error itself, unmarked", err, err)
		}
		if retry.Permanent(nil) != nil {
			t.Error("Permanent(nil) is not nil")
		}
	})
}

func TestDoFirstTryImmediateAndOnRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []retry.Attempt
		start := time.Now()
		var first time.Duration = -1
		err := retry.Do(t.Context(), retry.Policy{Initial: 10 * time.Millisecond, Factor: 3,
			OnRetry: func(a retry.Attempt) { got = append(got, a) }}, func(context.Context) error {
			if first < 0 {
				first = time.Since(start)
			}
			if len(got) < 2 {
				return errBusy
			}
			return nil
		})
		if err != nil || first != 0 {
			t.Fatalf("Do: %v, first try after %s, want nil at once", err, first)
		}
		want := []retry.Attempt{
			{Try: 1, Err: errBusy, Elapsed: 0, Wait: 10 * time.Millisecond},
			{Try: 2, Err: errBusy, Elapsed: 10 * time.Millisecond, Wait: 30 * time.Millisecond},
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("OnRetry (-want +got):\n%s", diff)
		}
	})
}

func TestDoJitterWithinBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var waits []time.Duration
		retry.Do(t.Context(), retry.Policy{Initial: time.Second, Jitter: 0.5, MaxTries: 50,
			OnRetry: func(a retry.Attempt) { waits = append(waits, a.Wait) }}, func(context.Context) error { return errBusy })
		short, long := 0, 0
		for _, w := range waits {
			if w < 500*time.Millisecond || w > 1500*time.Millisecond {
				t.Fatalf("wait %s outside [500ms, 1.5s]", w)
			}
			if w < time.Second {
				short++
			} else if w > time.Second {
				long++
			}
		}
		// Chance of all 49 on one side: 2^-48.
		if short == 0 || long == 0 {
			t.Errorf("49 jittered waits: %d shorter, %d longer than 1s; want both", short, long)
		}
	})
}

func TestPollDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tr tries
		err := retry.Poll(t.Context(), 200*time.Millisecond, func(context.Context) (bool, error) {
			tr.mark()
			return len(tr.at) == 4, nil
		})
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if diff := cmp.Diff(ms(0, 200, 400, 600), tr.at); diff != "" {
			t.Errorf("poll instants (-want +got):\n%s", diff)
		}
	})
}

func TestPollError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		err := retry.Poll(t.Context(), time.Second, func(context.Context) (bool, error) {
			n++
			if n == 3 {
				return false, errBusy
			}
			return false, nil
		})
		if err != errBusy || n != 3 {
			t.Errorf("Poll: %v after %d polls, want errBusy after 3", err, n)
		}
	})
}

func TestPollCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 1100*time.Millisecond)
		defer cancel()
		n := 0
		start := time.Now()
		err := retry.Poll(ctx, 500*time.Millisecond, func(context.Context) (bool, error) {
			n++
			return false, nil
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Poll: %v, want the context's error", err)
		}
		if n != 3 || time.Since(start) != 1100*time.Millisecond {
			t.Errorf("%d polls in %s, want 3 in 1.1s", n, time.Since(start))
		}
	})
}
