package view

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/compare"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func f(v float64) *float64 { return &v }

// goldenComparison is a fixed comparison: a slowed lookup (worse, rule
// violated), an unchanged insert, and a phase with too few intervals.
func goldenComparison() *compare.Comparison {
	limit := 0.1
	rule := engine.RegressionPlan{Name: "lookup_p99", Metric: "p99", Query: "lookup", MaxIncrease: &limit,
		File: "scenarios/nightly.fb.hcl", Line: 42, Column: 3}
	rows := []compare.Row{
		{Phase: "steady", Query: "(all)", Metric: "qps", Baseline: 1500, Candidate: 1320, Change: f(-0.12), CILow: f(-0.15), CIHigh: f(-0.09), P: f(0.0002), NBaseline: 10, NCandidate: 10, Verdict: compare.Worse},
		{Phase: "steady", Query: "lookup", Metric: "p99", Baseline: 1200, Candidate: 3600, Change: f(2), CILow: f(1.6), CIHigh: f(2.4), P: f(0.0002), NBaseline: 10, NCandidate: 10, Verdict: compare.Worse},
		{Phase: "steady", Query: "insert", Metric: "p99", Baseline: 2400, Candidate: 2390, Change: f(-0.004), CILow: f(-0.05), CIHigh: f(0.04), P: f(0.79), NBaseline: 10, NCandidate: 10, Verdict: compare.Same},
		{Phase: "steady", Query: "(all)", Metric: "error_rate", Baseline: 0, Candidate: 0.001, NBaseline: 10, NCandidate: 10, P: f(0.2), Verdict: compare.Same},
		{Phase: "spike", Query: "(all)", Metric: "p99", Baseline: 900, Candidate: 950, Change: f(0.0556), NBaseline: 3, NCandidate: 3, Verdict: compare.Inconclusive,
			Note: "too few intervals (3 baseline, 3 candidate; need at least 4 on each side)"},
	}
	c := &compare.Comparison{FormatVersion: compare.FormatVersion, Comparable: true,
		Baseline:  compare.RunRef{RunID: "11111111-base", Scenario: "nightly", Status: "COMPLETED", CreatedAt: "2026-12-01T06:00:00Z", Tags: map[string]string{"branch": "main"}},
		Candidate: compare.RunRef{RunID: "22222222-cand", Scenario: "nightly", Status: "COMPLETED", CreatedAt: "2026-12-02T06:00:00Z", Tags: map[string]string{"branch": "feature"}},
		Gates:     []compare.Gate{{Check: "sample_rate", Baseline: "1", Candidate: "0.5", Message: "the runs stored QUERY_EXECUTIONS at different sample rates (the compared histograms hold every operation either way)"}},
		Rows:      rows,
		Rules: []compare.RuleCheck{{RegressionPlan: rule, RowPhase: "steady", RowQuery: "lookup", Change: f(2), Verdict: compare.Worse, Outcome: "violated",
			Message: `regression rule "lookup_p99" violated: p99 of lookup in phase steady changed +200.0%, more than the 10% it may grow (p = 0.0002)`}},
		Summary: compare.Summary{Worse: 2, Same: 2, Inconclusive: 1, Violated: 1},
	}
	return c
}

func TestCompareGolden(t *testing.T) {
	for format, file := range map[string]string{"table": "compare.txt", "markdown": "compare.md", "json": "compare.json",
		"junit": "compare.xml", "github": "compare.github.txt"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := CompareFormats[format](&b, goldenComparison()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestCompareNotComparable(t *testing.T) {
	c := goldenComparison()
	c.Comparable, c.Rows, c.Rules = false, nil, nil
	c.Gates = append(c.Gates, compare.Gate{Check: "template_hash", Phase: "steady", Refuse: true, Message: "phase steady ran template \"orders\" with different CONFIG"})
	var b bytes.Buffer
	if err := CompareGitHub(&b, c); err != nil {
		t.Fatal(err)
	}
	if want := "::error title=fbctl compare%3A template_hash::phase steady ran template \"orders\" with different CONFIG\n"; !bytes.Contains(b.Bytes(), []byte(want)) {
		t.Fatalf("no error annotation for the refusing gate:\n%s", b.String())
	}
	b.Reset()
	if err := CompareJUnit(&b, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`failures="1"`)) {
		t.Fatalf("junit without the failure:\n%s", b.String())
	}
}
