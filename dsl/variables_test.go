package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const varsSrc = `
variable "a" {
  default = "default"
}
variable "b" {
  default = "default"
}
variable "c" {
  default = "default"
}
variable "d" {
  default = "default"
}
variable "n" {
  type    = number
  default = 1
}
variable "list" {
  type    = list(string)
  default = []
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	varFile := filepath.Join(dir, "vals.hcl")
	if err := os.WriteFile(varFile, []byte("b = \"file\"\nc = \"file\"\nd = \"file\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FB_VAR_c": "env", "FB_VAR_d": "env", "FB_VAR_a": "env", "FB_VAR_n": "7", "FB_VAR_list": `["x", "y"]`}
	opts := LoadOptions{
		Vars:      []string{"d=flag", "a=first", "a=second"},
		VarFiles:  []string{varFile},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}
	cfg, diags := LoadSources(map[string][]byte{"v.fb.hcl": []byte(varsSrc)}, opts)
	if diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	got := map[string][2]any{}
	for n, v := range cfg.Variables {
		got[n] = [2]any{v.Value, v.Source}
	}
	want := map[string][2]any{
		"a":    {"second", "-var"},    // -var over env and default; the last -var wins
		"b":    {"file", "-var-file"}, // -var-file over default
		"c":    {"file", "-var-file"}, // -var-file over env
		"d":    {"flag", "-var"},      // -var over -var-file and env
		"n":    {int64(7), "env"},     // env parsed as the declared type
		"list": {[]any{"x", "y"}, "env"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestVariableErrors(t *testing.T) {
	opts := LoadOptions{
		Vars:      []string{"nope=1", "broken", "n=abc"},
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	_, diags := LoadSources(map[string][]byte{"v.fb.hcl": []byte(varsSrc)}, opts)
	var sums []string
	for _, d := range diags {
		sums = append(sums, d.Summary)
	}
	want := []string{"Invalid -var option", "Value for undeclared variable", "Invalid value for variable"}
	for _, w := range want {
		if !strings.Contains(strings.Join(sums, "|"), w) {
			t.Errorf("missing %q in %v", w, sums)
		}
	}
}

func TestSensitiveValuesGoToSecrets(t *testing.T) {
	src := `
variable "user" {
  default   = "admin"
  sensitive = true
}
connection "postgres" "pg" {
  host     = "db"
  user     = var.user
  password = env("PGPASSWORD")
}
connection "postgres" "kv" {
  dsn = "host=db user=x password=y"
}
connection "postgres" "nopw" {
  dsn = "postgres://x@db/bench"
}
`
	opts := LoadOptions{LookupEnv: func(k string) (string, bool) { return "pw", k == "PGPASSWORD" }}
	cfg, diags := LoadSources(map[string][]byte{"c.fb.hcl": []byte(src)}, opts)
	if diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	pg := cfg.Connections["postgres.pg"]
	if d := cmp.Diff(map[string]string{"user": "admin", "password": "pw"}, pg.Secrets); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(map[string]string{"host": "db"}, pg.Fields); d != "" {
		t.Error(d)
	}
	if pg.Get("user") != "admin" || pg.Get("host") != "db" {
		t.Error("Get does not look in both maps")
	}
	if _, ok := cfg.Connections["postgres.kv"].Secrets["dsn"]; !ok {
		t.Error("key=value dsn with password not secret")
	}
	if _, ok := cfg.Connections["postgres.nopw"].Fields["dsn"]; !ok {
		t.Error("dsn without password should be a field")
	}
}

func TestFileFunction(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "q.sql"), []byte("SELECT ?"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `
connection "sqlite" "l" {
  path = "x.db"
}
template "t" {
  query "q" {
    sql  = file("q.sql")
    args = [1]
  }
}
`
	p := filepath.Join(dir, "s.fb.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load([]string{dir}, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	if got := cfg.Templates["t"].Queries["q"].SQL; got != "SELECT ?" {
		t.Errorf("sql = %q", got)
	}
}

func TestVarFileUndeclaredIsWarning(t *testing.T) {
	dir := t.TempDir()
	vf := filepath.Join(dir, "v.hcl")
	if err := os.WriteFile(vf, []byte("aa = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, all := LoadSources(map[string][]byte{"v.fb.hcl": []byte(varsSrc)}, LoadOptions{VarFiles: []string{vf}})
	var diags hcl.Diagnostics
	for _, d := range all {
		if d.Summary != "No scenario" {
			diags = append(diags, d)
		}
	}
	if all.HasErrors() || len(diags) != 1 || !strings.Contains(diags[0].Detail, `Did you mean "a"?`) {
		t.Fatalf("want one warning with a suggestion, got:\n%s", dump(diags))
	}
}

func TestEnvFunctionFallback(t *testing.T) {
	src := `
locals {
  a = env("FB_TEST_SET")
  b = env("FB_TEST_UNSET", "fallback")
  c = env("FB_TEST_UNSET")
}
connection "sqlite" "l" {
  path = "${local.a}-${local.b}-${local.c}"
}
`
	opts := LoadOptions{LookupEnv: func(k string) (string, bool) { return "set", k == "FB_TEST_SET" }}
	cfg, diags := LoadSources(map[string][]byte{"e.fb.hcl": []byte(src)}, opts)
	if diags.HasErrors() {
		t.Fatal(dump(diags))
	}
	if got := cfg.Connections["sqlite.l"].Fields["path"]; got != "set-fallback-" {
		t.Errorf("path = %q", got)
	}
}
