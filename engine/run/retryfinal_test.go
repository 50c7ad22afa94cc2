package run

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestRetryFinalBackoffAndLogging: the writes of a run's end are retried
// 100 ms doubling to 2 s for up to 30 s, with one warning when they start
// failing and one line when they succeed after retries.
func TestRetryFinalBackoffAndLogging(t *testing.T) {
	errAway := errors.New("dial tcp: connection refused")
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info})
		n, start := 0, time.Now()
		err := retryFinal(t.Context(), nil, log, "the run's final status", func() error {
			if n++; n < 4 {
				return errAway
			}
			return nil
		})
		if err != nil || time.Since(start) != 700*time.Millisecond {
			t.Fatalf("retryFinal: %v after %s, want nil after 100+200+400 ms", err, time.Since(start))
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "the run's final status failed; retrying") ||
			!strings.Contains(lines[1], "written after retries: attempts=4") {
			t.Fatalf("log:\n%s", buf.String())
		}

		n, start = 0, time.Now()
		err = retryFinal(t.Context(), nil, hclog.NewNullLogger(), "the run's result row", func() error { n++; return errAway })
		// Waits .1 .2 .4 .8 1.6 then 2 s: 13 of them fit in 30 s (29.1 s).
		if !errors.Is(err, errAway) || n != 19 || time.Since(start) != 29100*time.Millisecond {
			t.Fatalf("retryFinal: %v, %d tries in %s, want the last error after 19 tries in 29.1s", err, n, time.Since(start))
		}

		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		start = time.Now()
		err = retryFinal(ctx, nil, hclog.NewNullLogger(), "the apply lock release", func() error { return errAway })
		if !errors.Is(err, errAway) || time.Since(start) != time.Second {
			t.Fatalf("retryFinal cancelled: %v after %s, want the last error at the cancellation (1s)", err, time.Since(start))
		}
	})
}
