package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/sfserver"
)

// sfInteractiveScenario targets an interactive table served by an
// interactive warehouse IWH that is suspended before the run: setup
// creates the table (%s is its CREATE statement), apply checks both, the
// cache warm-up node measures its curve, and the warehouse is resumed
// before setup and suspended again after teardown.
const sfInteractiveScenario = `
template "fb_interactive" {
  connection = connection.snowflake.local
  table      = "FB_I"
  table_type = "interactive"
  interactive {
    cluster_by = ["K"]
  }
  warehouse {
    resume = true
    type   = "interactive"
    size   = "XSMALL"
  }
  pool "keys" {
    column = "K"
    size   = 50
  }
  query "lookup" {
    kind = "point_lookup"
    sql  = "SELECT V FROM FB_I WHERE K = ?"
    args = [pool.keys]
  }
}

scenario "fb_interactive" {
  setup {
    sql = ["%s"]
  }
  cache_warmup {
    max_duration = "1500ms"
    window       = "150ms"
    tolerance    = 0.9
  }
  phase "closed" {
    duration    = "600ms"
    connections = 2
  }
}
`

func writeInteractive(t *testing.T, srv *sfserver.Server, create string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "sf.fb.hcl")
	src := sfConnectionHCL(srv, "local", "IWH") + strings.Replace(sfInteractiveScenario, "%s", create, 1)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestSnowflakeInteractiveTableWarehouseLifecycleAndFingerprint(t *testing.T) {
	srv := startSF(t, sfserver.Options{Warehouses: []sfserver.Warehouse{
		{Name: "IWH", State: "SUSPENDED", Type: "INTERACTIVE", Size: "XSMALL", MaxClusters: 1}}})
	dsn := sfResultsDSN(srv)
	if code, out, errOut := fbctlRun(t, "schema", "apply", "-results", dsn); code != 0 {
		t.Fatalf("schema apply: %s%s", out, errOut)
	}
	file := writeInteractive(t, srv, "CREATE OR REPLACE INTERACTIVE TABLE FB_I CLUSTER BY (K) AS SELECT SEQ4() AS K, 'v' AS V FROM TABLE(GENERATOR(ROWCOUNT => 200))")

	code, out, errOut := fbctlRun(t, "plan", "-results", dsn, file)
	for _, want := range []string{"cache_warmup one session of \"fb_interactive\"", "must exist after setup",
		"interactive table FB_I: a static interactive table clustered by (K)", "CREATE INTERACTIVE WAREHOUSE IWH TABLES (FB_I) WAREHOUSE_SIZE = XSMALL",
		"warehouse IWH: resumed before setup if suspended, suspended after teardown if the run resumed it"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan: exit %d, no %q\n%s%s", code, want, out, errOut)
		}
	}

	// Lookups queue 30 ms each (injected latency is reported as queueing),
	// so the live sampler sees the run's statements QUEUED on IWH.
	srv.InjectLatency("SELECT V FROM FB_I WHERE K", 30*time.Millisecond)
	code, out, errOut = fbctlRun(t, "apply", "-auto-approve", "-server-sample-every", "50ms", "-results", dsn, "-run-id", "sf-int-1", file)
	if code != 0 || !strings.Contains(out, "COMPLETED") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if w, _ := srv.Warehouse("IWH"); w.State != "SUSPENDED" {
		t.Errorf("IWH is %s after the run; fbctl resumed it, so it must suspend it again", w.State)
	}
	st := openSFStore(t, srv)
	ctx := context.Background()
	fps, err := st.ListRunFingerprints(ctx, "sf-int-1")
	if err != nil || len(fps) != 1 {
		t.Fatalf("fingerprints %+v, %v", fps, err)
	}
	fp := fps[0]
	if fp.Backend != "snowflake" || fp.Settings["warehouse.type"] != "INTERACTIVE" || fp.Settings["warehouse.state_before_run"] != "SUSPENDED" ||
		fp.Settings["table_type"] != "interactive" || fp.Settings["client.go"] == "" {
		t.Errorf("fingerprint settings %v", fp.Settings)
	}
	if n := len(strings.Split(fp.Settings["cache_warmup.p50_us_per_window"], ",")); n < 2 || fp.Settings["cache_warmup.ms"] == "" {
		t.Errorf("cache warm-up curve %q (%s ms): want at least two windows", fp.Settings["cache_warmup.p50_us_per_window"], fp.Settings["cache_warmup.ms"])
	}
	acts := strings.Join(fp.Actions, "\n")
	for _, want := range []string{"resumed warehouse IWH before setup", "cache warm-up of fb_interactive", "suspended warehouse IWH after teardown"} {
		if !strings.Contains(acts, want) {
			t.Errorf("actions have no %q:\n%s", want, acts)
		}
	}
	// The warm-up's statements are tagged with their own phase and are not
	// results; the live sampler read the warehouse's statements of the run.
	var warm int
	sampled := false
	for _, r := range srv.QueryHistory() {
		sampled = sampled || (strings.Contains(r.QueryText, "QUERY_HISTORY_BY_WAREHOUSE(WAREHOUSE_NAME => 'IWH'") &&
			strings.Contains(r.QueryText, "sf-int-1") && r.Status == "SUCCESS")
		if strings.Contains(r.QueryTag, "run=sf-int-1:worker=orchestrator:phase=cache_warmup") && strings.HasPrefix(r.QueryText, "SELECT V FROM FB_I") {
			warm++
		}
	}
	res, err := st.GetTestResult(ctx, "sf-int-1")
	if err != nil || warm == 0 || res.Total == 0 || !sampled {
		t.Fatalf("warm-up statements %d, sampled %v, result %+v, %v", warm, sampled, res, err)
	}

	samples, err := st.ListServerSamples(ctx, "sf-int-1")
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]int64{}
	for _, m := range samples {
		if m.Target == "snowflake.local" && m.Kind == "SELECT" {
			queued[m.Phase+"/"+m.State] = max(queued[m.Phase+"/"+m.State], m.Sessions)
		}
	}
	if queued["closed/queued"] < 1 || queued["closed/queued"] > 2 {
		t.Errorf("queued SELECTs of phase closed sampled: %v (the phase has 2 sessions); samples %+v", queued, samples)
	}

	// fbctl show prints the fingerprint and what the run did.
	code, out, _ = fbctlRun(t, "show", "-results", dsn, "sf-int-1")
	for _, want := range []string{"Server fingerprint", "warehouse.type", "INTERACTIVE", "suspended warehouse IWH after teardown",
		"Server sessions of the run, sampled", "snowflake.local  closed"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show: exit %d, no %q\n%s", code, want, out)
		}
	}
}

