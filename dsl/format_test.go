package dsl

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/fmt/*.golden files")

func TestFormatGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/fmt/*.input")
	if len(inputs) == 0 {
		t.Fatal("no testdata/fmt/*.input files")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Format(src, in)
			if diags.HasErrors() {
				t.Fatal(dump(diags))
			}
			golden := strings.TrimSuffix(in, ".input") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format(%s) differs from %s:\n--- got ---\n%s", in, golden, got)
			}
			again, _ := Format(got, in)
			if !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent on %s:\n%s", in, again)
			}
		})
	}
}

// TestFormatIdempotentOnFixtures formats every valid fixture twice.
func TestFormatIdempotentOnFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.fb.hcl")
	for _, f := range files {
		src, _ := os.ReadFile(f)
		once, diags := Format(src, f)
		if diags.HasErrors() {
			continue // the syntax-error fixture
		}
		twice, _ := Format(once, f)
		if !bytes.Equal(once, twice) {
			t.Errorf("%s: Format not idempotent", f)
		}
	}
}

func TestFormatSyntaxError(t *testing.T) {
	out, diags := Format([]byte("a = \n}"), "bad.fb.hcl")
	if !diags.HasErrors() || out != nil {
		t.Fatalf("want syntax errors, got %q %v", out, diags)
	}
}
