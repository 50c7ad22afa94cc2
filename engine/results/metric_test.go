package results

import (
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/histogram"
)

func TestReadingValue(t *testing.T) {
	r := Reading{Latency: histogram.Summary{P50: 1, P90: 2, P95: 3, P99: 4, P999: 5, Max: 6, Mean: 7.5},
		QPS: 8, ErrorRate: 0.09, Dropped: 10}
	want := map[dsl.Metric]float64{dsl.MetricP50: 1, dsl.MetricP90: 2, dsl.MetricP95: 3, dsl.MetricP99: 4,
		dsl.MetricP999: 5, dsl.MetricMax: 6, dsl.MetricMean: 7.5, dsl.MetricQPS: 8, dsl.MetricErrorRate: 0.09, dsl.MetricDropped: 10}
	for _, m := range dsl.ThresholdMetrics {
		v, ok := r.Value(m)
		w, held := want[m]
		if ok != held || v != w {
			t.Errorf("Value(%s) = %v, %v; want %v, %v", m, v, ok, w, held)
		}
	}
	if _, ok := r.Value("p97"); ok {
		t.Error("Value of an unknown metric is ok")
	}
}
