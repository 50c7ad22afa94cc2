package results

import (
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/histogram"
)

// Reading is what one scope measured, the values a metric is read from:
// thresholds read the whole run's scope, `fbctl compare` each phase and
// each interval.
type Reading struct {
	Latency   histogram.Summary // microseconds
	QPS       float64           // operations per second
	ErrorRate float64           // a fraction of the operations
	Dropped   float64           // dropped arrivals, as the reader counts them (a count or per second)
}

// Value returns metric m of r: latencies in microseconds, qps in
// operations per second, error_rate a fraction, dropped as r holds it. ok
// is false for a metric a Reading does not hold (the find_max results,
// which come from the find_max phases' outcomes).
func (r Reading) Value(m dsl.Metric) (v float64, ok bool) {
	switch m {
	case dsl.MetricP50:
		return float64(r.Latency.P50), true
	case dsl.MetricP90:
		return float64(r.Latency.P90), true
	case dsl.MetricP95:
		return float64(r.Latency.P95), true
	case dsl.MetricP99:
		return float64(r.Latency.P99), true
	case dsl.MetricP999:
		return float64(r.Latency.P999), true
	case dsl.MetricMax:
		return float64(r.Latency.Max), true
	case dsl.MetricMean:
		return r.Latency.Mean, true
	case dsl.MetricErrorRate:
		return r.ErrorRate, true
	case dsl.MetricQPS:
		return r.QPS, true
	case dsl.MetricDropped:
		return r.Dropped, true
	}
	return 0, false
}
