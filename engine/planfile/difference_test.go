package planfile

import (
	"testing"

	"github.com/flakebench/fbctl/engine"
)

func TestDifference(t *testing.T) {
	base := func() *engine.Plan {
		return &engine.Plan{
			Templates: []engine.TemplateChange{{Name: "orders", Action: engine.ActionCreate, Hash: "sha256:a"}},
			Scenarios: []engine.TemplateChange{{Name: "nightly", Action: engine.ActionCreate, Hash: "sha256:b"}},
			Runs:      []engine.RunPlan{{Scenario: "nightly", Workers: 2}},
		}
	}
	if d := Difference(base(), base()); d != "" {
		t.Errorf("equal plans: %q", d)
	}
	for _, tc := range []struct {
		name   string
		change func(*engine.Plan)
		want   string
	}{
		{"template hash", func(p *engine.Plan) { p.Templates[0].Hash = "sha256:c" }, `template "orders"`},
		{"scenario hash", func(p *engine.Plan) { p.Scenarios[0].Hash = "sha256:c" }, `scenario "nightly"`},
		{"template action", func(p *engine.Plan) { p.Templates[0].Action = engine.ActionNoOp }, `template "orders"`},
		{"template gone", func(p *engine.Plan) { p.Templates = nil }, `template "orders"`},
		{"runs", func(p *engine.Plan) { p.Runs[0].Workers = 3 }, "the run plans"},
	} {
		now := base()
		tc.change(now)
		if d := Difference(base(), now); d != tc.want {
			t.Errorf("%s: Difference = %q, want %q", tc.name, d, tc.want)
		}
	}
}
