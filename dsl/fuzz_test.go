package dsl

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// slowInput fails the fuzzer on an input that takes this long: a hang or a
// runaway allocation is a bug too.
const slowInput = 2 * time.Second

// FuzzLoad runs parse, decode and validation over arbitrary single files
// (in memory, through LoadSources) and Format over the same bytes. Neither
// may panic, and Format must be idempotent whenever it succeeds. Seeded from
// every fixture and shipped scenario.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.fb.hcl")
	more, _ := filepath.Glob("../scenarios/*.fb.hcl")
	inputs, _ := filepath.Glob("testdata/fmt/*.input")
	for _, p := range append(append(seeds, more...), inputs...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	opts := LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }}
	f.Fuzz(func(t *testing.T, src []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > slowInput {
				t.Fatalf("one input took %v (over %v):\n%s", d, slowInput, src)
			}
		}()
		cfg, _ := LoadSources(map[string][]byte{"fuzz.fb.hcl": src}, opts)
		if cfg == nil {
			t.Fatal("nil Config")
		}
		out, diags := Format(src, "fuzz.fb.hcl")
		if diags.HasErrors() {
			return
		}
		again, diags := Format(out, "fuzz.fb.hcl")
		if diags.HasErrors() {
			t.Fatalf("formatted output does not parse: %v\n%s", diags, out)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("Format not idempotent:\n--- once ---\n%s\n--- twice ---\n%s", out, again)
		}
	})
}
