package pgtarget_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/hashicorp/go-hclog"
)

// A qps_target phase on a real Postgres: every operation sleeps 10 ms,
// so one session does at most 100 ops/s and a target of 300 needs more.
// The controller's record must account for itself: each interval's
// decision is the control law applied to what it measured, the next
// interval starts from it, every change is one SET_WORKER_TARGET event in
// the store, the bounds hold, the workers opened what they were told, and
// it left the single starting session (a rate no single session reaches).
// Timing (how fast it converges) is not asserted.
func TestQPSTargetControllerAccounting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.Shared(t)
	dsn := pgtest.FreshDatabaseOn(t, srv)
	src := fmt.Sprintf(`
connection "postgres" "pg" {
  dsn = %q
}
template "sleepy" {
  query "nap" {
    sql = "SELECT pg_sleep(0.01)"
  }
}
scenario "hold" {
  template = template.sleepy
  phase "hold" {
    duration        = "6s"
    qps_target      = 300
    connections     = 2
    min_connections = 2
    max_connections = 16
    workers         = 2
  }
}
`, dsn)
	file := filepath.Join(t.TempDir(), "qps.fb.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{file}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	st, err := store.Open(ctx, pgtest.FreshDatabaseOn(t, srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := run.Apply(ctx, plan.Runs[0], cfg, run.Options{Store: st, Logger: hclog.NewNullLogger(),
		HeartbeatEvery: 100 * time.Millisecond, PollEvery: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
		Targets: map[string]run.TargetFactory{dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, qs []executor.QuerySpec, init []string, n int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, qs, init, int32(n))
		}},
		Classifiers: map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || len(out.Phases) != 1 {
		t.Fatalf("run %s: %s", out.Status, out.FailureReason)
	}
	ph := out.Phases[0]
	qc := ph.QPSControl
	if qc == nil || len(qc.Steps) < 3 {
		t.Fatalf("controller record %+v", qc)
	}
	sessions, changes, top := int64(2), 0, int64(0)
	for i, s := range qc.Steps {
		if s.Sessions != sessions {
			t.Fatalf("step %d starts at %d sessions, the previous one set %d", i, s.Sessions, sessions)
		}
		if want := run.NextSessions(s.Sessions, s.MeasuredQPS, 300, 2, 16); s.SetSessions != want {
			t.Fatalf("step %d: measured %.1f ops/s at %d sessions, set %d; the control law says %d", i, s.MeasuredQPS, s.Sessions, s.SetSessions, want)
		}
		if s.SetSessions < 2 || s.SetSessions > 16 {
			t.Fatalf("step %d set %d sessions, outside [2, 16]", i, s.SetSessions)
		}
		if s.SetSessions != s.Sessions {
			changes++
		}
		sessions, top = s.SetSessions, max(top, s.SetSessions)
		t.Logf("step %d: %.1f ops/s at %d sessions -> %d", i, s.MeasuredQPS, s.Sessions, s.SetSessions)
	}
	if qc.Events != changes || qc.Final != sessions {
		t.Fatalf("record says %d events and %d final sessions; its steps say %d and %d", qc.Events, qc.Final, changes, sessions)
	}
	evs, err := st.EventsAfter(ctx, out.RunID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, ev := range evs {
		if ev.Type == store.EventSetWorkerTarget {
			stored++
		}
	}
	if stored != qc.Events {
		t.Fatalf("%d SET_WORKER_TARGET events stored, the controller counted %d", stored, qc.Events)
	}
	if changes == 0 || top <= 2 || int64(ph.PeakSessions) < top {
		t.Fatalf("the controller never left 2 sessions (top %d) or the workers did not open them (peak %d)", top, ph.PeakSessions)
	}
	t.Logf("reached %v, final %d sessions, %.1f ops/s over the phase", qc.Reached, qc.Final, ph.QPS)
}
