package export

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

func hist(values ...int64) *hdr.Histogram {
	h := histogram.New()
	for _, v := range values {
		_ = h.RecordValue(v)
	}
	return h
}

func key(q string, ok bool) histogram.Key {
	return histogram.Key{Metric: histogram.MetricLatency, Phase: "steady", Template: "orders", Query: q, Success: ok}
}

// fixture: two full one-second intervals and a partial one of phase
// steady, with queries lookup and insert (one insert failed).
func fixture() []*results.Interval {
	var out []*results.Interval
	for i, length := range []time.Duration{time.Second, time.Second, 250 * time.Millisecond} {
		out = append(out, &results.Interval{Phase: "steady", Index: int64(i), Start: t0.Add(time.Duration(i) * time.Second), Length: length,
			Workers: 2, Dropped: int64(i), Sessions: 4, Hists: map[histogram.Key]*hdr.Histogram{
				key("lookup", true):  hist(100, 120, 140, 900+int64(i)*100),
				key("insert", true):  hist(800, 1000),
				key("insert", false): hist(5000),
			}})
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestIntervalsGolden(t *testing.T) {
	rows := Intervals("run-1", fixture())
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 3 intervals × (all, insert, lookup)", len(rows))
	}
	if r := rows[1]; r.Query != "insert" || r.Ops != 3 || r.Errors != 1 || r.QPS != 3 {
		t.Fatalf("insert row of interval 0: %+v", r)
	}
	for _, format := range []string{CSV, JSON, NDJSON} {
		var b bytes.Buffer
		w, err := NewWriter(&b, format)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if format == JSON {
			var back []IntervalRow
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != len(rows) {
				t.Fatalf("JSON does not read back: %v (%d rows)", err, len(back))
			}
		}
		golden(t, "intervals."+format, b.Bytes())
	}
}

func TestEmptyJSONIsAnArray(t *testing.T) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, JSON)
	if err := w.Close(); err != nil || b.String() != "[]\n" {
		t.Fatalf("%q %v", b.String(), err)
	}
	if _, err := NewWriter(&b, "xml"); err == nil {
		t.Fatal("xml accepted")
	}
}

func TestResultsGolden(t *testing.T) {
	all := hist(100, 120, 140, 900, 800, 1000, 5000)
	ps := []results.PhaseSummary{{Name: "steady", Seconds: 2, Counts: results.Counts{Total: 7, Errors: 1}, QPS: 3.5, ErrorRate: 1.0 / 7,
		Latency: histogram.Summarize(all), Queries: []results.QuerySummary{
			{Template: "orders", Query: "insert", Kind: "insert", Ops: 3, Errors: 1, QPS: 1.5, ErrorRate: 1.0 / 3, Latency: histogram.Summarize(hist(800, 1000, 5000))},
			{Template: "orders", Query: "lookup", Kind: "point_lookup", Ops: 4, QPS: 2, Latency: histogram.Summarize(hist(100, 120, 140, 900))},
		}}}
	var b bytes.Buffer
	w, _ := NewWriter(&b, CSV)
	for _, r := range Results("run-1", ps) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.csv", b.Bytes())
}

func TestPercentileDistributionGolden(t *testing.T) {
	var hs []results.EncodedHistogram
	raw, err := results.EncodeHistograms(fixture()[0].Hists, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &hs); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := PercentileDistribution(&b, hs, "steady", "lookup"); err != nil {
		t.Fatal(err)
	}
	golden(t, "lookup.hgrm", b.Bytes())
	if err := PercentileDistribution(&b, hs, "steady", "nosuch"); err == nil {
		t.Fatal("a query without a histogram gave no error")
	}
}

func TestBenchfmtGoldenLeavesOutThePartialInterval(t *testing.T) {
	var b bytes.Buffer
	if err := Benchfmt(&b, "nightly run", "run-1", fixture()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(" 250 ")) {
		t.Fatal("the partial interval is in the output")
	}
	golden(t, "bench.txt", b.Bytes())
}

func TestExecutionWeight(t *testing.T) {
	sampled := Execution(&store.QueryExecution{ExecutionID: "x", SampleWeight: 4}, 0.25)
	kept := Execution(&store.QueryExecution{ExecutionID: "y"}, 0.25)
	if sampled.Weight != 4 || kept.Weight != 1 || sampled.SampleRate != 0.25 {
		t.Fatalf("%+v %+v", sampled, kept)
	}
}
