package view

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
)

// checkGolden compares a document's JSON with testdata/json/NAME.json and
// checks that it carries its format_version.
func checkGolden(t *testing.T, name string, doc any, version string) {
	t.Helper()
	var b bytes.Buffer
	if err := JSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	var head struct {
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(b.Bytes(), &head); err != nil || head.FormatVersion != version {
		t.Fatalf("%s: format_version %q (want %q), %v", name, head.FormatVersion, version, err)
	}
	golden := filepath.Join("testdata", "json", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s\nIf the change is intended, bump the document's format version when a field was removed, renamed or changed meaning, update docs/json-output.md, and run with -update.", name, golden, diff)
	}
}

var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func fixtureReport() RunReport {
	g0, g1 := 0, 1
	parent := store.TestResult{TestID: "run-1", RunID: "run-1", ScenarioName: "smoke", Status: "COMPLETED",
		Total: 2000, OK: 1990, Errors: 10, Reads: 1500, Writes: 500, QPS: 200, P50US: 800, P90US: 1500, P95US: 2100,
		P99US: 4800, P999US: 9100, MaxUS: 12000, MeanUS: 950, ErrorRate: 0.005, SampleRate: 0.5, OpsIssued: 2000, RowsStored: 1010}
	child := func(id string, g *int) store.TestResult {
		c := parent
		c.TestID, c.WorkerID, c.WorkerGroupID = "run-1-"+id, id, g
		c.Total, c.OK, c.Errors, c.Reads, c.Writes, c.QPS = 1000, 995, 5, 750, 250, 100
		return c
	}
	lat := histogram.Summary{Count: 2000, Min: 300, Max: 12000, Mean: 950, P50: 800, P90: 1500, P95: 2100, P99: 4800, P999: 9100}
	return RunReport{
		Run: store.Run{ID: "run-1", ScenarioName: "smoke", Status: store.RunCompleted, CreatedAt: t0, StartTime: at(time.Second),
			EndTime: at(20 * time.Second), WarmupStart: at(2 * time.Second), WarmupEnd: at(7 * time.Second),
			MeasurementStart: at(7 * time.Second), MeasurementEnd: at(17 * time.Second), WorkersExpected: 2, Seed: 42,
			SampleRate: 0.5, LeaderEpoch: 1, Plan: json.RawMessage(`{"secret":"never shown"}`)},
		Parent:   parent,
		Children: []store.TestResult{child("worker-0", &g0), child("worker-1", &g1)},
		Phases: []results.PhaseSummary{{Name: "steady", Model: "closed", Workers: 2, Started: t0.Add(7 * time.Second),
			Ended: t0.Add(17 * time.Second), Drained: t0.Add(17*time.Second + 5*time.Millisecond), Seconds: 10,
			Counts: results.Counts{Total: 2000, OK: 1990, Errors: 10, Reads: 1500, Writes: 500}, QPS: 200, ErrorRate: 0.005,
			Latency: lat, Queries: []results.QuerySummary{{Template: "t", Query: "lookup", Ops: 1500, Errors: 10, QPS: 150,
				ErrorRate: 0.0067, Latency: lat}},
			Errors:       []executor.ErrorGroup{{Code: "57014", SQLState: "57014", Count: 10, Messages: []string{"canceling statement due to statement timeout"}}},
			PeakSessions: 8,
			Clocks:       []results.WorkerClock{{WorkerID: "worker-0", OffsetUS: 120, UncertaintyUS: 300, LateUS: 40}},
		}},
		Thresholds: []results.ThresholdResult{{Name: "errors", Metric: "error_rate", Op: "below", Limit: 0.01, Actual: 0.005,
			Passed: true, Source: "scenario"}},
		FindMax: []run.FindMaxOutcome{{Phase: "search", BestConcurrency: 16, BestQPS: 812.5, Workers: []executor.FindMaxResult{{
			BestConcurrency: 16, BestQPS: 812.5, Reason: "p95 rose 31% over the first step", Verified: true,
			Steps: []executor.Step{{Concurrency: 8, Started: t0, Ended: t0.Add(30 * time.Second), Ops: 20000, QPS: 666.7,
				P95US: 9000, Stable: true}}}}}},
	}
}

func TestJSONRunGolden(t *testing.T) {
	doc := NewJSONRun(fixtureReport())
	checkGolden(t, "show_run", doc, RunFormatVersion)
	// A run that has no result row yet: results is null, lists are [].
	checkGolden(t, "show_run_pending", NewJSONRun(RunReport{Run: store.Run{ID: "run-2", ScenarioName: "smoke",
		Status: store.RunRunning, CreatedAt: t0, WorkersExpected: 1}}), RunFormatVersion)
}

func TestJSONRunsGolden(t *testing.T) {
	rep := fixtureReport()
	stale := NewJSONRunItem(store.Run{ID: "run-2", ScenarioName: "smoke", Status: store.RunRunning, CreatedAt: t0.Add(time.Minute), WorkersExpected: 1})
	stale.Stale = "orchestrator lost 42s ago"
	checkGolden(t, "runs", NewJSONRuns([]JSONRunItem{stale, NewJSONRunItem(rep.Run).WithResults(rep.Parent)}), RunsFormatVersion)
	checkGolden(t, "runs_empty", NewJSONRuns(nil), RunsFormatVersion)
}

func TestJSONTemplatesGolden(t *testing.T) {
	rows := []store.ConfigRow{{Name: "orders", Description: "order lookups", Config: json.RawMessage(`{"table":"ORDERS","queries":[{"name":"lookup","weight":1}]}`),
		ConfigHash: "sha256:0123456789abcdef", Version: 3, CreatedAt: t0, CreatedBy: "ana@ci", UpdatedAt: t0.Add(time.Hour),
		UpdatedBy: "ben@laptop", Tags: map[string]string{"team": "oltp"}, UsageCount: 7, LastUsedAt: at(2 * time.Hour)}}
	checkGolden(t, "templates", NewJSONTemplates(rows), TemplatesFormatVersion)
}

func TestJSONValidationGolden(t *testing.T) {
	src := []byte("scenario \"s\" {\n  template = template.orders_olpt\n}\n")
	files := map[string]*hcl.File{"bench.fb.hcl": {Bytes: src}}
	r := hcl.Range{Filename: "bench.fb.hcl", Start: hcl.Pos{Line: 2, Column: 14, Byte: 29}, End: hcl.Pos{Line: 2, Column: 34, Byte: 49}}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Unknown template", Detail: `There is no template named "orders_olpt". Did you mean "orders_oltp"?`, Subject: &r},
		{Severity: hcl.DiagWarning, Summary: "No phases", Detail: "Scenario \"s\" declares no phase; it runs nothing."},
	}
	checkGolden(t, "validate", NewJSONValidation(files, diags), DiagnosticsFormatVersion)
	checkGolden(t, "validate_ok", NewJSONValidation(files, nil), DiagnosticsFormatVersion)
}

// TestJSONRunHasNoInternalNames: no Go field name of the store's rows
// reaches `show -json`, and the run's stored plan is not in it.
func TestJSONRunHasNoInternalNames(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, NewJSONRun(fixtureReport())); err != nil {
		t.Fatal(err)
	}
	for _, internal := range []string{`"ScenarioName"`, `"TestID"`, `"P99US"`, `"Code"`, `"BestConcurrency"`, `"Steps"`, "never shown"} {
		if bytes.Contains(b.Bytes(), []byte(internal)) {
			t.Errorf("show -json contains %s", internal)
		}
	}
}
