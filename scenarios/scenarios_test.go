package scenarios_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

// TestShippedScenarios loads every shipped scenario with an empty
// environment and asserts it has no diagnostic at all and is fmt-clean.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("*" + dsl.FileSuffix)
	if err != nil || len(files) < 5 {
		t.Fatalf("expected the shipped scenarios, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			cfg, diags := dsl.Load([]string{f}, dsl.LoadOptions{
				LookupEnv: func(string) (string, bool) { return "", false },
			})
			for _, d := range diags {
				t.Errorf("%s", d.Error())
			}
			if len(cfg.Scenarios) == 0 {
				t.Error("no scenario")
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, fdiags := dsl.Format(src, f)
			if fdiags.HasErrors() {
				t.Fatal(fdiags.Error())
			}
			if !bytes.Equal(out, src) {
				t.Errorf("%s is not fmt-clean; formatted:\n%s", f, out)
			}
		})
	}
}

func TestQuickstartShape(t *testing.T) {
	cfg, diags := dsl.Load([]string{"quickstart.fb.hcl"}, dsl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s := cfg.Scenarios["quickstart"]
	var total = s.Warmup.Duration
	for _, p := range s.Phases {
		total += p.Duration
	}
	if total.Seconds() > 25 {
		t.Errorf("quickstart runs %v, want under 25s", total)
	}
	if c := cfg.Connections["sqlite.local"]; c == nil || c.Fields["path"] != ".flakebench/quickstart.db" {
		t.Errorf("connection = %+v", c)
	}
}

// TestShippedScenariosTogether loads the directory as one configuration, as
// `fbctl validate scenarios/` does: names must not clash across files.
func TestShippedScenariosTogether(t *testing.T) {
	cfg, diags := dsl.Load([]string{"."}, dsl.LoadOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	for _, d := range diags {
		t.Errorf("%s", d.Error())
	}
	if len(cfg.Scenarios) < 5 {
		t.Errorf("got %d scenarios, want at least 5", len(cfg.Scenarios))
	}
}
