package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/chromedp/chromedp"
	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/browsertest"
)

// serveFixture writes runs into a real SQLite store the way a run does:
// RUN_STATUS with its plan, one worker's interval snapshots, and (for a
// finished run) the merged parent row.
type serveFixture struct {
	t  *testing.T
	st *store.Store
	t0 time.Time
}

func (f serveFixture) interval(runID string, i int, slow float64) map[histogram.Key]*hdr.Histogram {
	k := histogram.Key{Metric: histogram.MetricLatency, Phase: "steady", Template: "orders", Query: "lookup", Success: true}
	h := histogram.New()
	for j := range 300 {
		_ = h.RecordValue(int64(float64(100+j%40+(i*j)%53) * slow))
	}
	raw, err := results.EncodeHistograms(map[histogram.Key]*hdr.Histogram{k: h}, map[results.QueryKey]results.QueryMeta{{Template: "orders", Query: "lookup"}: {Kind: "point_lookup"}})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.WriteMetricsSnapshots(context.Background(), []store.MetricsSnapshot{{RunID: runID, TestID: runID + "-w0", WorkerID: "worker-0",
		TS: f.t0.Add(time.Duration(i+1) * time.Second), Phase: "steady", PhaseKind: store.PhaseMeasurement, Operations: int64(300 * (i + 1)),
		IntervalIndex: int64(i), IntervalStart: f.t0.Add(time.Duration(i) * time.Second), IntervalMS: 1000, Histograms: raw, ActiveConnections: 2}}); err != nil {
		f.t.Fatal(err)
	}
	return map[histogram.Key]*hdr.Histogram{k: h}
}

