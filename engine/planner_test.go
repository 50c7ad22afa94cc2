package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

func mustPlan(t *testing.T, cfg *dsl.Config, state map[string]StoredTemplate, opts PlanOptions) *Plan {
	t.Helper()
	p, diags := BuildPlan(cfg, state, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics: %s", diags.Error())
	}
	return p
}

func TestBuildPlanQuickstart(t *testing.T) {
	cfg := newTestConfig(t)
	p := mustPlan(t, cfg, nil, PlanOptions{ToolVersion: "v0.1.0-test"})
	if p.FormatVersion != PlanFormatVersion || p.ToolVersion != "v0.1.0-test" {
		t.Fatalf("versions: %q %q", p.FormatVersion, p.ToolVersion)
	}
	if want := (Summary{ToCreate: 1, Scenarios: ChangeCounts{ToCreate: 1}, Runs: 1}); p.Summary != want {
		t.Fatalf("summary %+v, want %+v", p.Summary, want)
	}
	if !p.HasChanges() {
		t.Fatal("a template to create is a change")
	}
	run := p.Runs[0]
	if run.Scenario != "nightly" || run.Seed != 42 || run.Template != "orders_oltp" {
		t.Fatalf("run header: %+v", run)
	}

	// The DAG.
	var shape []string
	for _, n := range run.Nodes {
		shape = append(shape, string(n.Kind)+" "+n.Name+" <- "+strings.Join(n.DependsOn, ","))
	}
	want := []string{
		"setup setup <- ",
		"warmup warmup <- setup",
		"phase phase.steady <- warmup",
		"phase phase.rate <- phase.steady",
		"teardown teardown <- phase.rate",
	}
	if d := cmp.Diff(want, shape); d != "" {
		t.Fatalf("nodes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"ALTER WAREHOUSE BENCH_WH RESUME IF SUSPENDED"}, run.Nodes[0].SQL); d != "" {
		t.Fatal(d)
	}

	// Closed phase: 10 connections over 4 workers.
	steady := run.Nodes[2].Phase
	if steady.Model != "closed" || steady.Duration.Millis() != 300000 || steady.Connections != 10 || steady.Workers != 4 {
		t.Fatalf("steady: %+v", steady)
	}
	var conns []int64
	for _, a := range steady.Assignments {
		conns = append(conns, a.Load.Sessions)
	}
	if d := cmp.Diff([]int64{3, 3, 2, 2}, conns); d != "" {
		t.Fatalf("steady connections: %s", d)
	}
	if steady.ExpectedOperations != nil || steady.ExpectedOperationsNote == "" {
		t.Fatalf("closed phase expected ops: %v %q", steady.ExpectedOperations, steady.ExpectedOperationsNote)
	}
	if steady.TemplateHash != p.Templates[0].Hash {
		t.Fatal("phase template hash differs from the template's")
	}

	// Open phase: 80 connections, auto scaling at 25 per worker: 4 workers.
	rate := run.Nodes[3].Phase
	if rate.Workers != 4 || rate.Scaling.Mode != "auto" || rate.Connections != 80 || rate.Rate != 1000.5 {
		t.Fatalf("rate: %+v", rate)
	}
	var sum float64
	for _, a := range rate.Assignments {
		sum += a.Load.Rate
	}
	if sum != 1000.5 || rate.Assignments[0].Load.Rate != 250.5 || rate.Assignments[3].WorkerID != "worker-3" {
		t.Fatalf("rate shares: %+v", rate.Assignments)
	}
	if rate.ExpectedOperations == nil || *rate.ExpectedOperations != 120060 {
		t.Fatalf("open expected ops: %v", rate.ExpectedOperations)
	}

	// Warmup: the first phase's 10 connections on its 4 workers.
	w := run.Nodes[1].Warmup
	if w == nil || w.Connections != 10 || w.Workers != 4 || w.ConnectionsFrom != "phase.steady" || w.Duration.Millis() != 30000 {
		t.Fatalf("warmup: %+v", w)
	}

	// Sampling fixed at 0.5: stored rows known only where ops are.
	if run.Sampling.Mode != "fixed" || *run.Sampling.Rate != 0.5 || *rate.ExpectedStoredRows != 60030 {
		t.Fatalf("sampling: %+v / %v", run.Sampling, rate.ExpectedStoredRows)
	}
	if run.ExpectedOperations != nil || run.Sampling.ExpectedStoredRows != nil {
		t.Fatal("a closed phase makes the run's totals unknown")
	}
	if run.Workers != 4 {
		t.Fatalf("run workers %d", run.Workers)
	}

	// Thresholds: the scenario's, then the SLOs.
	var names []string
	for _, th := range run.Thresholds {
		names = append(names, th.Name+"/"+string(th.Metric)+"/"+th.Query+"/"+th.Source)
	}
	wantTh := []string{
		"lookup_p99/p99/point_lookup/scenario", "errors/error_rate//scenario",
		"slo.point_lookup.p95/p95/point_lookup/slo", "slo.point_lookup.p99/p99/point_lookup/slo",
		"slo.point_lookup.error_rate/error_rate/point_lookup/slo",
	}
	if d := cmp.Diff(wantTh, names); d != "" {
		t.Fatalf("thresholds (-want +got):\n%s", d)
	}
	if *run.Thresholds[2].Below != 20 {
		t.Fatalf("slo p95 below = %v ms", *run.Thresholds[2].Below)
	}
}

func TestBuildPlanNoChangesAfterApply(t *testing.T) {
	cfg := newTestConfig(t)
	payload, hash := mustConfig(t, cfg, "orders_oltp")
	state := map[string]StoredTemplate{"orders_oltp": {Name: "orders_oltp", Config: payload, Hash: hash, Version: 1}}
	first := mustPlan(t, cfg, state, PlanOptions{})
	scenarios := map[string]StoredTemplate{}
	for _, sc := range first.Scenarios {
		scenarios[sc.Name] = StoredTemplate{Name: sc.Name, Config: sc.Config, Hash: sc.Hash, Version: 1}
	}
	p := mustPlan(t, cfg, state, PlanOptions{StoredScenarios: scenarios})
	if p.HasChanges() || p.Summary.Unchanged != 1 {
		t.Fatalf("summary %+v", p.Summary)
	}
	cfg.Templates["orders_oltp"].Queries["point_lookup"].Weight = 70
	p = mustPlan(t, cfg, state, PlanOptions{StoredScenarios: scenarios})
	if !p.HasChanges() || p.Summary.ToUpdate != 1 {
		t.Fatalf("summary %+v", p.Summary)
	}
	if got := p.Templates[0].Diff[0].String(); got != "queries.point_lookup.weight: 60 → 70" {
		t.Fatalf("diff %q", got)
	}
}

func TestBuildPlanJSONHasNoSecret(t *testing.T) {
	cfg := newTestConfig(t)
	p := mustPlan(t, cfg, nil, PlanOptions{})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), testSecret) {
		t.Fatal("plan JSON contains a connection secret")
	}
	if !strings.Contains(string(b), `"format_version":"`+PlanFormatVersion+`"`) {
		t.Fatal("no format_version")
	}
}

func diagSummaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary+": "+d.Detail)
	}
	return out
}

func wantDiag(t *testing.T, diags hcl.Diagnostics, fragments ...string) {
	t.Helper()
	for _, d := range diags {
		text := d.Summary + ": " + d.Detail
		ok := true
		for _, f := range fragments {
			if !strings.Contains(text, f) {
				ok = false
			}
		}
		if ok {
			return
		}
	}
	t.Fatalf("no diagnostic with %q in:\n%s", fragments, strings.Join(diagSummaries(diags), "\n"))
}

func TestBuildPlanUnknownScenario(t *testing.T) {
	cfg := newTestConfig(t)
	p, diags := BuildPlan(cfg, nil, PlanOptions{Scenarios: []string{"nightli"}})
	if !diags.HasErrors() {
		t.Fatal("want an error")
	}
	wantDiag(t, diags, "Unknown scenario", `Did you mean "nightly"?`)
	if len(p.Runs) != 0 {
		t.Fatal("an unknown scenario produced a run")
	}
	_, diags = BuildPlan(cfg, nil, PlanOptions{Scenarios: []string{"completely-different"}})
	wantDiag(t, diags, "Unknown scenario", "The files declare: nightly.")
	p = mustPlan(t, cfg, nil, PlanOptions{Scenarios: []string{"nightly"}})
	if len(p.Runs) != 1 {
		t.Fatal("selected scenario missing")
	}
}

func TestBuildPlanMoreWorkersThanConnections(t *testing.T) {
	cfg := newTestConfig(t)
	cfg.Scenarios["nightly"].Phases[0].Connections = 2
	cfg.Scenarios["nightly"].Warmup.Connections = 8
	_, diags := BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "More workers than connections", "4 workers share 2 connections", "worker-2 to worker-3 would get 0 connections", "at most 2 workers")
	for _, d := range diags {
		if d.Summary == "More workers than connections" && (d.Subject == nil || d.Subject.Start.Line != 42) {
			t.Fatalf("diagnostic not on the phase's range: %+v", d.Subject)
		}
	}
}

