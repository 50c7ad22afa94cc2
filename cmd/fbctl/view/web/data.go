package web

import (
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// Data is everything a report or run page shows, as JSON for its script.
type Data struct {
	RunID      string                    `json:"run_id"`
	Scenario   string                    `json:"scenario"`
	Status     string                    `json:"status"`
	Failure    string                    `json:"failure,omitempty"`
	CreatedAt  string                    `json:"created_at"`
	Tags       map[string]string         `json:"tags,omitempty"`
	SampleRate float64                   `json:"sample_rate"`
	Operations int64                     `json:"operations"`
	Errors     int64                     `json:"errors"`
	QPS        float64                   `json:"qps"`
	Latency    histogram.Summary         `json:"latency"`
	Thresholds []results.ThresholdResult `json:"thresholds"`
	Phases     []Phase                   `json:"phases"`
	Comparison *compare.Comparison       `json:"comparison,omitempty"`
	Live       bool                      `json:"live,omitempty"`
	Workers    []Worker                  `json:"workers,omitempty"`
	Nodes      []Node                    `json:"nodes,omitempty"`
	Generated  string                    `json:"generated"`
}

// Phase is one measurement phase: its summary, its interval series and
// its latency distribution (and the baseline's, when compared).
type Phase struct {
	Name         string                 `json:"name"`
	Model        string                 `json:"model"`
	Workers      int                    `json:"workers"`
	Seconds      float64                `json:"seconds"`
	QPS          float64                `json:"qps"`
	ErrorRate    float64                `json:"error_rate"`
	Counts       results.Counts         `json:"counts"`
	Latency      histogram.Summary      `json:"latency"`
	Queries      []results.QuerySummary `json:"queries"`
	Clocks       []results.WorkerClock  `json:"clocks,omitempty"`
	Warehouse    *warehouse.Summary     `json:"warehouse,omitempty"`
	ServerStats  *pgstats.Report        `json:"server_stats,omitempty"`
	Series       Series                 `json:"series"`
	Distribution []Point                `json:"distribution"`
	Baseline     []Point                `json:"baseline_distribution,omitempty"`
}

// Series holds one value per interval, seconds from the phase's start in
// T; latencies in milliseconds, from the exact merge of every worker's
// interval histograms.
type Series struct {
	T         []float64            `json:"t"`
	QPS       []float64            `json:"qps"`
	ErrorsPS  []float64            `json:"errors_per_s"`
	P50       []float64            `json:"p50_ms"`
	P95       []float64            `json:"p95_ms"`
	P99       []float64            `json:"p99_ms"`
	Max       []float64            `json:"max_ms"`
	Dropped   []float64            `json:"dropped_per_s"`
	QueryP99  map[string][]float64 `json:"query_p99_ms"`
	Workers   []int                `json:"workers"`
	Sessions  []int64              `json:"sessions"`
	IntervalS float64              `json:"interval_s"`
}

// Point is one step of a percentile distribution: the percentile (0–100)
// and the latency in milliseconds at it.
type Point struct {
	Percentile float64 `json:"p"`
	MS         float64 `json:"ms"`
}

// Build shapes a run for the page: hists are the run's stored (parent)
// histograms, baseHists the baseline's (nil without a comparison).
func Build(r compare.Run, hists, baseHists []results.EncodedHistogram, ths []results.ThresholdResult, cmp *compare.Comparison) Data {
	d := Data{RunID: r.Run.ID, Scenario: r.Run.ScenarioName, Status: string(r.Run.Status), Failure: r.Run.FailureReason,
		CreatedAt: r.Run.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), SampleRate: r.Run.SampleRate,
		Thresholds: ths, Comparison: cmp, Generated: time.Now().UTC().Format("2006-01-02 15:04:05 UTC")}
	if d.Thresholds == nil {
		d.Thresholds = []results.ThresholdResult{}
	}
	for k, v := range r.Tags {
		if strings.HasPrefix(k, store.SystemTagPrefix) {
			continue
		}
		if d.Tags == nil {
			d.Tags = map[string]string{}
		}
		d.Tags[k] = v
	}
	all := histogram.New()
	for _, p := range r.Phases {
		ph := Phase{Name: p.Name, Model: string(p.Model), Workers: p.Workers, Seconds: p.Seconds, QPS: p.QPS, ErrorRate: p.ErrorRate,
			Counts: p.Counts, Latency: p.Latency, Queries: p.Queries, Clocks: p.Clocks, Warehouse: p.Warehouse, ServerStats: p.ServerStats,
			Series: seriesOf(r.Series, p.Name)}
		if ph.Queries == nil {
			ph.Queries = []results.QuerySummary{}
		}
		h := merged(hists, p.Name)
		all.Merge(h)
		ph.Distribution = Distribution(h)
		if baseHists != nil {
			ph.Baseline = Distribution(merged(baseHists, p.Name))
		}
		d.Operations += p.Counts.Total
		d.Errors += p.Counts.Errors
		d.Phases = append(d.Phases, ph)
	}
	d.Latency = histogram.Summarize(all)
	var secs float64
	for _, p := range r.Phases {
		secs += p.Seconds
	}
	d.QPS = results.PerSecond(d.Operations, secs)
	if d.Phases == nil {
		d.Phases = []Phase{}
	}
	return d
}

