package dsl

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// loadOne loads a single in-memory file with an empty environment.
func loadOne(t *testing.T, src string, opts LoadOptions) hcl.Diagnostics {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	_, diags := LoadSources(map[string][]byte{"f.fb.hcl": []byte(src)}, opts)
	return diags
}

// onlyError asserts diags hold exactly one error, with summary at line:col.
func onlyError(t *testing.T, diags hcl.Diagnostics, summary string, line, col int) *hcl.Diagnostic {
	t.Helper()
	var errs hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("want one error %q, got %d:\n%s", summary, len(errs), dump(diags))
	}
	d := errs[0]
	if d.Summary != summary || d.Subject == nil || d.Subject.Start.Line != line || d.Subject.Start.Column != col {
		t.Fatalf("want %q at %d:%d, got:\n%s", summary, line, col, dump(diags))
	}
	checkDiagShape(t, d)
	return d
}

const minimalTail = `
connection "sqlite" "l" {
  path = "x.db"
}
scenario "s" {
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`

func TestNULByteIsRefusedWithItsLocation(t *testing.T) {
	src := "template \"t\" {\n  query \"q\" {\n    sql = \"SELECT 1\x00; DROP TABLE X\"\n  }\n}\n" + minimalTail
	d := onlyError(t, loadOne(t, src, LoadOptions{}), "Invalid NUL character", 3, 20)
	if !strings.Contains(d.Detail, "NUL") {
		t.Errorf("detail %q", d.Detail)
	}
	two := strings.Replace(src, "X\"", "X\x00\"", 1)
	d = onlyError(t, loadOne(t, two, LoadOptions{}), "Invalid NUL character", 3, 20)
	if !strings.Contains(d.Detail, "2 NUL characters") {
		t.Errorf("detail %q does not count them", d.Detail)
	}
	if _, diags := Format([]byte(src), "f.fb.hcl"); !diags.HasErrors() {
		t.Error("Format accepted a NUL byte")
	}
}

func TestUnterminatedHeredocIsReportedWhereItStarts(t *testing.T) {
	src := "template \"t\" {\n  query \"q\" {\n    sql = <<EOT\nSELECT 1\n  }\n}\n" + minimalTail
	d := onlyError(t, loadOne(t, src, LoadOptions{}), "Unterminated heredoc", 3, 11)
	if d.Subject.End.Column != 16 || !strings.Contains(d.Detail, "EOT") {
		t.Errorf("range %v, detail %q", d.Subject, d.Detail)
	}
	// An indented, terminated heredoc (both forms) and one holding an
	// interpolation with braces are fine.
	ok := "template \"t\" {\n  query \"q\" {\n    sql = <<-EOT\n      SELECT ${\"{\"} 1\n    EOT\n  }\n  query \"r\" {\n    sql = <<SQL\nSELECT 2\nSQL\n  }\n}\n" + minimalTail
	if diags := loadOne(t, ok, LoadOptions{}); diags.HasErrors() {
		t.Fatal(dump(diags))
	}
}

func TestEmptyFilesAndNoScenario(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n// and another\n/* and a block */\n"} {
		onlyError(t, loadOne(t, src, LoadOptions{}), "Empty scenario file", 1, 1)
	}
	// Beside a file that declares something, an empty file is a warning,
	// and declarations without a scenario say that nothing will run.
	_, diags := LoadSources(map[string][]byte{
		"a.fb.hcl": []byte(""),
		"b.fb.hcl": []byte("connection \"sqlite\" \"l\" {\n  path = \"x.db\"\n}\n"),
	}, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Subject.Filename+": "+d.Summary)
	}
	if want := "a.fb.hcl: Empty scenario file|a.fb.hcl: No scenario"; strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestNestingDepthLimit(t *testing.T) {
	nest := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	deep := MaxNestingDepth // one level is the locals block
	cases := map[string]string{
		"parentheses":    "locals {\n  x = " + nest("(", "1", ")", deep) + "\n}\n",
		"brackets":       "locals {\n  x = " + nest("[", "1", "]", deep) + "\n}\n",
		"objects":        "locals {\n  x = " + nest("{a = ", "1", "}", deep) + "\n}\n",
		"interpolations": "locals {\n  x = " + nest(`"${`, "1", `}"`, deep/2) + "\n}\n",
		"blocks":         nest("a {\n", "", "}\n", deep+1),
		"heredocs":       "locals {\n  x = " + nest("<<EOT\n${", "1", "}\nEOT\n", deep/2) + "\n}\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			diags := loadOne(t, src, LoadOptions{})
			if len(diags) != 1 || diags[0].Summary != "Nesting too deep" || diags[0].Subject == nil || diags[0].Subject.Start.Line < 1 {
				t.Fatalf("got:\n%s", dump(diags))
			}
			checkDiagShape(t, diags[0])
		})
	}
}

func TestNestingAtTheLimitParses(t *testing.T) {
	src := "locals {\n  x = " + strings.Repeat("(", MaxNestingDepth-1) + "1" + strings.Repeat(")", MaxNestingDepth-1) + "\n}\n"
	diags := loadOne(t, src, LoadOptions{})
	for _, d := range diags {
		if d.Summary == "Nesting too deep" {
			t.Fatalf("refused %d levels: %s", MaxNestingDepth, d.Error())
		}
	}
}