func TestBuildPlanWarmupTooSmall(t *testing.T) {
	cfg := newTestConfig(t)
	cfg.Scenarios["nightly"].Warmup.Connections = 3
	_, diags := BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Warmup leaves workers idle", "worker-3 would get 0 connections")
}

func TestBuildPlanBoundedScalingOverMax(t *testing.T) {
	cfg := newTestConfig(t)
	cfg.Scenarios["nightly"].Phases[1].Scaling = &dsl.Scaling{Mode: dsl.ScaleBounded, MaxWorkers: 2, MaxConnectionsPerWorker: 25}
	_, diags := BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Worker count cannot be resolved", "80 connections need 4 workers", "max_workers = 2")
}

func TestBuildPlanPhaseCycleAndUnknownDependency(t *testing.T) {
	cfg := newTestConfig(t)
	ph := cfg.Scenarios["nightly"].Phases
	ph[0].DependsOn = []string{"rate"}
	_, diags := BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Phase dependency cycle", "rate → steady → rate")

	cfg = newTestConfig(t)
	cfg.Scenarios["nightly"].Phases[1].DependsOn = []string{"stedy"}
	_, diags = BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Unknown phase in depends_on", `Did you mean "steady"?`)
}

func TestBuildPlanUnknownTemplateAndConnection(t *testing.T) {
	cfg := newTestConfig(t)
	cfg.Scenarios["nightly"].Phases[0].Template = "orders_oltpp"
	_, diags := BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Unknown template", `Did you mean "orders_oltp"?`)

	cfg = newTestConfig(t)
	cfg.Templates["orders_oltp"].Connection = "snowflake.bnch"
	_, diags = BuildPlan(cfg, nil, PlanOptions{})
	wantDiag(t, diags, "Unknown connection", `Did you mean "snowflake.bench"?`)
}

func TestBuildPlanParallelPhasesAndMinimalScenario(t *testing.T) {
	cfg := newTestConfig(t)
	sc := cfg.Scenarios["nightly"]
	sc.Setup, sc.Teardown, sc.Warmup, sc.Sampling = nil, nil, nil, nil
	sc.Phases = append(sc.Phases, &dsl.Phase{Name: "side", Model: load.Closed, Duration: time.Minute, Connections: 1})
	sc.Phases[1].DependsOn = nil // two roots: steady and rate; side follows none
	p := mustPlan(t, cfg, nil, PlanOptions{})
	var shape []string
	for _, n := range p.Runs[0].Nodes {
		shape = append(shape, n.Name+" <- "+strings.Join(n.DependsOn, ","))
	}
	if d := cmp.Diff([]string{"phase.steady <- ", "phase.rate <- ", "phase.side <- "}, shape); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if got := p.Runs[0].Nodes[2].Phase; got.Template != "orders_oltp" || got.Workers != 1 || got.Scaling.Mode != "workers" {
		t.Fatalf("side phase: %+v", got)
	}
	if s := p.Runs[0].Sampling; s.Mode != "all" || *s.Rate != 1 {
		t.Fatalf("sampling %+v", s)
	}
}

func TestBuildPlanAutoSamplingRampAndFindMax(t *testing.T) {
	cfg := newTestConfig(t)
	sc := cfg.Scenarios["nightly"]
	sc.Sampling = &dsl.Sampling{Auto: true, MaxRowsPerSecond: 2000}
	sc.Phases = []*dsl.Phase{
		{Name: "ramp", Model: load.Ramp, Duration: 2 * time.Minute, Ramp: &dsl.Ramp{From: 1000, To: 5000, Over: time.Minute}, MaxConnections: 100, Workers: 2},
		{Name: "open", DependsOn: []string{"ramp"}, Model: load.Open, Duration: time.Minute, Rate: 4000},
	}
	p := mustPlan(t, cfg, nil, PlanOptions{})
	run := p.Runs[0]
	ramp := run.Nodes[2].Phase
	// (1000+5000)/2 × 60 s + 5000 × 60 s
	if ramp.ExpectedOperations == nil || *ramp.ExpectedOperations != 480000 || ramp.Rate != 5000 {
		t.Fatalf("ramp: %+v", ramp)
	}
	open := run.Nodes[3].Phase
	// No max_connections: ceil(4000 × 100 ms) = 400 derived.
	if !open.ConnectionsDerived || open.Connections != 400 {
		t.Fatalf("derived connections: %+v", open)
	}
	// One rate per run: min(1, 2000/5000) = 0.4.
	if run.Sampling.Rate == nil || *run.Sampling.Rate != 0.4 || *open.SampleRate != 0.4 {
		t.Fatalf("sampling: %+v", run.Sampling)
	}
	if *run.ExpectedOperations != 480000+240000 || *run.Sampling.ExpectedStoredRows != 192000+96000 {
		t.Fatalf("totals: %v %v", *run.ExpectedOperations, *run.Sampling.ExpectedStoredRows)
	}

	// A closed phase makes auto sampling a run-time decision.
	sc.Phases = append(sc.Phases, &dsl.Phase{Name: "fm", DependsOn: []string{"open"}, Model: load.FindMax,
		FindMax: &dsl.FindMax{Start: 5, Step: 10, StepDuration: 30 * time.Second, Max: 95}})
	p = mustPlan(t, cfg, nil, PlanOptions{})
	run = p.Runs[0]
	fm := run.Nodes[4].Phase
	if fm.FindMax.Steps != 10 || fm.Duration.Millis() != 300000 || fm.Connections != 95 || fm.ExpectedOperations != nil {
		t.Fatalf("find_max: %+v %+v", fm, fm.FindMax)
	}
	if run.Sampling.Rate != nil || !strings.Contains(run.Sampling.Note, "end of warmup") || fm.SampleRate != nil {
		t.Fatalf("sampling: %+v", run.Sampling)
	}
}

