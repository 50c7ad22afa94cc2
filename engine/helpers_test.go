package engine

import (
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

// testSecret is a connection secret that must never leave the Config.
const testSecret = "hunter2-S3CRET-do-not-leak"

// newTestConfig builds the evaluated model of a small quick-start-like
// configuration: one connection with a secret, one template, one scenario
// with setup, warmup, a closed and an open phase, teardown.
func newTestConfig(t testing.TB) *dsl.Config {
	t.Helper()
	rng := func(line int) hcl.Range {
		return hcl.Range{Filename: "test.fb.hcl", Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 10}}
	}
	cached := false
	errRate := 0.001
	conn := &dsl.Connection{
		Type: dsl.ConnSnowflake, Name: "bench",
		Fields:  map[string]string{"account": "acme-xy123", "user": "BENCH", "warehouse": "BENCH_WH", "database": "DB", "schema": "PUBLIC"},
		Params:  map[string]string{"QUERY_TAG": "fbctl", "TIMEZONE": "UTC"},
		Secrets: map[string]string{"password": testSecret},
	}
	tmpl := &dsl.Template{
		Name: "orders_oltp", Description: "OLTP mix on ORDERS", Connection: "snowflake.bench",
		Table: "ORDERS", TableType: dsl.TableHybrid, UseCachedResult: &cached, ThinkTime: 0,
		Tags:    map[string]string{"team": "perf", "tier": "gold"},
		Session: map[string]string{"STATEMENT_TIMEOUT_IN_SECONDS": "60"},
		Pools: map[string]*dsl.Pool{
			"keys": {Name: "keys", Column: "O_ORDERKEY", Size: 10000},
		},
		PoolOrder: []string{"keys"},
		Queries: map[string]*dsl.Query{
			"point_lookup": {Name: "point_lookup", Kind: dsl.KindPointLookup, Weight: 60,
				SQL: "SELECT * FROM ORDERS WHERE O_ORDERKEY = ?", Args: []dsl.Generator{{Kind: dsl.GenPool, Pool: "keys"}}},
			"range_scan": {Name: "range_scan", Kind: dsl.KindRangeScan, Weight: 30,
				SQL: "SELECT * FROM ORDERS WHERE O_ORDERKEY BETWEEN ? AND ? + 100 AND O_TOTALPRICE < 5", Args: []dsl.Generator{{Kind: dsl.GenPool, Pool: "keys"}, {Kind: dsl.GenPool, Pool: "keys"}}},
			"insert": {Name: "insert", Kind: dsl.KindInsert, Weight: 10,
				SQL: "INSERT INTO ORDERS (O_ORDERKEY, O_COMMENT) VALUES (?, ?)", Args: []dsl.Generator{{Kind: dsl.GenSequence, Column: "O_ORDERKEY"}, {Kind: dsl.GenRandomString, N: 16}}},
		},
		QueryOrder: []string{"point_lookup", "range_scan", "insert"},
		SLOs: []*dsl.SLO{
			{Query: "point_lookup", P95: 20 * time.Millisecond, P99: 50 * time.Millisecond, ErrorRate: &errRate},
		},
		DeclRange: rng(10),
	}
	below := 50.0
	belowErr := 0.01
	sc := &dsl.Scenario{
		Name: "nightly", Template: "orders_oltp", Seed: 42,
		Setup:    []string{"ALTER WAREHOUSE BENCH_WH RESUME IF SUSPENDED"},
		Teardown: []string{"ALTER WAREHOUSE BENCH_WH SUSPEND"},
		Warmup:   &dsl.Warmup{Duration: 30 * time.Second, DeclRange: rng(40)},
		Phases: []*dsl.Phase{
			{Name: "steady", Template: "orders_oltp", Model: load.Closed, Duration: 5 * time.Minute,
				Connections: 10, Workers: 4, DeclRange: rng(42)},
			{Name: "rate", Template: "orders_oltp", DependsOn: []string{"steady"}, Model: load.Open,
				Duration: 2 * time.Minute, Rate: 1000.5, MaxConnections: 80,
				Scaling:   &dsl.Scaling{Mode: dsl.ScaleAuto, MaxConnectionsPerWorker: 25},
				DeclRange: rng(48)},
		},
		Sampling: &dsl.Sampling{Rate: 0.5, DeclRange: rng(60)},
		Thresholds: []*dsl.Threshold{
			{Name: "lookup_p99", Metric: "p99", Query: "point_lookup", Below: &below},
			{Name: "errors", Metric: "error_rate", Below: &belowErr},
		},
		DeclRange: rng(38),
	}
	return &dsl.Config{
		Connections:     map[string]*dsl.Connection{"snowflake.bench": conn},
		ConnectionOrder: []string{"snowflake.bench"},
		Templates:       map[string]*dsl.Template{"orders_oltp": tmpl},
		TemplateOrder:   []string{"orders_oltp"},
		Scenarios:       map[string]*dsl.Scenario{"nightly": sc},
		ScenarioOrder:   []string{"nightly"},
		Sources:         map[string][]byte{"test.fb.hcl": []byte("# test\n")},
	}
}

func mustConfig(t testing.TB, cfg *dsl.Config, name string) ([]byte, string) {
	t.Helper()
	payload, hash, err := CanonicalConfig(cfg, cfg.Templates[name])
	if err != nil {
		t.Fatal(err)
	}
	return payload, hash
}
