package results

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

// BenchmarkMerge measures the orchestrator's exact merge of 16 worker rows
// with 3 phases × 4 queries × ok/error latency histograms each.
func BenchmarkMerge(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []store.TestResult
	phases := []string{"a", "b", "c"}
	t0 := time.Unix(1e9, 0).UTC()
	for w := range 16 {
		hists := map[histogram.Key]*hdr.Histogram{}
		var nodes []NodeResult
		for i, ph := range phases {
			for q := range 4 {
				for _, ok := range []bool{true, false} {
					h := histogram.New()
					for range 2000 {
						h.RecordValue(1 + rng.Int64N(100_000))
					}
					hists[histogram.Key{Metric: histogram.MetricLatency, Phase: ph, Template: "t", Query: fmt.Sprint("q", q), Success: ok}] = h
				}
			}
			start := t0.Add(time.Duration(i) * time.Minute)
			nodes = append(nodes, NodeResult{Phase: ph, Started: start, Ended: start.Add(time.Minute), Counts: Counts{Total: 16000}})
		}
		g := w
		r := store.TestResult{TestID: fmt.Sprint("w", w), RunID: "r", WorkerID: fmt.Sprint("w", w), WorkerGroupID: &g}
		if _, err := ForWorker(nodes, hists, nil).Fill(&r); err != nil {
			b.Fatal(err)
		}
		rows = append(rows, r)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Merge(rows, phases); err != nil {
			b.Fatal(err)
		}
	}
}