// TestDeepInputIsCheap is the reproduction of the stack overflow: 70,000
// nested parentheses (a 140 KB file) used to kill every command with
// "fatal error: stack overflow", and 10,000 levels cost 264 MB. Now each
// is refused by a scan that does not recurse, in little time and memory.
func TestDeepInputIsCheap(t *testing.T) {
	for _, n := range []int{10_000, 70_000, 1_000_000} {
		src := []byte("locals {\n  x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}\n")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, diags := LoadSources(map[string][]byte{"deep.fb.hcl": src}, LoadOptions{})
		_, fdiags := Format(src, "deep.fb.hcl")
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if !diags.HasErrors() || diags[0].Summary != "Nesting too deep" || !fdiags.HasErrors() {
			t.Fatalf("%d levels: %s / %s", n, dump(diags), dump(fdiags))
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
			t.Errorf("%d levels: allocated %d MB", n, alloc>>20)
		}
		if elapsed > 2*time.Second {
			t.Errorf("%d levels took %v", n, elapsed)
		}
		t.Logf("%d levels (%d KB): refused in %v", n, len(src)>>10, elapsed)
	}
}

func TestDeepValuesOutsideTheFiles(t *testing.T) {
	decl := "variable \"n\" {\n  type = list(number)\n  default = []\n}\n"
	deep := strings.Repeat("[", 50_000) + strings.Repeat("]", 50_000)
	diags := loadOne(t, decl, LoadOptions{Vars: []string{"n=" + deep}})
	if !diags.HasErrors() || !strings.Contains(dump(diags), "nesting too deep") {
		t.Errorf("deep -var value: %s", dump(diags))
	}
	dir := t.TempDir()
	vf := filepath.Join(dir, "deep.hcl")
	if err := os.WriteFile(vf, []byte("n = "+deep+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	diags = loadOne(t, decl, LoadOptions{VarFiles: []string{vf}})
	if !diags.HasErrors() || diags[0].Summary != "Nesting too deep" || diags[0].Subject.Filename != vf {
		t.Errorf("deep -var-file: %s", dump(diags))
	}
}

func TestFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.fb.hcl")
	src := "# " + strings.Repeat("x", MaxFileSize) + "\n"
	if err := os.WriteFile(big, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load([]string{big}, fixtureOptions())
	onlyError(t, diags, "File too large", 1, 1)

	vf := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(vf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	diags = loadOne(t, "variable \"v\" {\n  default = 1\n}\n", LoadOptions{VarFiles: []string{vf}})
	onlyError(t, diags, "File too large", 1, 1)

	sqlFile := filepath.Join(dir, "big.sql")
	if err := os.WriteFile(sqlFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	scen := filepath.Join(dir, "s.fb.hcl")
	if err := os.WriteFile(scen, []byte("locals {\n  sql = file(\"big.sql\")\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags = Load([]string{scen}, fixtureOptions())
	if !diags.HasErrors() || !strings.Contains(dump(diags), "larger than 4 MiB") {
		t.Errorf("file() of a big file: %s", dump(diags))
	}
}

func TestVarValueMessages(t *testing.T) {
	decl := "variable \"rows\" {\n  type    = number\n  default = 1\n}\n"
	diags := loadOne(t, decl, LoadOptions{Vars: []string{"rows=abc"}})
	if len(diags) == 0 {
		t.Fatal("accepted rows=abc")
	}
	msg := diags[0].Detail
	for _, internal := range []string{"Variables not allowed", "<value for", "1,1-4"} {
		if strings.Contains(msg, internal) {
			t.Errorf("message shows parser internals %q: %s", internal, msg)
		}
	}
	if !strings.Contains(msg, `"abc"`) || !strings.Contains(msg, "-var rows=10") {
		t.Errorf("message does not say what to write: %s", msg)
	}
	diags = loadOne(t, decl, LoadOptions{LookupEnv: func(k string) (string, bool) { return "abc", k == "FB_VAR_rows" }})
	if len(diags) == 0 || !strings.Contains(diags[0].Detail, "FB_VAR_rows=10") {
		t.Errorf("env value: %s", dump(diags))
	}
}

func TestValidationMayReferToOtherVariables(t *testing.T) {
	src := `
variable "rows" {
  type    = number
  default = 10
}
variable "max_rows" {
  type    = number
  default = 100
  validation {
    condition     = var.max_rows >= var.rows
    error_message = "max_rows must be at least rows."
  }
}
`
	if diags := loadOne(t, src, LoadOptions{}); diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	d := onlyError(t, loadOne(t, src, LoadOptions{Vars: []string{"rows=1000"}}), "Invalid value for variable", 10, 21)
	if !strings.HasPrefix(d.Detail, "max_rows must be at least rows.") {
		t.Errorf("detail %q", d.Detail)
	}
}

func TestValidationMessageNeverShowsASensitiveValue(t *testing.T) {
	src := `
variable "token" {
  sensitive = true
  default   = "hunter2-short"
  validation {
    condition     = length(var.token) > 20
    error_message = "token ${var.token} is too short."
  }
}
`
	diags := loadOne(t, src, LoadOptions{})
	if !diags.HasErrors() || strings.Contains(dump(diags), "hunter2") {
		t.Errorf("diags: %s", dump(diags))
	}
}

func TestJSONDecodeDepth(t *testing.T) {
	src := "locals {\n  ok = jsondecode(\"{\\\"a\\\": [1, {\\\"b\\\": \\\"]]\\\"}]}\").a[1].b\n  deep = jsondecode(\"" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\")\n}\n" +
		"connection \"sqlite\" \"l\" {\n  path = local.ok\n}\n"
	cfg, diags := LoadSources(map[string][]byte{"j.fb.hcl": []byte(src)}, LoadOptions{})
	if !diags.HasErrors() || !strings.Contains(dump(diags), "nests more than 100 levels") {
		t.Fatalf("deep JSON: %s", dump(diags))
	}
	if got := cfg.Connections["sqlite.l"].Fields["path"]; got != "]]" {
		t.Errorf("jsondecode(...).a[1].b = %q", got)
	}
}
