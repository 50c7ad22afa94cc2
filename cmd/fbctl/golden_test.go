package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGoldenPlans plans every shipped scenario against an empty embedded
// store and compares the human and JSON output with testdata/plans.
// Run `go test ./cmd/fbctl -run TestGoldenPlans -update` to rewrite them
// after an intended change, and review the diff.
func TestGoldenPlans(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "*.fb.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios found: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".fb.hcl")
		t.Run(name, func(t *testing.T) {
			for _, format := range []struct{ ext, flag string }{{"txt", ""}, {"json", "-json"}} {
				args := []string{"fbctl", "-no-color", "plan", "-results", "sqlite:" + filepath.Join(t.TempDir(), "store.db")}
				if format.flag != "" {
					args = append(args, format.flag)
				}
				// Plan from the repository root so file names in the output are stable.
				args = append(args, filepath.Join("scenarios", filepath.Base(file)))
				var stdout, stderr bytes.Buffer
				wd, _ := os.Getwd()
				if err := os.Chdir(root); err != nil {
					t.Fatal(err)
				}
				code := runCLI(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
				os.Chdir(wd)
				if code != exitOK {
					t.Fatalf("plan %s exited %d:\n%s", file, code, stderr.String())
				}
				golden := filepath.Join(root, "testdata", "plans", name+"."+format.ext)
				if *update {
					if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
					t.Errorf("plan output differs from %s (-want +got):\n%s", golden, diff)
				}
			}
		})
	}
}
