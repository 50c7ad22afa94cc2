package run

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestStoreOutageLogsOneLinePerConditionChange: a poll loop failing ten
// times a second for a minute logs its first failure, one reminder per
// 30 s and its recovery, not 600 lines.
func TestStoreOutageLogsOneLinePerConditionChange(t *testing.T) {
	var buf bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info})
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	c := condLog{now: func() time.Time { return now }}
	err := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	for i := 0; i < 600; i++ {
		c.fail(log, "writing the heartbeat", err)
		c.fail(log, "reading control events", err)
		now = now.Add(100 * time.Millisecond)
	}
	c.ok(log, "writing the heartbeat")
	c.ok(log, "writing the heartbeat") // no condition any more: nothing
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var hb []string
	for _, l := range lines {
		if strings.Contains(l, "heartbeat") {
			hb = append(hb, l)
		}
	}
	// First failure, reminders at 30 s and 60 s (the last at 59.9 s: one), recovery.
	if len(hb) != 3 {
		t.Fatalf("heartbeat lines:\n%s", strings.Join(hb, "\n"))
	}
	if !strings.Contains(hb[0], "writing the heartbeat failed; retrying") || !strings.Contains(hb[1], "still failing") ||
		!strings.Contains(hb[1], "not_logged=299") || !strings.Contains(hb[2], "works again") || !strings.Contains(hb[2], "failures=600") {
		t.Fatalf("lines:\n%s", strings.Join(hb, "\n"))
	}
	if len(lines) != 5 {
		t.Fatalf("want 5 lines in all (two conditions), got %d:\n%s", len(lines), buf.String())
	}
}