func (f serveFixture) startRun(id string) {
	ctx := context.Background()
	plan, _ := json.Marshal(engine.RunPlan{Scenario: "nightly", Workers: 1, Nodes: []engine.Node{{Kind: engine.NodePhase, Name: "phase.steady",
		Phase: &engine.PhasePlan{Name: "steady", Template: "orders", TemplateHash: "sha256:aa", Connection: "sqlite.local", Model: "closed", Workers: 1,
			Assignments: []engine.WorkerAssignment{{WorkerID: "worker-0"}}}}}})
	if _, err := f.st.CreateRun(ctx, store.Run{ID: id, ScenarioName: "nightly", WorkersExpected: 1, Plan: plan}); err != nil {
		f.t.Fatal(err)
	}
	for _, s := range []store.RunStatus{store.RunStarting, store.RunRunning} {
		if _, err := f.st.TransitionRun(ctx, id, s, store.RunUpdate{}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f serveFixture) finish(id string, hists map[histogram.Key]*hdr.Histogram, secs int) {
	ctx := context.Background()
	var n int64
	for _, h := range hists {
		n += h.TotalCount()
	}
	set := results.ForWorker([]results.NodeResult{{Phase: "steady", Model: "closed", Started: f.t0, Ended: f.t0.Add(time.Duration(secs) * time.Second),
		Counts: results.Counts{Total: n, OK: n, Reads: n}}}, hists, map[results.QueryKey]results.QueryMeta{{Template: "orders", Query: "lookup"}: {Kind: "point_lookup"}})
	row := store.TestResult{TestID: id, RunID: id, ScenarioName: "nightly", Status: string(store.RunCompleted)}
	if _, err := set.Fill(&row); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.WriteTestResult(ctx, row); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.TransitionRun(ctx, id, store.RunCompleted, store.RunUpdate{}); err != nil {
		f.t.Fatal(err)
	}
}

func merge(dst, src map[histogram.Key]*hdr.Histogram) {
	for k, h := range src {
		if dst[k] == nil {
			dst[k] = histogram.New()
		}
		dst[k].Merge(h)
	}
}

// TestServeInChromium drives `fbctl serve`'s pages in a real headless
// Chromium: the runs list, a live run page that redraws as the run's
// intervals arrive and turns into the finished run's page when it ends,
// and the compare page; no page logs an error; screenshots are kept.
func TestServeInChromium(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "fb.db"), store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := serveFixture{t: t, st: st, t0: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}

	// A finished baseline run.
	f.startRun("base-run")
	all := map[histogram.Key]*hdr.Histogram{}
	for i := range 8 {
		merge(all, f.interval("base-run", i, 1))
	}
	f.finish("base-run", all, 8)
	if err := st.SetRunTags(ctx, "base-run", map[string]string{"branch": "main"}); err != nil {
		t.Fatal(err)
	}
	// A run still going, two intervals in.
	f.startRun("live-run")
	live := map[histogram.Key]*hdr.Histogram{}
	for i := range 2 {
		merge(live, f.interval("live-run", i, 3))
	}

	if err := st.UpdateRun(ctx, "live-run", store.RunUpdate{Phase: ptrTo("steady")}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertHeartbeat(ctx, store.Heartbeat{RunID: "live-run", WorkerID: "worker-0", Status: store.WorkerRunning, Phase: "steady",
		Operations: 600, ActiveConnections: 2, Host: "bench-1"}); err != nil {
		t.Fatal(err)
	}
	g := &globals{logger: hclog.NewNullLogger()}
	srv := httptest.NewServer(newUI(g, st, 100*time.Millisecond))
	defer srv.Close()
	b := browsertest.Start(t)

	// The runs list, filtered by tag.
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#runs"))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#runs a[href^='/run/']").length`))
	if err != nil || rows != 2 {
		t.Fatalf("runs list: %d runs, %v", rows, err)
	}
	b.Screenshot(t, "serve-runs")
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+"/?tag=branch%3Dmain"), chromedp.WaitVisible(chromedp.CSS("#runs"))); err != nil {
		t.Fatal(err)
	}
	if rows, err = chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#runs a[href^='/run/']").length`)); err != nil || rows != 1 {
		t.Fatalf("runs tagged branch=main: %d, %v", rows, err)
	}

	// The live page: it redraws as intervals arrive.
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+"/run/live-run"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		t.Fatal(err)
	}
	grid, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("#workers")))
	if err != nil {
		t.Fatal(err)
	}
	dag, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("#dag")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(grid, "worker-0") || !strings.Contains(grid, "RUNNING") || !strings.Contains(grid, "100.0%") {
		t.Fatalf("worker grid: %q", grid)
	}
	if !strings.Contains(dag, "phase.steady · running") {
		t.Fatalf("DAG: %q", dag)
	}
	before := bodyInt(t, b, "data-points")
	for i := 2; i < 6; i++ {
		merge(live, f.interval("live-run", i, 3))
	}
	waitFor(t, b, `Number(document.body.getAttribute("data-points")) > `+strconv.Itoa(before)+` && document.body.hasAttribute("data-updates")`)
	after := bodyInt(t, b, "data-points")
	waitFor(t, b, `document.querySelector("[data-k=operations]").textContent === "1800"`) // 6 intervals × 300
	b.Screenshot(t, "serve-live")
	if after <= before {
		t.Fatalf("the live page did not grow: %d → %d points", before, after)
	}

	// The run ends: the page reloads into the finished run's page.
	f.finish("live-run", live, 6)
	waitFor(t, b, `document.getElementById("live") === null && document.body.getAttribute("data-ready") === "1" && document.querySelector("table.queries") !== null`)

	// The compare page overlays the baseline and shows the verdicts.
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+"/compare?base=base-run&cand=live-run"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		t.Fatal(err)
	}
	worse, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#significant td.worse").length`))
	if err != nil {
		t.Fatal(err)
	}
	b.Screenshot(t, "serve-compare")
	if worse == 0 {
		t.Fatal("a three times slower run shows no worse verdict on the compare page")
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Fatalf("the pages logged errors: %q", errs)
	}
}

func ptrTo[T any](v T) *T { return &v }

func bodyInt(t *testing.T, b *browsertest.Browser, name string) int {
	t.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.AttributeValue(chromedp.CSS("body"), name))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(r.Value)
	return n
}

// waitFor polls a JavaScript condition until it holds (30 s at most).
func waitFor(t *testing.T, b *browsertest.Browser, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not true after 30s: %s (%v)", cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
