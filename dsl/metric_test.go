package dsl

import (
	"slices"
	"testing"
)

func TestMetricSemantics(t *testing.T) {
	latencies := []Metric{MetricP50, MetricP90, MetricP95, MetricP99, MetricP999, MetricMax, MetricMean}
	higher := []Metric{MetricQPS, MetricFindMaxLevel, MetricFindMaxQPS}
	for _, m := range ThresholdMetrics {
		if got, want := m.IsLatency(), slices.Contains(latencies, m); got != want {
			t.Errorf("%s.IsLatency() = %v, want %v", m, got, want)
		}
		if got, want := m.HigherIsBetter(), slices.Contains(higher, m); got != want {
			t.Errorf("%s.HigherIsBetter() = %v, want %v", m, got, want)
		}
		if got, want := m.PerPhase(), m == MetricDropped; got != want {
			t.Errorf("%s.PerPhase() = %v, want %v", m, got, want)
		}
	}
	// Every regression and SLO metric is also a threshold metric: the
	// three lists are views of one vocabulary.
	for _, m := range append(slices.Clone(RegressionMetrics), SLOMetrics...) {
		if !slices.Contains(ThresholdMetrics, m) {
			t.Errorf("%s is not a threshold metric", m)
		}
	}
	if Metric("p97").IsLatency() || Metric("p97").HigherIsBetter() {
		t.Error("an unknown metric has semantics")
	}
}
