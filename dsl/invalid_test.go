package dsl

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// expectation is one `# ERROR: summary` marker of a fixture; see
// testdata/README.md for the scheme.
type expectation struct {
	line, col int
	summary   string
	anchor    string
}

var errorMarker = regexp.MustCompile(`#\s*ERROR(?:\[(.+?)\])?:\s*(.+?)\s*$`)

func parseExpectations(t *testing.T, src string) []expectation {
	t.Helper()
	var out []expectation
	for i, line := range strings.Split(src, "\n") {
		m := errorMarker.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		code := line[:strings.Index(line, m[0])]
		e := expectation{line: i + 1, summary: m[2], anchor: m[1]}
		if e.anchor != "" {
			idx := strings.Index(code, e.anchor)
			if idx < 0 {
				t.Errorf("line %d: anchor %q not found before the marker", e.line, e.anchor)
				continue
			}
			e.col = idx + 1
		} else {
			e.col = len(code) - len(strings.TrimLeft(code, " \t")) + 1
		}
		out = append(out, e)
	}
	return out
}

// fixtureOptions gives the invalid fixtures an empty environment so the
// results do not depend on the machine.
func fixtureOptions() LoadOptions {
	return LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }, RequireSecrets: true}
}

func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.fb.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), FileSuffix), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := parseExpectations(t, string(src))
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR marker")
			}
			_, diags := Load([]string{path}, fixtureOptions())
			if os.Getenv("DSL_DUMP") != "" {
				t.Log("\n" + dump(diags))
			}
			matched := make([]bool, len(diags))
			for _, e := range want {
				found := false
				for i, d := range diags {
					if d.Severity == hcl.DiagError && d.Summary == e.summary && d.Subject != nil &&
						d.Subject.Start.Line == e.line && d.Subject.Start.Column == e.col {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("line %d col %d: no error %q; got:\n%s", e.line, e.col, e.summary, dump(diags))
				}
			}
			for i, d := range diags {
				if d.Severity == hcl.DiagError && !matched[i] {
					t.Errorf("unexpected error: %s", d.Error())
				}
				checkDiagShape(t, d)
			}
		})
	}
}

// checkDiagShape asserts the diagnostic conventions: a short summary, a
// full-sentence detail and a subject.
func checkDiagShape(t *testing.T, d *hcl.Diagnostic) {
	t.Helper()
	if d.Summary == "" || strings.HasSuffix(d.Summary, ".") {
		t.Errorf("summary %q: want a short phrase without a full stop", d.Summary)
	}
	if d.Detail == "" {
		t.Errorf("%q: empty detail", d.Summary)
	}
	if d.Subject == nil {
		t.Errorf("%q: no subject", d.Summary)
	}
}

func dump(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  " + d.Error() + "\n")
	}
	return b.String()
}
