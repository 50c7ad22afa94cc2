package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
)

// PercentileDistribution writes the latency histogram of one scope of a
// run (phase "" : every measurement phase; query "": every query) in
// HdrHistogram's percentile-distribution text format (the .hgrm output of
// HistogramLogProcessor, read by HdrHistogram's plotFiles page), values in
// milliseconds. The histogram is the exact merge the run stored.
func PercentileDistribution(w io.Writer, hists []results.EncodedHistogram, phase, query string) error {
	h := histogram.New()
	n := 0
	for _, e := range hists {
		if e.Metric != histogram.MetricLatency || (phase != "" && e.Phase != phase) || (query != "" && e.Query != query) {
			continue
		}
		d, err := histogram.Decode(e.HDR)
		if err != nil {
			return err
		}
		if err := histogram.Merge(h, d); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("the run has no latency histogram for phase %q and query %q", or(phase, "(every phase)"), or(query, "(every query)"))
	}
	_, err := h.PercentilesPrint(w, 5, 1000)
	return err
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Benchfmt writes the run's per-interval series in Go benchmark format:
// one result line per phase, query scope and interval (so benchstat sees
// each interval as a sample; a phase's last, partial interval is left
// out), with Unit lines saying which direction is
// better. `benchstat old.txt new.txt` then compares two runs.
func Benchfmt(w io.Writer, scenario, runID string, series []*results.Interval) error {
	// No run line: a config key that differs between the two files would
	// make benchstat split them into separate tables instead of comparing.
	fmt.Fprintf(w, "scenario: %s\n", scenario)
	units := []struct{ name, better string }{{"ops/s", "higher"}, {"p50-ns", "lower"}, {"p95-ns", "lower"}, {"p99-ns", "lower"},
		{"p99.9-ns", "lower"}, {"max-ns", "lower"}, {"errors/op", "lower"}}
	for _, u := range units {
		fmt.Fprintf(w, "Unit %s better=%s assume=nothing\n", u.name, u.better)
	}
	title := benchName(scenario)
	if title != "" {
		title = strings.ToUpper(title[:1]) + title[1:] // benchfmt wants Benchmark + an upper-case letter
	}
	name := "Benchmark" + title
	var full []*results.Interval
	seen := map[string]bool{}
	for _, iv := range series {
		if !seen[iv.Phase] {
			seen[iv.Phase] = true
			full = append(full, results.FullIntervals(series, iv.Phase)...)
		}
	}
	for _, r := range Intervals(runID, full) {
		if r.Ops == 0 {
			continue
		}
		q := r.Query
		if q == "(all)" {
			q = "all"
		}
		er := float64(r.Errors) / float64(r.Ops)
		if _, err := fmt.Fprintf(w, "%s/phase=%s/query=%s %d %g ops/s %d p50-ns %d p95-ns %d p99-ns %d p99.9-ns %d max-ns %g errors/op\n",
			name, benchName(r.Phase), benchName(q), r.Ops, r.QPS, r.P50US*1000, r.P95US*1000, r.P99US*1000, r.P999US*1000, r.MaxUS*1000, er); err != nil {
			return err
		}
	}
	return nil
}

// benchName keeps a name part valid in benchfmt: no spaces, no slashes.
func benchName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' || r == '\t' {
			return '_'
		}
		return r
	}, s)
}
