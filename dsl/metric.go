package dsl

// Metric is a measured quantity a threshold, an SLO or a regression rule
// is about, and a row of `fbctl compare`. It is the one place that knows
// what each metric is: whether it is a latency (planned in milliseconds,
// measured in microseconds), which direction is worse and whether a query
// scope narrows it. Reading a metric's value from measured
// results is engine/results' (results.Reading.Value), over these methods.
type Metric string

// Metrics.
const (
	MetricP50          Metric = "p50"
	MetricP90          Metric = "p90"
	MetricP95          Metric = "p95"
	MetricP99          Metric = "p99"
	MetricP999         Metric = "p999"
	MetricMax          Metric = "max"
	MetricMean         Metric = "mean"
	MetricErrorRate    Metric = "error_rate"
	MetricQPS          Metric = "qps"
	MetricDropped      Metric = "dropped"
	MetricFindMaxLevel Metric = "find_max_level"
	MetricFindMaxQPS   Metric = "find_max_qps"
)

// ThresholdMetrics are the metrics a threshold block can check.
var ThresholdMetrics = []Metric{MetricP50, MetricP90, MetricP95, MetricP99, MetricP999, MetricMax, MetricMean,
	MetricErrorRate, MetricQPS, MetricDropped, MetricFindMaxLevel, MetricFindMaxQPS}

// RegressionMetrics are the metrics a regression rule can watch: the
// metrics `fbctl compare` measures per interval, in its display order.
var RegressionMetrics = []Metric{MetricQPS, MetricP50, MetricP95, MetricP99, MetricP999, MetricMax, MetricErrorRate, MetricDropped}

// SLOMetrics are the attributes of a template's slo block.
var SLOMetrics = []Metric{MetricP50, MetricP95, MetricP99, MetricErrorRate}

// IsLatency reports whether m is a latency: a percentile, the maximum or
// the mean of the operations' latencies. A latency threshold is written
// as a duration and planned in milliseconds; compared and stored
// latencies are in microseconds.
func (m Metric) IsLatency() bool {
	switch m {
	case MetricP50, MetricP90, MetricP95, MetricP99, MetricP999, MetricMax, MetricMean:
		return true
	}
	return false
}

// HigherIsBetter reports whether a larger value of m is an improvement:
// throughput and the find_max results. For every other metric a larger
// value is worse.
func (m Metric) HigherIsBetter() bool {
	switch m {
	case MetricQPS, MetricFindMaxLevel, MetricFindMaxQPS:
		return true
	}
	return false
}

// PerPhase reports whether m is counted per phase only, so that a query
// scope does not narrow it (dropped arrivals belong to no query).
func (m Metric) PerPhase() bool { return m == MetricDropped }

// kindNames returns the kinds as strings, for diagnostics listing them.
func kindNames[K ~string](ks []K) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}