// A table that is not the interactive table the template declares fails
// the run after setup, before any load, saying what to create; the
// warehouse fbctl resumed is suspended again.
func TestSnowflakeInteractiveTableMissingFailsBeforeLoad(t *testing.T) {
	srv := startSF(t, sfserver.Options{Warehouses: []sfserver.Warehouse{
		{Name: "IWH", State: "SUSPENDED", Type: "INTERACTIVE", Size: "XSMALL", MaxClusters: 1}}})
	dsn := sfResultsDSN(srv)
	if code, out, errOut := fbctlRun(t, "schema", "apply", "-results", dsn); code != 0 {
		t.Fatalf("schema apply: %s%s", out, errOut)
	}
	file := writeInteractive(t, srv, "CREATE OR REPLACE TABLE FB_I AS SELECT SEQ4() AS K, 'v' AS V FROM TABLE(GENERATOR(ROWCOUNT => 20))")
	code, out, errOut := fbctlRun(t, "apply", "-auto-approve", "-results", dsn, "-run-id", "sf-int-2", file)
	if code == 0 || !strings.Contains(out+errOut, "exists but is not an interactive table") || !strings.Contains(out+errOut, "CREATE INTERACTIVE TABLE FB_I CLUSTER BY (K)") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	st := openSFStore(t, srv)
	run, err := st.GetRun(context.Background(), "sf-int-2")
	if err != nil || run.Status != store.RunFailed {
		t.Fatalf("run %+v, %v", run, err)
	}
	for _, r := range srv.QueryHistory() {
		if strings.Contains(r.QueryTag, "sf-int-2") && strings.HasPrefix(r.QueryText, "SELECT V FROM FB_I") {
			t.Fatalf("a benchmark query ran: %+v", r)
		}
	}
	if w, _ := srv.Warehouse("IWH"); w.State != "SUSPENDED" {
		t.Errorf("IWH is %s after the failed run", w.State)
	}
}

// warehouse { size, max_cluster_count } on a standard warehouse: set for
// the run (the fingerprint says so) and restored afterwards.
func TestSnowflakeWarehouseSettingsSetForTheRunAndRestored(t *testing.T) {
	srv := startSF(t, sfserver.Options{Warehouses: []sfserver.Warehouse{
		{Name: "BENCH_WH", State: "STARTED", Size: "X-Small", MinClusters: 1, MaxClusters: 1, AutoResume: true}}})
	dsn := sfResultsDSN(srv)
	if code, out, errOut := fbctlRun(t, "schema", "apply", "-results", dsn); code != 0 {
		t.Fatalf("schema apply: %s%s", out, errOut)
	}
	file := filepath.Join(t.TempDir(), "sf.fb.hcl")
	src := sfConnectionHCL(srv, "local", "BENCH_WH") + `
template "kv" {
  connection = connection.snowflake.local
  table      = "KV"
  warehouse {
    size              = "MEDIUM"
    max_cluster_count = 3
  }
  query "one" {
    sql = "SELECT COUNT(*) FROM KV"
  }
}

scenario "kv" {
  setup {
    sql = ["CREATE OR REPLACE TABLE KV (K NUMBER)"]
  }
  phase "p" {
    duration    = "300ms"
    connections = 1
  }
}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := fbctlRun(t, "plan", "-results", dsn, file)
	if code != 0 || !strings.Contains(out, "warehouse BENCH_WH: WAREHOUSE_SIZE = MEDIUM; MAX_CLUSTER_COUNT = 3 for the run, restored afterwards") {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := fbctlRun(t, "apply", "-auto-approve", "-results", dsn, "-run-id", "sf-wh-1", file); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	w, _ := srv.Warehouse("BENCH_WH")
	if w.Size != "X-Small" || w.MaxClusters != 1 || w.State != "STARTED" {
		t.Errorf("after the run: size %q, max clusters %d, %s; want X-Small, 1, STARTED (restored, not suspended: fbctl did not resume it)", w.Size, w.MaxClusters, w.State)
	}
	fps, err := openSFStore(t, srv).ListRunFingerprints(context.Background(), "sf-wh-1")
	if err != nil || len(fps) != 1 || fps[0].Settings["warehouse.size"] != "MEDIUM" || fps[0].Settings["warehouse.max_cluster_count"] != "3" {
		t.Fatalf("fingerprint %+v, %v", fps, err)
	}
	acts := strings.Join(fps[0].Actions, "\n")
	if !strings.Contains(acts, "set WAREHOUSE_SIZE = MEDIUM, MAX_CLUSTER_COUNT = 3 on warehouse BENCH_WH for the run (was size X-Small, max clusters 1)") ||
		!strings.Contains(acts, "restored warehouse BENCH_WH settings after teardown") {
		t.Errorf("actions:\n%s", acts)
	}
}
