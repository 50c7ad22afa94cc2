package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/sfserver"
)

// A find-max search on Snowflake stops at the first step during which the
// warehouse queued statements: the warehouse, not the workload, is the
// limit then, and the step is recorded with that reason.
func TestSnowflakeFindMaxStopsOnQueueing(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	srv.SetWarehouse(sfserver.Warehouse{Name: "FM_WH", Queued: 3, MaxClusters: 1})
	src := sfConnectionHCL(srv, "fm", "FM_WH") + `
template "fm_kv" {
  connection = connection.snowflake.fm
  table      = "FM_KV"
  table_type = "hybrid"
  query "get" {
    kind   = "point_lookup"
    weight = 1
    sql    = "SELECT V FROM FM_KV WHERE K = ?"
    args   = [uniform(1, 50)]
  }
}

scenario "fm" {
  template = template.fm_kv
  setup {
    sql = [
      "CREATE HYBRID TABLE IF NOT EXISTS FM_KV (K INT PRIMARY KEY, V VARCHAR)",
      "INSERT INTO FM_KV (K, V) SELECT SEQ4() + 1, 'v' FROM TABLE(GENERATOR(ROWCOUNT => 50))",
    ]
  }
  phase "search" {
    find_max {
      start         = 1
      step          = 1
      step_duration = "1s"
      max           = 4
    }
  }
}
`
	cfg, diags := dsl.LoadSources(map[string][]byte{"fm.fb.hcl": []byte(src)}, dsl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	st := openSFStore(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := run.Apply(ctx, plan.Runs[0], cfg, run.Options{Store: st, HeartbeatEvery: 100 * time.Millisecond,
		PollEvery: 10 * time.Millisecond, DrainTimeout: 10 * time.Second,
		Targets: nativeTargets(), Classifiers: classifiers()})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("run %s: %s", out.Status, out.FailureReason)
	}
	if len(out.FindMax) != 1 || len(out.FindMax[0].Workers) != 1 {
		t.Fatalf("find-max outcome: %+v", out.FindMax)
	}
	res := out.FindMax[0].Workers[0]
	if !strings.HasPrefix(res.Reason, executor.ReasonSignal) || len(res.Steps) == 0 || len(res.Steps) > 2 {
		t.Fatalf("search stopped by %q after %d steps, want the warehouse queueing signal on the first step: %+v", res.Reason, len(res.Steps), res)
	}
	var noted bool
	for _, s := range res.Steps {
		noted = noted || strings.Contains(s.Reason, "warehouse queueing")
	}
	if !noted {
		t.Errorf("no step names the queueing: %+v", res.Steps)
	}
}