func merged(hs []results.EncodedHistogram, phase string) *hdrHist {
	out := histogram.New()
	for _, e := range hs {
		if e.Metric != histogram.MetricLatency || e.Phase != phase {
			continue
		}
		if h, err := histogram.Decode(e.HDR); err == nil {
			_ = histogram.Merge(out, h)
		}
	}
	return out
}

// Distribution returns the percentile distribution of h, for a plot with
// a logarithmic 1/(1−p) axis: HdrHistogram's percentile iteration (5
// ticks per half distance), the 100th percentile left out (1/(1−p) is
// infinite there).
func Distribution(h *hdrHist) []Point {
	out := []Point{}
	if h == nil || h.TotalCount() == 0 {
		return out
	}
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		if b.Quantile >= 100 {
			break
		}
		out = append(out, Point{Percentile: b.Quantile, MS: float64(b.ValueAt) / 1000})
	}
	return out
}

func seriesOf(all []*results.Interval, phase string) Series {
	s := Series{QueryP99: map[string][]float64{}}
	var t0 time.Time
	var prevDropped int64
	// Full intervals only: a phase's last, partial interval would plot a
	// rate over a few milliseconds.
	ivs := results.FullIntervals(all, phase)
	queries := map[string]bool{}
	for _, iv := range ivs {
		for k := range iv.Hists {
			if k.Metric == histogram.MetricLatency && k.Query != "" {
				queries[k.Query] = true
			}
		}
	}
	for i, iv := range ivs {
		if i == 0 {
			t0 = iv.Start
			s.IntervalS = iv.Length.Seconds()
		}
		end := iv.Start.Add(iv.Length).Sub(t0).Seconds()
		s.T = append(s.T, end)
		h := iv.Latency(nil)
		sum := histogram.Summarize(h)
		s.QPS = append(s.QPS, iv.PerSecond(h.TotalCount()))
		s.ErrorsPS = append(s.ErrorsPS, iv.PerSecond(iv.Errors()))
		s.P50 = append(s.P50, ms(sum.P50))
		s.P95 = append(s.P95, ms(sum.P95))
		s.P99 = append(s.P99, ms(sum.P99))
		s.Max = append(s.Max, ms(sum.Max))
		s.Dropped = append(s.Dropped, iv.PerSecond(iv.Dropped-prevDropped))
		prevDropped = iv.Dropped
		s.Workers = append(s.Workers, iv.Workers)
		s.Sessions = append(s.Sessions, iv.Sessions)
		for q := range queries {
			qh := iv.Latency(func(k histogram.Key) bool { return k.Query == q })
			v := 0.0
			if qh.TotalCount() > 0 {
				v = ms(histogram.Summarize(qh).P99)
			}
			s.QueryP99[q] = append(s.QueryP99[q], v)
		}
	}
	return s
}

func ms(us int64) float64 { return float64(us) / 1000 }
