package run

import (
	"context"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/results"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// Every load model runs through the engine: the plan's per-worker shares
// reach the executors, and a phase with fewer workers leaves the others
// idle.
func TestOpenRampAndFindMaxPhases(t *testing.T) {
	f := newFixture(t, `
  phase "open" {
    duration        = "500ms"
    rate            = 200
    max_connections = 4
    workers         = 2
  }
  phase "ramp" {
    duration        = "400ms"
    ramp {
      from = 50
      to   = 150
      over = "400ms"
    }
    max_connections = 2
    workers         = 1
  }
  phase "search" {
    workers = 2
    find_max {
      start         = 2
      step          = 2
      step_duration = "150ms"
      max           = 4
    }
  }
`, "")
	workers := &noopTargets{}
	opts := f.fastOptions(t)
	opts.openTarget, opts.workerOpenTarget = (&noopTargets{}).open, workers.open
	hook := &recordingHook{}
	opts.Hook = hook
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	byName := map[string]results.PhaseSummary{}
	for _, p := range out.Phases {
		byName[p.Name] = p
	}
	open, ramp, search := byName["open"], byName["ramp"], byName["search"]
	// 200 ops/s for 0.5 s: about 100 arrivals over both workers (loose:
	// this is plumbing, the executors' own tests check the rate).
	if open.Workers != 2 || open.Counts.Total+open.Counts.Dropped < 50 || open.Counts.Total+open.Counts.Dropped > 150 {
		t.Fatalf("open phase %+v", open)
	}
	if ramp.Workers != 1 || ramp.Counts.Total == 0 {
		t.Fatalf("ramp phase: %d workers, %+v", ramp.Workers, ramp.Counts)
	}
	if len(out.FindMax) != 1 || len(out.FindMax[0].Workers) != 2 || search.Counts.Total == 0 {
		t.Fatalf("find max %+v, phase %+v", out.FindMax, search)
	}
	// A threshold on the find_max result reads the verified level back
	// from the stored parent row; outside a find_max phase it fails.
	zero := 0.0
	ths, err := results.EvaluateStored([]engine.ThresholdPlan{
		{Name: "level", Metric: "find_max_level", Phase: "search", Above: &zero},
		{Name: "nofm", Metric: "find_max_level", Phase: "open", Above: &zero},
	}, out.Parent)
	if err != nil || len(ths) != 2 || ths[0].Actual != float64(out.FindMax[0].BestConcurrency) || ths[1].Passed || ths[1].Note == "" {
		t.Fatalf("find_max thresholds %+v, %v (best %d)", ths, err, out.FindMax[0].BestConcurrency)
	}
	// Children: worker 1 took no part in the ramp phase.
	for _, c := range out.Children {
		if *c.WorkerGroupID == 1 && strings.Contains(string(c.PhaseResults), `"name":"ramp"`) {
			t.Fatalf("worker 1 ran the ramp phase: %s", c.PhaseResults)
		}
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.progress == 0 {
		t.Fatal("no progress reported")
	}
	want := "warmup:<nil> phase.open:<nil> phase.ramp:<nil> phase.search:<nil> teardown:<nil>"
	if got := strings.Join(hook.nodes[1:], " "); got != want {
		t.Fatalf("nodes %q, want %q", got, want)
	}
}

func TestSetupFailureFailsTheRunAndStillTearsDown(t *testing.T) {
	f := newFixture(t, closedPhase, "")
	for i := range f.plan.Nodes {
		if f.plan.Nodes[i].Kind == "setup" {
			f.plan.Nodes[i].SQL = append(f.plan.Nodes[i].SQL, "INSERT INTO NOPE VALUES (1)")
		}
	}
	hook := &recordingHook{}
	opts := f.fastOptions(t)
	opts.Hook = hook
	start := time.Now()
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "setup statement 4") || !strings.Contains(out.FailureReason, "NOPE") {
		t.Fatalf("status %s: %q", out.Status, out.FailureReason)
	}
	if time.Since(start) > 15*time.Second {
		t.Fatal("a failed setup did not stop the run")
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if last := hook.nodes[len(hook.nodes)-1]; last != "teardown:<nil>" {
		t.Fatalf("nodes %v", hook.nodes)
	}
}
