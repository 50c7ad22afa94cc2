package preflight_test

import (
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/preflight"
)

func TestInteractiveWarnings(t *testing.T) {
	src := `
connection "snowflake" "sf" {
  account   = "xy12345"
  warehouse = "IWH"
}
template "i" {
  table      = "EV"
  table_type = "interactive"
  interactive {
    cluster_by = ["CUSTOMER_ID"]
  }
  query "by_customer" {
    sql = "SELECT COUNT(*) FROM EV WHERE CUSTOMER_ID = 1"
  }
  query "joined" {
    sql = "SELECT * FROM EV e JOIN DIM d ON d.ID = e.D"
  }
}
scenario "s" {
  %s
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`
	codes := func(extra string) map[string]int {
		cfg, diags := dsl.LoadSources(map[string][]byte{"i.fb.hcl": []byte(strings.Replace(src, "%s", extra, 1))}, dsl.LoadOptions{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		out := map[string]int{}
		for _, w := range preflight.Check(cfg, plan, preflight.Options{}) {
			out[w.Code]++
			if w.Code == preflight.CodeInteractiveShape && (!strings.Contains(w.Summary, "joined") || strings.Contains(w.Summary, "by_customer")) {
				t.Errorf("shape warning names %q", w.Summary)
			}
		}
		return out
	}
	got := codes("")
	if got[preflight.CodeInteractiveShape] != 1 || got[preflight.CodeInteractiveNoWarm] != 1 || got[preflight.CodeInteractiveTimeout] != 1 {
		t.Errorf("without cache_warmup: %v", got)
	}
	got = codes(`cache_warmup { max_duration = "1m" }`)
	if got[preflight.CodeInteractiveNoWarm] != 0 || got[preflight.CodeInteractiveShape] != 1 {
		t.Errorf("with cache_warmup: %v", got)
	}
}
