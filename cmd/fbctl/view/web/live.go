package web

import (
	"time"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
)

// BuildLive shapes a run that has no merged results yet (it is still
// going) from its interval series alone. Like the CLI's live view, an
// interval is shown once every worker of its phase reported it, so what
// is drawn is the exact merge, never a part of it.
func BuildLive(r compare.Run) Data {
	d := Data{RunID: r.Run.ID, Scenario: r.Run.ScenarioName, Status: string(r.Run.Status), Failure: r.Run.FailureReason,
		CreatedAt: r.Run.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), SampleRate: r.Run.SampleRate, Live: !r.Run.Status.Terminal(),
		Thresholds: []results.ThresholdResult{}, Phases: []Phase{}, Generated: time.Now().UTC().Format("2006-01-02 15:04:05 UTC")}
	expected := map[string]int{}
	var order []string
	for _, n := range r.Plan.Nodes {
		if n.Kind == engine.NodePhase && n.Phase != nil {
			expected[n.Phase.Name] = int(n.Phase.Workers)
			order = append(order, n.Phase.Name)
		}
	}
	var complete []*results.Interval
	for _, iv := range r.Series {
		if w, ok := expected[iv.Phase]; ok && iv.Workers >= w {
			complete = append(complete, iv)
		}
	}
	all := histogram.New()
	for _, name := range order {
		var ivs []*results.Interval
		h := histogram.New()
		var errs int64
		var secs float64
		for _, iv := range complete {
			if iv.Phase == name {
				ivs = append(ivs, iv)
				h.Merge(iv.Latency(nil))
				errs += iv.Errors()
				secs += iv.Length.Seconds()
			}
		}
		if len(ivs) == 0 {
			continue
		}
		all.Merge(h)
		ph := Phase{Name: name, Workers: expected[name], Seconds: secs, Queries: []results.QuerySummary{},
			Counts:  results.Counts{Total: h.TotalCount(), Errors: errs, OK: h.TotalCount() - errs, Dropped: ivs[len(ivs)-1].Dropped},
			Latency: histogram.Summarize(h), Series: seriesOf(ivs, name), Distribution: Distribution(h)}
		for _, n := range r.Plan.Nodes {
			if n.Phase != nil && n.Phase.Name == name {
				ph.Model = string(n.Phase.Model)
			}
		}
		ph.QPS = results.PerSecond(ph.Counts.Total, secs)
		ph.ErrorRate = results.ErrorRate(errs, ph.Counts.Total)
		d.Operations += ph.Counts.Total
		d.Errors += errs
		d.Phases = append(d.Phases, ph)
	}
	d.Latency = histogram.Summarize(all)
	var secs float64
	for _, p := range d.Phases {
		secs += p.Seconds
	}
	d.QPS = results.PerSecond(d.Operations, secs)
	return d
}
