package planfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/engine"
)

func TestValidSourceName(t *testing.T) {
	for name, ok := range map[string]bool{
		"a.fb.hcl": true, "scenarios/a.fb.hcl": true, "a..b.fb.hcl": true,
		"": false, "/etc/passwd": false, "../a.fb.hcl": false, "x/../../a": false, "x/../a": false,
		"./a.fb.hcl": false, `C:\a`: false, "a\x00": false,
	} {
		if got := ValidSourceName(name) == ""; got != ok {
			t.Errorf("ValidSourceName(%q) = %q", name, ValidSourceName(name))
		}
	}
}

func TestSourcesRelativeTo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	src := map[string][]byte{"proj/a.fb.hcl": []byte("a"), filepath.Join(dir, "proj", "sub", "b.fb.hcl"): []byte("b")}
	got, err := SourcesRelativeTo("proj/plan.fbplan", src)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]byte{"a.fb.hcl": []byte("a"), "sub/b.fb.hcl": []byte("b")}, got); d != "" {
		t.Error(d)
	}
	if _, err := SourcesRelativeTo("elsewhere/plan.fbplan", src); err == nil || !strings.Contains(err.Error(), "outside the plan's directory") {
		t.Errorf("plan outside its sources: %v", err)
	}
}

// A crafted plan file naming files outside its directory is refused before
// anything is read; a source whose hash differs is refused by name, and its
// content appears in no message.
func TestReadRefusesForeignSources(t *testing.T) {
	dir := t.TempDir()
	f, _ := testFile(t, nil)
	good := filepath.Join(dir, "ok.fbplan")
	if err := Write(good, f); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"/etc/passwd", "../outside.fb.hcl"} {
		f.Sources = map[string]string{bad: "sha256:00"}
		if err := Write(filepath.Join(dir, "x.fbplan"), f); err == nil {
			t.Errorf("Write recorded source %q", bad)
		}
		data, _ := os.ReadFile(good)
		crafted := strings.Replace(string(data), `"a.fb.hcl"`, `"`+bad+`"`, 1)
		p := filepath.Join(dir, "crafted.fbplan")
		if err := os.WriteFile(p, []byte(crafted), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Read(p)
		var ue *UnusablePlanError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not a path relative to the plan's directory") {
			t.Errorf("Read with source %q = %v", bad, err)
		}
	}

	read, err := Read(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.fb.hcl"), []byte("password = \"topsecret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = read.ReadSources()
	var se *StalePlanError
	if !errors.As(err, &se) || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("ReadSources = %v", err)
	}
	if want := []string{"file a.fb.hcl was edited since the plan", "file b.fb.hcl was removed since the plan"}; !cmp.Equal(want, se.Changes) {
		t.Errorf("changes %q", se.Changes)
	}
	// With the recorded bytes in place it returns them keyed by path, and
	// Check agrees.
	cfg := testConfig()
	for name, b := range cfg.Sources {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	contents, err := read.ReadSources()
	if err != nil {
		t.Fatal(err)
	}
	if got := read.SourcePaths(); !cmp.Equal(got, []string{filepath.Join(dir, "a.fb.hcl"), filepath.Join(dir, "b.fb.hcl")}) || len(contents) != 2 {
		t.Fatalf("paths %v, contents %d", got, len(contents))
	}
	if err := Check(read, contents, engine.State{}); err != nil {
		t.Fatal(err)
	}
}
