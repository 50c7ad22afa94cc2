package dsl

import (
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

var ignoreRanges = cmp.Options{cmpopts.IgnoreTypes(hcl.Range{}), cmpopts.IgnoreFields(Connection{}, "Ranges")}

func ptr[T any](v T) *T { return &v }

func loadValid(t *testing.T, name string, opts LoadOptions) *Config {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(k string) (string, bool) {
			if k == "FB_TEST_TOKEN" {
				return "tok", true
			}
			return "", false
		}
	}
	cfg, diags := Load([]string{"testdata/valid/" + name}, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%s", dump(diags))
	}
	for _, d := range diags {
		t.Errorf("unexpected warning: %s", d.Error())
	}
	return cfg
}

func TestValidFull(t *testing.T) {
	cfg := loadValid(t, "full.fb.hcl", LoadOptions{})

	wantVars := map[string]*Variable{
		"warehouse": {Name: "warehouse", Description: "Warehouse to run on.", Value: "BENCH_WH", Source: "default"},
		"password":  {Name: "password", Sensitive: true, Value: "s3cret", Source: "default"},
		"rows":      {Name: "rows", Value: int64(10000), Source: "default"},
	}
	if d := cmp.Diff(wantVars, cfg.Variables, ignoreRanges); d != "" {
		t.Errorf("variables (-want +got):\n%s", d)
	}

	wantConns := map[string]*Connection{
		"snowflake.bench": {
			Type: "snowflake", Name: "bench",
			Fields:  map[string]string{"account": "xy12345", "user": "BENCH", "role": "SYSADMIN", "warehouse": "BENCH_WH", "database": "FB", "schema": "PUBLIC", "port": "443"},
			Params:  map[string]string{"QUERY_TAG": "flakebench"},
			Secrets: map[string]string{"password": "s3cret", "token": "tok"},
		},
		"postgres.pg": {
			Type: "postgres", Name: "pg",
			Fields:  map[string]string{"prefer_simple_protocol": "true"},
			Params:  map[string]string{},
			Secrets: map[string]string{"dsn": "postgres://bench:pw@localhost:5432/bench"},
		},
		"postgres.pg2": {
			Type: "postgres", Name: "pg2",
			Fields:  map[string]string{"host": "localhost", "port": "5432", "user": "bench", "database": "bench", "sslmode": "disable"},
			Params:  map[string]string{},
			Secrets: map[string]string{},
		},
		"sqlite.local": {
			Type: "sqlite", Name: "local",
			Fields:  map[string]string{"path": ".flakebench/test.db"},
			Params:  map[string]string{},
			Secrets: map[string]string{},
		},
	}
	if d := cmp.Diff(wantConns, cfg.Connections, ignoreRanges); d != "" {
		t.Errorf("connections (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"snowflake.bench", "postgres.pg", "postgres.pg2", "sqlite.local"}, cfg.ConnectionOrder); d != "" {
		t.Errorf("connection order: %s", d)
	}
	if cfg.Results == nil || cfg.Results.Connection != "sqlite.local" {
		t.Errorf("results = %+v", cfg.Results)
	}

	wantHybrid := &Template{
		Name: "hybrid", Description: "Hybrid table OLTP", Connection: "snowflake.bench",
		Table: "ORDERS", TableType: "hybrid", UseCachedResult: ptr(false), ThinkTime: 5 * time.Millisecond,
		Tags: map[string]string{"team": "perf"}, Session: map[string]string{"TIMEZONE": "UTC"},
		Pools: map[string]*Pool{
			"ids":     {Name: "ids", Column: "ID", Table: "ORDERS", Size: 500},
			"regions": {Name: "regions", Values: []any{"eu", "us"}},
		},
		PoolOrder: []string{"ids", "regions"},
		Queries: map[string]*Query{
			"lookup": {Name: "lookup", Kind: "point_lookup", Weight: 6, SQL: "SELECT * FROM ORDERS WHERE ID = ?",
				Args: []Generator{{Kind: GenPool, Pool: "ids"}}},
			"scan": {Name: "scan", Kind: "range_scan", Weight: 2, SQL: "SELECT * FROM ORDERS WHERE ID BETWEEN ? AND ? AND REGION = ?",
				Args: []Generator{{Kind: GenUniform, Min: 1, Max: 20000}, {Kind: GenZipf, N: 100, S: 1.2}, {Kind: GenPool, Pool: "regions"}}},
			"insert": {Name: "insert", Kind: "insert", Weight: 1, SQL: "INSERT INTO ORDERS (ID, NOTE, REGION, TS, FLAG) VALUES (?, ?, ?, ?, ?)",
				Args: []Generator{{Kind: GenSequence, Column: "ID"}, {Kind: GenRandomString, N: 16}, {Kind: GenChoice, Choices: []any{"a", "b"}}, {Kind: GenNow}, {Kind: GenLiteral, Literal: true}}},
			"update": {Name: "update", Kind: "update", Weight: 1, SQL: "UPDATE ORDERS SET NOTE = 'x?' WHERE ID = ?",
				Args: []Generator{{Kind: GenSequence, Start: 1000}}},
		},
		QueryOrder: []string{"lookup", "scan", "insert", "update"},
		SLOs: []*SLO{
			{Query: "lookup", P50: 2 * time.Millisecond, P99: 20 * time.Millisecond},
			{Query: "*", P95: 50 * time.Millisecond, ErrorRate: ptr(0.01)},
		},
	}
	if d := cmp.Diff(wantHybrid, cfg.Templates["hybrid"], ignoreRanges); d != "" {
		t.Errorf("template hybrid (-want +got):\n%s", d)
	}
	pg := cfg.Templates["pg"]
	if pg.TableType != TablePostgres || len(pg.Queries["q"].Args) != 2 || pg.Queries["q"].Args[1].Literal != 2.5 {
		t.Errorf("template pg = %+v", pg)
	}

	wantMixed := &Scenario{
		Name: "mixed", Description: "20000 rows", Template: "hybrid", Seed: 42,
		Setup:    []string{"CREATE TABLE IF NOT EXISTS T (A INT)"},
		Teardown: []string{"DROP TABLE T"},
		Warmup:   &Warmup{Duration: 10 * time.Second, Connections: 2},
		Phases: []*Phase{
			{Name: "closed", Template: "hybrid", Duration: time.Minute, Model: load.Closed, Connections: 8, Workers: 1, ThinkTime: ptr(time.Millisecond)},
			{Name: "open", Template: "hybrid", DependsOn: []string{"closed"}, Duration: 90 * time.Minute, Model: load.Open, Rate: 250.5, MaxConnections: 32, Workers: 2},
			{Name: "ramp", Template: "pg", DependsOn: []string{"closed"}, Duration: 2 * time.Minute, Model: load.Ramp,
				Ramp:    &Ramp{From: 10, To: 100, Over: 2 * time.Minute},
				Scaling: &Scaling{Mode: ScaleBounded, MinWorkers: 1, MaxWorkers: 4, MaxConnectionsPerWorker: 16}},
			{Name: "max", Template: "hybrid", DependsOn: []string{"open", "ramp"}, Model: load.FindMax, Workers: 1,
				FindMax: &FindMax{Start: 2, Step: 2, StepDuration: 20 * time.Second, MaxErrorRate: 0.05, MaxP95Increase: 1, MaxQPSDrop: 0.2, Max: 64}},
		},
		Sampling: &Sampling{Auto: true, MaxRowsPerSecond: 5000},
		Thresholds: []*Threshold{
			{Name: "latency", Metric: "p99", Query: "lookup", Phase: "closed", Below: ptr(25.0)},
			{Name: "throughput", Metric: "qps", Above: ptr(100.0)},
		},
	}
	if d := cmp.Diff(wantMixed, cfg.Scenarios["mixed"], ignoreRanges); d != "" {
		t.Errorf("scenario mixed (-want +got):\n%s", d)
	}
	def := cfg.Scenarios["defaults"]
	if def.Seed != DefaultSeed("defaults") || def.Sampling.Rate != 0.1 || def.Warmup != nil || def.Phases[0].DependsOn != nil {
		t.Errorf("scenario defaults = %+v", def)
	}
	if def.Phases[0].Duration != 250*time.Millisecond {
		t.Errorf("duration = %v", def.Phases[0].Duration)
	}
}

func TestDefaultSeedStable(t *testing.T) {
	// The documented value: FNV-1a 64 of the name, top bit cleared.
	if got := DefaultSeed("quickstart"); got != DefaultSeed("quickstart") || got < 0 {
		t.Fatalf("DefaultSeed unstable or negative: %d", got)
	}
	if DefaultSeed("a") == DefaultSeed("b") {
		t.Fatal("DefaultSeed collides on a/b")
	}
}

func TestRangesPointAtSource(t *testing.T) {
	cfg := loadValid(t, "full.fb.hcl", LoadOptions{})
	p := cfg.Scenarios["mixed"].Phases[1]
	if p.DeclRange.Start.Line == 0 || p.DeclRange.Filename != "testdata/valid/full.fb.hcl" {
		t.Errorf("phase range = %v", p.DeclRange)
	}
	g := cfg.Templates["hybrid"].Queries["scan"].Args[1]
	if g.Range.Start.Line != 94 || g.Range.Start.Column != 41 {
		t.Errorf("generator range = %v", g.Range)
	}
}

func TestLoadDirectoryAcrossFiles(t *testing.T) {
	cfg, diags := Load([]string{"testdata/multi"}, LoadOptions{Vars: []string{"db_path=other.db"}})
	if len(diags) > 0 {
		t.Fatal(dump(diags))
	}
	if got := cfg.Connections["sqlite.main"].Fields["path"]; got != "other.db" {
		t.Errorf("path = %q", got)
	}
	if len(cfg.Sources) != 2 || len(cfg.Files) != 2 {
		t.Errorf("sources = %d, files = %d, want 2 each", len(cfg.Sources), len(cfg.Files))
	}
	s := cfg.Scenarios["kv"]
	if s.Template != "kv" || s.Phases[0].Template != "kv" {
		t.Errorf("scenario template = %q", s.Template)
	}
	if g := cfg.Templates["kv"].Queries["get"].Args[0]; g.Max != 100 {
		t.Errorf("uniform max = %d", g.Max)
	}
}

func TestLoadMissingPath(t *testing.T) {
	cfg, diags := Load([]string{"testdata/does-not-exist"}, LoadOptions{})
	if !diags.HasErrors() || cfg == nil {
		t.Fatalf("want an error and a Config, got %v", diags)
	}
}

func TestLoadKeepsFilesOnError(t *testing.T) {
	path := "testdata/invalid/syntax_error.fb.hcl"
	cfg, diags := Load([]string{path}, LoadOptions{})
	if !diags.HasErrors() {
		t.Fatal("want errors")
	}
	if cfg.Files[path] == nil || cfg.Sources[path] == nil {
		t.Error("Files and Sources must be set even when loading fails")
	}
}

func TestValidTransaction(t *testing.T) {
	cfg := loadValid(t, "transaction.fb.hcl", LoadOptions{})
	q := cfg.Templates["tpcb"].Queries["tpcb"]
	if !q.IsTransaction() || q.Kind != KindTransaction || !q.IsWrite() {
		t.Fatalf("query: transaction %v kind %q write %v", q.IsTransaction(), q.Kind, q.IsWrite())
	}
	if q.Isolation != IsolationRepeatableRead || q.MaxTries != 5 {
		t.Errorf("isolation %q max_tries %d", q.Isolation, q.MaxTries)
	}
	wantLets := []*Let{ // source order
		{Name: "aid", Gen: Generator{Kind: GenUniform, Min: 1, Max: 200000}},
		{Name: "bid", Gen: Generator{Kind: GenUniform, Min: 1, Max: 2}},
		{Name: "tid", Gen: Generator{Kind: GenUniform, Min: 1, Max: 20}},
		{Name: "delta", Gen: Generator{Kind: GenUniform, Min: -5000, Max: 5000}},
	}
	if d := cmp.Diff(wantLets, q.Lets, ignoreRanges); d != "" {
		t.Errorf("lets (-want +got):\n%s", d)
	}
	let := func(n string) Generator { return Generator{Kind: GenLet, Let: n} }
	wantStmts := []*Statement{
		{Name: "update_account", SQL: "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?", Args: []Generator{let("delta"), let("aid")}},
		{Name: "select_balance", SQL: "SELECT abalance FROM pgbench_accounts WHERE aid = ?", Args: []Generator{let("aid")}, Into: "abalance"},
		{Name: "history", SQL: "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, ?)",
			Args: []Generator{let("tid"), let("bid"), let("aid"), let("abalance"), {Kind: GenNow}}},
	}
	if d := cmp.Diff(wantStmts, q.Statements, ignoreRanges); d != "" {
		t.Errorf("statements (-want +got):\n%s", d)
	}
	if q.Statements[1].IsWrite() || !q.Statements[0].IsWrite() {
		t.Errorf("write detection: select %v update %v", q.Statements[1].IsWrite(), q.Statements[0].IsWrite())
	}
}
