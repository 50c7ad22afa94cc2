package web

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/chromedp/chromedp"

	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/browsertest"
)

// fixtureRun is a stored-looking run: one closed phase "steady" of 10
// one-second intervals with two queries (latencies scaled by slow), and
// its parent histograms.
func fixtureRun(id string, slow float64) (compare.Run, []results.EncodedHistogram) {
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	phaseHists := map[histogram.Key]*hdr.Histogram{}
	var ivs []*results.Interval
	var total int64
	for i := range 10 {
		iv := &results.Interval{Phase: "steady", Index: int64(i), Start: t0.Add(time.Duration(i) * time.Second), Length: time.Second,
			Workers: 2, Sessions: 8, Hists: map[histogram.Key]*hdr.Histogram{}}
		for qi, q := range []string{"lookup", "insert"} {
			k := histogram.Key{Metric: histogram.MetricLatency, Phase: "steady", Template: "orders", Query: q, Success: true}
			h := histogram.New()
			for j := range 400 {
				_ = h.RecordValue(int64(float64(100*(qi+1)+j%50+(i*j)%97) * slow))
			}
			if phaseHists[k] == nil {
				phaseHists[k] = histogram.New()
			}
			phaseHists[k].Merge(h)
			iv.Hists[k] = h
			total += h.TotalCount()
		}
		ivs = append(ivs, iv)
	}
	all := histogram.New()
	var qs []results.QuerySummary
	for _, q := range []string{"insert", "lookup"} {
		h := phaseHists[histogram.Key{Metric: histogram.MetricLatency, Phase: "steady", Template: "orders", Query: q, Success: true}]
		all.Merge(h)
		qs = append(qs, results.QuerySummary{Template: "orders", Query: q, Ops: h.TotalCount(), QPS: float64(h.TotalCount()) / 10,
			Latency: histogram.Summarize(h)})
	}
	enc, _ := results.EncodeHistograms(phaseHists, nil)
	var hs []results.EncodedHistogram
	_ = json.Unmarshal(enc, &hs)
	return compare.Run{
		Run: store.Run{ID: id, ScenarioName: "nightly", Status: store.RunCompleted, CreatedAt: t0, SampleRate: 0.5},
		Phases: []results.PhaseSummary{{Name: "steady", Model: "closed", Workers: 2, Seconds: 10, QPS: float64(total) / 10,
			Counts: results.Counts{Total: total, OK: total}, Latency: histogram.Summarize(all), Queries: qs,
			Clocks: []results.WorkerClock{{WorkerID: "worker-0"}, {WorkerID: "worker-1", WorkerGroupID: 1}}}},
		Series: ivs, Tags: map[string]string{"branch": "main", "fbctl.template.orders.table_type": "sqlite"},
	}, hs
}

func writeReport(t *testing.T, d Data) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Report(f, d); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportInChromium opens a report with a comparison in a real
// headless Chromium from a file URL (no server, no network): it loads with
// no console error, draws every chart with data points, marks the sampled
// QUERY_EXECUTIONS, and is kept as a screenshot.
func TestReportInChromium(t *testing.T) {
	base, baseHists := fixtureRun("base-run", 1)
	cand, candHists := fixtureRun("cand-run", 2)
	cmp := compare.Compare(base, cand, compare.Options{})
	path := writeReport(t, Build(cand, candHists, baseHists, nil, cmp))

	b := browsertest.Start(t)
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		t.Fatal(err)
	}
	charts, points := attr(t, b, "data-charts"), attr(t, b, "data-points")
	canvases, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("canvas").length`))
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(`.sampled`)))
	if err != nil {
		t.Fatal(err)
	}
	worse, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#significant td.worse").length`))
	if err != nil {
		t.Fatal(err)
	}
	b.Screenshot(t, "report")
	if errs := b.Errors(); len(errs) > 0 {
		t.Fatalf("the page logged errors: %q", errs)
	}
	// Throughput, latency, per-query p99 and the distribution.
	if n, _ := strconv.Atoi(charts); n != 4 || canvases != 4 {
		t.Fatalf("%s charts and %d canvases, want 4", charts, canvases)
	}
	if n, _ := strconv.Atoi(points); n < 10*8 {
		t.Fatalf("charts hold %s points, want at least the 10 intervals × 8 series", points)
	}
	if sampled == "" {
		t.Fatal("no mark that QUERY_EXECUTIONS was sampled")
	}
	if worse == 0 {
		t.Fatal("a twice-as-slow candidate shows no worse verdict")
	}
}

func attr(t *testing.T, b *browsertest.Browser, name string) string {
	t.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.AttributeValue(chromedp.CSS("body"), name))
	if err != nil {
		t.Fatal(err)
	}
	return r.Value
}
