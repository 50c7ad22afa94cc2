package run

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// restartHook restarts the Postgres target once the phase has run a while.
type restartHook struct {
	NopHook
	srv  *pgtest.Server
	once sync.Once
	done chan error
}

func (h *restartHook) NodeStarted(_, node string) {
	if node != "phase.steady" {
		return
	}
	h.once.Do(func() {
		go func() {
			time.Sleep(time.Second)
			h.done <- h.srv.Restart(context.Background(), time.Second)
		}()
	})
}

// TestSessionsReconnectAfterTargetRestart: the Postgres target is stopped
// (immediate: every connection breaks) a second into a 6 s closed phase
// and started again a second later. Every session must reconnect with
// backoff, so operations succeed again after the restart; the outage's
// operations are errors of their connection classes (08xxx, 57P01), and
// the phase reports the outage window. Before, every session kept its
// broken connection and every later operation failed with "conn closed".
func TestSessionsReconnectAfterTargetRestart(t *testing.T) {
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	f := pgFixture(t, srv, `
  phase "steady" {
    duration    = "6s"
    connections = 4
  }
  sampling {
    rate = 0.05
  }
`)
	opts := pgOptions(t, f)
	hook := &restartHook{srv: srv, done: make(chan error, 1)}
	opts.Hook = hook
	opts.Stream = &stream.Options{FlushEvery: 100 * time.Millisecond, JournalDir: filepath.Join(t.TempDir(), "j")}
	ctx := context.Background()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-hook.done; err != nil {
		t.Fatalf("restart: %v", err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	ph := out.Phases[0]
	if ph.Counts.Errors == 0 {
		t.Fatal("no errors recorded across a target restart")
	}
	for _, g := range ph.Errors {
		if !strings.HasPrefix(g.Code, "08") && g.Code != "57P01" && g.Code != "57P03" {
			t.Fatalf("error class %q (%s) during the outage: want a connection class", g.Code, g.Messages)
		}
	}
	if len(ph.Outages) == 0 {
		t.Fatalf("no outage window reported; errors %+v", ph.Errors)
	}
	last := ph.Outages[len(ph.Outages)-1]
	if last.End.IsZero() || !last.End.After(last.Start) || last.Sessions < 1 || last.Errors < 1 {
		t.Fatalf("outage %+v: want a closed window", last)
	}
	// Operations succeed after the outage: every session came back.
	after, err := f.st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID, Success: boolp(true)}, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	okAfter := 0
	for _, r := range after {
		if r.ActualStart.After(last.End) {
			okAfter++
		}
	}
	if okAfter == 0 {
		t.Fatalf("no successful operation after the outage ended at %s", last.End)
	}
	if ph.Counts.OK < 10*ph.Counts.Errors {
		t.Fatalf("%d ok, %d errors: the phase should mostly succeed around a 1 s outage", ph.Counts.OK, ph.Counts.Errors)
	}
}

func boolp(b bool) *bool { return &b }
