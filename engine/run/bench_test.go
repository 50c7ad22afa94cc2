package run

import (
	"fmt"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"math/rand/v2"
	"testing"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

// BenchmarkMergeRows measures the orchestrator's exact merge of 16 worker
// rows with 3 phases × 4 queries × ok/error latency histograms each.
func BenchmarkMergeRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []store.TestResult
	phases := []string{"a", "b", "c"}
	for w := range 16 {
		rs := &resultSet{hists: map[histogram.Key]*hdr.Histogram{}}
		for _, ph := range phases {
			for q := range 4 {
				for _, ok := range []bool{true, false} {
					h := histogram.New()
					for range 2000 {
						h.RecordValue(1 + rng.Int64N(100_000))
					}
					rs.hists[histogram.Key{Metric: histogram.MetricLatency, Phase: ph, Query: fmt.Sprint("q", q), Success: ok}] = h
				}
			}
			rs.phases = append(rs.phases, phaseResult{Phase: ph, Counts: Counts{Total: 16000}})
		}
		g := w
		r := store.TestResult{TestID: fmt.Sprint("w", w), RunID: "r", WorkerID: fmt.Sprint("w", w), WorkerGroupID: &g}
		if _, err := rs.fill(&r, nil, nil, map[string]int{"a": 1, "b": 1, "c": 1}); err != nil {
			b.Fatal(err)
		}
		rows = append(rows, r)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := mergeRows(rows, phases); err != nil {
			b.Fatal(err)
		}
	}
}
