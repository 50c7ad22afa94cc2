package run

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// syncBuffer is a log output that the run's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHeartbeatStoppedIsNotLoggedAsAFailure: a heartbeat whose context
// was cancelled (the worker's end stops its heartbeat loop) fails without
// a warning; a heartbeat the store refuses is still logged. Before, the
// end of every run could log "writing the heartbeat failed; retrying ...
// context canceled".
func TestHeartbeatStoppedIsNotLoggedAsAFailure(t *testing.T) {
	f := newFixture(t, closedPhase, "")
	var buf syncBuffer
	w := &worker{runID: "r1", id: "worker-0", st: f.st, nodes: map[string]*nodeRun{}, status: store.WorkerRunning,
		log: hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info})}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.heartbeat(ctx); err == nil {
		t.Fatal("a heartbeat with a cancelled context was written")
	}
	if s := buf.String(); s != "" {
		t.Fatalf("a stopped heartbeat was logged:\n%s", s)
	}
	f.st.Close()
	if err := w.heartbeat(context.Background()); err == nil {
		t.Fatal("a heartbeat to a closed store was written")
	}
	if s := buf.String(); !strings.Contains(s, "writing the heartbeat failed") {
		t.Fatalf("a heartbeat the store refused was not logged: %q", s)
	}
}

// TestNormalRunEndLogsNoHeartbeatWarning: a short streamed run that ends
// normally logs no heartbeat warning: the drain heartbeats that its end
// stops are not failures (before, nearly every such run logged one).
func TestNormalRunEndLogsNoHeartbeatWarning(t *testing.T) {
	f := newFixture(t, closedPhase, passingThreshold)
	var buf syncBuffer
	opts := f.fastOptions(t)
	opts.Logger = hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Warn})
	// As apply sets it for SQLite: every operation streamed, its rest
	// drained at the end while the worker heartbeats its progress.
	opts.Stream = &stream.Options{FlushEvery: 50 * time.Millisecond, JournalDir: t.TempDir(), WriteGap: 25 * time.Millisecond}
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	if s := buf.String(); strings.Contains(s, "heartbeat") {
		t.Fatalf("a run that ended normally logged:\n%s", s)
	}
}
