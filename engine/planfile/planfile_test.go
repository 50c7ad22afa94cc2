package planfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/load"
)

const secret = "pw-9f8e7d-NEVER-IN-A-PLAN"

func testConfig() *dsl.Config {
	conn := &dsl.Connection{Type: dsl.ConnPostgres, Name: "local",
		Fields:  map[string]string{"host": "localhost", "port": "5432", "user": "bench"},
		Secrets: map[string]string{"password": secret}}
	tmpl := &dsl.Template{Name: "kv", Connection: "postgres.local", Table: "kv", TableType: dsl.TablePostgres,
		Queries: map[string]*dsl.Query{
			"get": {Name: "get", Kind: dsl.KindPointLookup, Weight: 90, SQL: "SELECT v FROM kv WHERE k = $1 AND v <> ''",
				Args: []dsl.Generator{{Kind: dsl.GenUniform, Min: 1, Max: 1000}}},
			"put": {Name: "put", Kind: dsl.KindUpdate, Weight: 10, SQL: "UPDATE kv SET v = $2 WHERE k = $1",
				Args: []dsl.Generator{{Kind: dsl.GenUniform, Min: 1, Max: 1000}, {Kind: dsl.GenRandomString, N: 8}}},
		},
		QueryOrder: []string{"get", "put"}}
	sc := &dsl.Scenario{Name: "smoke", Template: "kv", Seed: 7,
		Phases: []*dsl.Phase{{Name: "main", Model: load.Open, Duration: 10 * time.Second, Rate: 50.25, MaxConnections: 4, Workers: 2}}}
	return &dsl.Config{
		Connections: map[string]*dsl.Connection{"postgres.local": conn}, ConnectionOrder: []string{"postgres.local"},
		Templates: map[string]*dsl.Template{"kv": tmpl}, TemplateOrder: []string{"kv"},
		Scenarios: map[string]*dsl.Scenario{"smoke": sc}, ScenarioOrder: []string{"smoke"},
		Sources: map[string][]byte{"a.fb.hcl": []byte("template \"kv\" {}\n"), "b.fb.hcl": []byte("scenario \"smoke\" {}\n")},
	}
}

func testFile(t *testing.T, state map[string]engine.StoredTemplate) (*File, *dsl.Config) {
	t.Helper()
	cfg := testConfig()
	plan, diags := engine.BuildPlan(cfg, state, engine.PlanOptions{ToolVersion: "v1.2.3"})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return New(plan, cfg.Sources, engine.State{Templates: state}, "v1.2.3", time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)), cfg
}

func TestWriteReadRoundTrip(t *testing.T) {
	state := map[string]engine.StoredTemplate{"legacy": {Name: "legacy", Config: []byte(`{}`), Version: 4}}
	f, _ := testFile(t, state)
	path := filepath.Join(t.TempDir(), "plan.fbplan")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f, got, cmpopts.IgnoreUnexported(File{})); d != "" {
		t.Fatalf("round trip (-want +got):\n%s", d)
	}
	// The CONFIG bytes come back canonical: the hash still matches.
	if engine.HashConfig(got.Plan.Templates[0].Config) != got.Plan.Templates[0].Hash {
		t.Fatal("CONFIG bytes changed on the round trip")
	}
	if d := cmp.Diff(map[string]string{"kv": "", "legacy": engine.HashConfig([]byte(`{}`))}, got.ConfigState); d != "" {
		t.Fatalf("config state: %s", d)
	}
	// Overwriting is atomic too.
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
}

func TestWrittenFileHasNoSecret(t *testing.T) {
	f, _ := testFile(t, nil)
	path := filepath.Join(t.TempDir(), "plan.fbplan")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(secret)) {
		t.Fatal("the plan file contains a connection secret")
	}
	if !bytes.Contains(data, []byte(`"password"`)) {
		t.Fatal("expected the secret attribute's name (not its value) in the CONFIG")
	}
	if !bytes.Contains(data, []byte(`v <> ''`)) {
		t.Fatal("SQL was HTML-escaped in the file")
	}
}

func TestReadUnusable(t *testing.T) {
	f, _ := testFile(t, nil)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := Write(good, f); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	tests := []struct {
		name, content, reason string
	}{
		{"not json", "PK\x03\x04 zip", "not JSON"},
		{"no version", `{"plan":{}}`, "no format_version"},
		{"future format", strings.Replace(string(data), `"format_version": "1"`, `"format_version": "9"`, 1), `format version "9" is not supported`},
		{"future plan format", strings.Replace(string(data), `"format_version": "`+engine.PlanFormatVersion+`",
    "tool_version"`, `"format_version": "7",
    "tool_version"`, 1), `plan format version "7"`},
		{"tampered config", strings.Replace(string(data), `"weight": 90`, `"weight": 91`, 1), "does not match its hash"},
		{"unknown field", strings.Replace(string(data), `"sources"`, `"extra": 1, "sources"`, 1), "damaged"},
		{"no plan", `{"format_version":"1"}`, "holds no plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.content == string(data) {
				t.Fatal("the test's replacement did not apply")
			}
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var ue *UnusablePlanError
			if !errors.As(err, &ue) {
				t.Fatalf("want *UnusablePlanError, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), path) {
				t.Fatalf("message %q lacks %q or the path", err, tt.reason)
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestCheckToolVersion(t *testing.T) {
	f, _ := testFile(t, nil)
	if err := f.CheckToolVersion("v1.2.3"); err != nil {
		t.Fatal(err)
	}
	var ue *UnusablePlanError
	if err := f.CheckToolVersion("v2.0.0"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "v1.2.3") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckStale(t *testing.T) {
	stored := engine.StoredTemplate{Name: "other", Config: []byte(`{"a":1}`), Hash: "sha256:aaa", Version: 1}
	f, cfg := testFile(t, map[string]engine.StoredTemplate{"other": stored})

	// Nothing changed.
	if err := Check(f, cfg.Sources, engine.State{Templates: map[string]engine.StoredTemplate{"other": stored}}); err != nil {
		t.Fatalf("fresh plan reported stale: %v", err)
	}

	// Everything changed.
	sources := map[string][]byte{
		"a.fb.hcl": []byte("template \"kv\" { edited = true }\n"), // edited
		"c.fb.hcl": []byte("# new\n"),                             // added; b.fb.hcl removed
	}
	kvPayload := f.Plan.Templates[0].Config
	state := map[string]engine.StoredTemplate{
		"kv":    {Name: "kv", Config: kvPayload, Version: 1},                    // created since
		"other": {Name: "other", Config: []byte(`{"a":2}`), Hash: "sha256:bbb"}, // changed
	}
	err := Check(f, sources, engine.State{Templates: state})
	var se *StalePlanError
	if !errors.As(err, &se) {
		t.Fatalf("want *StalePlanError, got %v", err)
	}
	want := []string{
		"file a.fb.hcl was edited since the plan",
		"file b.fb.hcl was removed since the plan",
		"file c.fb.hcl was added since the plan",
		"template kv was created in CONFIG since the plan (hash " + engine.HashConfig(kvPayload) + ")",
		"template other changed in CONFIG since the plan: hash sha256:aaa → sha256:bbb",
	}
	if d := cmp.Diff(want, se.Changes); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}

	// A stored template removed since.
	err = Check(f, cfg.Sources, engine.State{})
	if !errors.As(err, &se) || len(se.Changes) != 1 || se.Changes[0] != "template other was removed from CONFIG since the plan (hash was sha256:aaa)" {
		t.Fatalf("got %v", err)
	}
}
