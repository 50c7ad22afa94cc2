package engine

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

// TestPlanShippedScenarios plans every shipped scenario file through the
// real decoder: each must plan without errors, with no secret in the JSON.
func TestPlanShippedScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "scenarios", "*"+dsl.FileSuffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios found: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, diags := dsl.Load([]string{file}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
			if diags.HasErrors() {
				t.Fatalf("load: %s", diags.Error())
			}
			p, diags := BuildPlan(cfg, nil, PlanOptions{ToolVersion: "test"})
			if diags.HasErrors() {
				t.Fatalf("plan: %s", diags.Error())
			}
			if len(p.Runs) == 0 || p.Summary.ToCreate != len(cfg.Templates) {
				t.Fatalf("summary %+v", p.Summary)
			}
			b, _ := json.MarshalIndent(p, "", "  ")
			t.Logf("%s", b)
			for _, c := range cfg.Connections {
				for _, v := range c.Secrets {
					if v != "" && strings.Contains(string(b), v) {
						t.Fatal("plan JSON contains a secret")
					}
				}
			}
		})
	}
}

// TestPlanQuickstart pins the quick-start plan a new user sees first.
func TestPlanQuickstart(t *testing.T) {
	cfg, diags := dsl.Load([]string{filepath.Join("..", "scenarios", "quickstart"+dsl.FileSuffix)}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	p, diags := BuildPlan(cfg, nil, PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	if len(p.Templates) != 1 || p.Templates[0].Action != ActionCreate || !p.HasChanges() {
		t.Fatalf("templates: %+v", p.Templates)
	}
	var names []string
	for _, n := range p.Runs[0].Nodes {
		names = append(names, n.Name+"<-"+strings.Join(n.DependsOn, ","))
	}
	want := "setup<- warmup<-setup phase.closed<-warmup phase.open<-phase.closed"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("nodes: %s", got)
	}
	open := p.Runs[0].Nodes[3].Phase
	if open == nil || open.Model != "open" || open.Rate != 200 || *open.ExpectedOperations != 1600 || open.Connections != 8 {
		t.Fatalf("open phase: %+v", open)
	}
	// Planning the same files against the CONFIG the plan would write shows
	// no changes.
	state := map[string]StoredTemplate{}
	for _, tc := range p.Templates {
		state[tc.Name] = StoredTemplate{Name: tc.Name, Config: tc.Config, Hash: tc.Hash, Version: 1}
	}
	scenarios := map[string]StoredTemplate{}
	for _, sc := range p.Scenarios {
		scenarios[sc.Name] = StoredTemplate{Name: sc.Name, Config: sc.Config, Hash: sc.Hash, Version: 1}
	}
	p2, _ := BuildPlan(cfg, state, PlanOptions{StoredScenarios: scenarios})
	if p2.HasChanges() || p2.Summary.Unchanged != 1 || p2.Summary.Scenarios.Unchanged != 1 {
		t.Fatalf("second plan: %+v", p2.Summary)
	}

	// A scenario edit that changes what the run does is a change, named
	// by attribute.
	cfg.Scenarios["quickstart"].Phases[0].Connections = 64
	p3, _ := BuildPlan(cfg, state, PlanOptions{StoredScenarios: scenarios})
	if !p3.HasChanges() || p3.Summary.Scenarios.ToUpdate != 1 || p3.Summary.ToUpdate != 0 {
		t.Fatalf("plan after a scenario edit: %+v", p3.Summary)
	}
	var diffs []string
	for _, d := range p3.Scenarios[0].Diff {
		diffs = append(diffs, d.String())
	}
	if got := strings.Join(diffs, "; "); got != "phases.closed.connections: 4 → 64; phases.closed.sessions: 4 → 64" {
		t.Fatalf("scenario diff: %s", got)
	}
}