func TestBuildPlanWarmupBeforeFindMaxUsesStart(t *testing.T) {
	cfg := newTestConfig(t)
	sc := cfg.Scenarios["nightly"]
	sc.Phases = []*dsl.Phase{{Name: "fm", Model: load.FindMax, Workers: 2,
		FindMax: &dsl.FindMax{Start: 6, Step: 4, StepDuration: 10 * time.Second, Max: 30}}}
	p := mustPlan(t, cfg, nil, PlanOptions{})
	w := p.Runs[0].Nodes[1].Warmup
	if w.Connections != 6 || w.ConnectionsFrom != "phase.fm" || w.Workers != 2 {
		t.Fatalf("warmup: %+v", w)
	}
	fm := p.Runs[0].Nodes[2].Phase
	if fm.Connections != 30 || fm.FindMax.Steps != 7 || fm.Duration.Millis() != 70000 {
		t.Fatalf("find_max: %+v %+v", fm, fm.FindMax)
	}
}

func BenchmarkBuildPlan(b *testing.B) {
	cfg := newTestConfig(b)
	for b.Loop() {
		if _, diags := BuildPlan(cfg, nil, PlanOptions{}); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}

// max_rows_per_second caps a fixed rate too: at plan time with only open
// phases (0.5 ceiling, 300/1000.5 budget), at the end of warmup with a
// closed phase (MaxRate carries the ceiling); without a warmup the plan
// fixes the rate from the open phases alone and says so.
func TestBuildPlanFixedSamplingCapped(t *testing.T) {
	cfg := newTestConfig(t)
	sc := cfg.Scenarios["nightly"]
	sc.Sampling = &dsl.Sampling{Rate: 0.5, MaxRowsPerSecond: 300}
	sc.Phases = sc.Phases[1:] // the open phase only
	sc.Phases[0].DependsOn = nil
	run := mustPlan(t, cfg, nil, PlanOptions{}).Runs[0]
	if s := run.Sampling; s.Mode != "fixed" || s.Rate == nil || *s.Rate != 300/1000.5 {
		t.Fatalf("open only: %+v", s)
	}
	sc.Sampling.MaxRowsPerSecond = 100_000
	run = mustPlan(t, cfg, nil, PlanOptions{}).Runs[0]
	if s := run.Sampling; s.Rate == nil || *s.Rate != 0.5 {
		t.Fatalf("budget above the fixed rate: %+v", s)
	}

	cfg = newTestConfig(t)
	sc = cfg.Scenarios["nightly"]
	sc.Sampling = &dsl.Sampling{Rate: 0.5, MaxRowsPerSecond: 300}
	run = mustPlan(t, cfg, nil, PlanOptions{}).Runs[0]
	if s := run.Sampling; s.Rate != nil || s.MaxRate != 300/1000.5 || s.MaxRowsPerSecond != 300 || !strings.Contains(s.Note, "min(0.5, 300 / ops/s)") {
		t.Fatalf("closed phase with warmup: %+v", s)
	}
	sc.Warmup = nil
	run = mustPlan(t, cfg, nil, PlanOptions{}).Runs[0]
	if s := run.Sampling; s.Rate == nil || *s.Rate != 300/1000.5 || !strings.Contains(s.Note, "no warmup") {
		t.Fatalf("closed phase without warmup: %+v", s)
	}
}
