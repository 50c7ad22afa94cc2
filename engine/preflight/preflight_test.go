package preflight_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/preflight"
)

// files is a Snowflake scenario: a benchmark connection on warehouse
// BENCH_WH, a results connection on resultsWH, one template on table_type
// with the given queries, a warmup of 8 and a phase of conns connections.
func files(tableType, queries, resultsWH string, conns int) string {
	if tableType == "interactive" {
		queries = "\n  interactive {\n    cluster_by = [\"ID\"]\n  }" + queries
	}
	results := ""
	if resultsWH != "" {
		results = `results {
  connection = connection.snowflake.results
}
`
	}
	return fmt.Sprintf(`connection "snowflake" "bench" {
  account   = "xy12345"
  user      = "BENCH"
  warehouse = "BENCH_WH"
}

connection "snowflake" "results" {
  account   = "xy12345"
  user      = "BENCH"
  warehouse = %q
  database  = "FB"
  schema    = "RESULTS"
}

%s
template "t" {
  connection = connection.snowflake.bench
  table      = "ORDERS"
  table_type = %q
%s
}

scenario "s" {
  template = template.t
  warmup {
    duration    = "10s"
    connections = 8
  }
  phase "load" {
    duration    = "1m"
    connections = %d
  }
}
`, resultsWH, results, tableType, queries, conns)
}

const reads = `
  query "lookup" {
    kind = "point_lookup"
    sql  = "SELECT * FROM ORDERS WHERE ID = ?"
    args = [uniform(1, 10)]
  }`

const mixed = reads + `
  query "bump" {
    kind = "update"
    sql  = "UPDATE ORDERS SET N = N + 1 WHERE ID = ?"
    args = [uniform(1, 10)]
  }`

func check(t *testing.T, src string, opts preflight.Options) []preflight.Warning {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.fb.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{path}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return preflight.Check(cfg, plan, opts)
}

type found struct{ Code, Node, Template string }

func codes(ws []preflight.Warning) []found {
	var out []found
	for _, w := range ws {
		if w.Summary == "" || w.Detail == "" {
			w.Code += " (no text)"
		}
		out = append(out, found{w.Code, w.Node, w.Template})
	}
	return out
}

func TestLockWaiters(t *testing.T) {
	lock := []found{{preflight.CodeLockWaiters, "phase.load", "t"}}
	for _, tc := range []struct {
		name      string
		tableType string
		queries   string
		conns     int
		want      []found
	}{
		{"standard table, 21 writers", "standard", mixed, 21, lock},
		{"standard table, 64 writers", "standard", mixed, 64, lock},
		{"standard table, exactly the limit", "standard", mixed, 20, nil},
		{"standard table, reads only", "standard", reads, 64, nil},
		{"hybrid table locks rows", "hybrid", mixed, 64, nil},
		// Not the lock-waiter limit; the interactive checks say the rest.
		{"interactive table", "interactive", mixed, 64, []found{{preflight.CodeInteractiveShape, "", "t"},
			{preflight.CodeInteractiveNoWarm, "", "t"}, {preflight.CodeInteractiveTimeout, "", "t"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codes(check(t, files(tc.tableType, tc.queries, "", tc.conns), preflight.Options{}))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
	ws := check(t, files("standard", mixed, "", 32), preflight.Options{})
	if len(ws) != 1 || ws[0].Scenario != "s" {
		t.Fatalf("%+v", ws)
	}
	for _, s := range []string{"32 concurrent sessions", "ORDERS", "000625", "bump"} {
		if !contains(ws[0].Summary+ws[0].Detail, s) {
			t.Errorf("warning text lacks %q: %s / %s", s, ws[0].Summary, ws[0].Detail)
		}
	}
}

func TestSharedWarehouse(t *testing.T) {
	shared := []found{{preflight.CodeSharedWarehouse, "", "t"}}
	for _, tc := range []struct {
		name      string
		resultsWH string
		opts      preflight.Options
		want      []found
	}{
		{"results block on the benchmark warehouse", "BENCH_WH", preflight.Options{}, shared},
		{"names compare case-insensitively", "bench_wh", preflight.Options{}, shared},
		{"results block on its own warehouse", "RESULTS_WH", preflight.Options{}, nil},
		{"no results block", "", preflight.Options{}, nil},
		{"-results overrides the block", "BENCH_WH",
			preflight.Options{ResultsDSN: "snowflake://u:secret@xy12345/FB/RESULTS?warehouse=RESULTS_WH"}, nil},
		{"-results on the benchmark warehouse", "",
			preflight.Options{ResultsDSN: "snowflake://u:secret@xy12345/FB/RESULTS?warehouse=BENCH_WH"}, shared},
		{"-results on another account", "",
			preflight.Options{ResultsDSN: "snowflake://u@other/FB/RESULTS?warehouse=BENCH_WH"}, nil},
		{"-results is not Snowflake", "BENCH_WH", preflight.Options{ResultsDSN: "sqlite:x.db"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codes(check(t, files("hybrid", mixed, tc.resultsWH, 4), tc.opts))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShippedScenariosHaveNoLockWarning(t *testing.T) {
	for _, f := range []string{"snowflake_hybrid.fb.hcl", "snowflake_analytics.fb.hcl"} {
		cfg, diags := dsl.Load([]string{filepath.Join("..", "..", "scenarios", f)},
			dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		if ws := preflight.Check(cfg, plan, preflight.Options{}); len(ws) != 0 {
			t.Errorf("%s: %+v", f, ws)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
