package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

const lockScenario = `connection "sqlite" "local" {
  path = "target.db"
}

template "orders" {
  connection = connection.sqlite.local
  table      = "ORDERS"
  query "lookup" {
    weight = 1
    sql    = "SELECT 1"
  }
}
`

// fbctl runs the CLI in dir and returns its exit code and output.
func fbctl(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := runCLI(context.Background(), append([]string{"fbctl", "-chdir", dir}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestApplyLock shows a second apply is refused while another holds the
// control-plane lock, with the holder named; force-unlock frees it; and
// -lock-timeout waits for a holder that finishes.
func TestApplyLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench.fb.hcl"), []byte(lockScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, store.DefaultSQLitePath), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	other, err := st.AcquireLease(ctx, applyLock, "ci-runner@build-7 pid 99", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := fbctl(t, dir, "apply", "-auto-approve", "-templates-only", "bench.fb.hcl")
	if code != exitError {
		t.Fatalf("apply while locked exited %d, want %d; stderr:\n%s", code, exitError, stderr)
	}
	for _, want := range []string{"another apply is in progress", "ci-runner@build-7 pid 99", "fbctl force-unlock " + other.LockID} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if rows, _ := st.ListTemplates(ctx); len(rows) != 0 {
		t.Fatalf("a refused apply wrote %d templates", len(rows))
	}

	code, stdout, stderr := fbctl(t, dir, "force-unlock", other.LockID)
	if code != exitOK || !strings.Contains(stdout, "released") {
		t.Fatalf("force-unlock exited %d:\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = fbctl(t, dir, "apply", "-auto-approve", "-templates-only", "bench.fb.hcl")
	if code != exitOK || !strings.Contains(stdout, "1 created") {
		t.Fatalf("apply after force-unlock exited %d:\n%s%s", code, stdout, stderr)
	}

	// A holder that releases while we wait.
	held, err := st.AcquireLease(ctx, applyLock, "teammate@laptop pid 7", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(700 * time.Millisecond)
		released <- held.Release(ctx)
	}()
	code, stdout, stderr = fbctl(t, dir, "apply", "-auto-approve", "-templates-only", "-lock-timeout", "30s", "bench.fb.hcl")
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if code != exitOK || !strings.Contains(stdout, "Apply complete!") {
		t.Fatalf("apply with -lock-timeout exited %d:\n%s%s", code, stdout, stderr)
	}
}
