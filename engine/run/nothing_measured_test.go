package run

import (
	"context"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

// TestNoThresholdVerdictsAfterARunThatMeasuredNothing: a run that fails in
// setup measures nothing; its outcome has no threshold results (before,
// every threshold was a FAIL "no measured operation in scope" after the
// real reason).
func TestNoThresholdVerdictsAfterARunThatMeasuredNothing(t *testing.T) {
	src := strings.Replace(readsHCL, `"DROP TABLE IF EXISTS KV",`, `"SELECT * FROM NO_SUCH_TABLE",`, 1)
	f := fixtureFrom(t, src, closedPhase, `
  threshold "errors" {
    metric = "error_rate"
    below  = 0.01
  }
`)
	out, err := Apply(context.Background(), f.plan, f.cfg, f.fastOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "NO_SUCH_TABLE") {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	if len(out.Thresholds) != 0 {
		t.Fatalf("thresholds judged on nothing: %+v", out.Thresholds)
	}
}
