package results

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// Counts are operation counters in results (JSON members in snake case).
type Counts struct {
	Total   int64 `json:"total"`
	OK      int64 `json:"ok"`
	Errors  int64 `json:"errors"`
	Reads   int64 `json:"reads"`
	Writes  int64 `json:"writes"`
	Dropped int64 `json:"dropped"`
	// Retries counts transaction tries run again after a conflict
	// (serialization failure or deadlock, max_tries > 1).
	Retries int64 `json:"retries,omitempty"`
}

// CountsOf converts an executor's counters.
func CountsOf(c executor.Counts) Counts {
	return Counts{Total: c.Ops, OK: c.OK, Errors: c.Errors, Reads: c.Reads, Writes: c.Writes, Dropped: c.Dropped, Retries: c.Retries}
}

func (c *Counts) add(o Counts) {
	c.Total += o.Total
	c.OK += o.OK
	c.Errors += o.Errors
	c.Reads += o.Reads
	c.Writes += o.Writes
	c.Dropped += o.Dropped
	c.Retries += o.Retries
}

// WorkerClock is how one worker saw one node: its clock's offset from
// the control plane's clock (control plane minus local) with the
// measurement's uncertainty, and how late after the common start instant
// it began issuing.
type WorkerClock struct {
	WorkerID      string `json:"worker_id"`
	WorkerGroupID int    `json:"worker_group_id"`
	OffsetUS      int64  `json:"clock_offset_us"`
	UncertaintyUS int64  `json:"clock_uncertainty_us"`
	LateUS        int64  `json:"late_us"`
}

// NodeResult is one worker's part of one load node, as the run engine
// measured it.
type NodeResult struct {
	Phase   string
	Model   load.Model
	Warmup  bool
	Skipped bool
	// Started and Ended are the node's window on the control plane's
	// clock: the common start instant and its planned (or stopped) end.
	// Drained is when the worker's last in-flight operation returned.
	Started, Ended, Drained time.Time
	Counts                  Counts
	Errors                  []executor.ErrorGroup
	Abandoned               int
	PeakSessions            int
	SessionErrors           int64
	Clock                   WorkerClock
	FindMax                 *executor.FindMaxResult
	Outages                 []WorkerOutage // connection outages the worker's sessions lived through
}

// PhaseSummary is the result of one measurement phase, merged across
// workers (parent row) or of one worker (child row): an entry of
// TEST_RESULTS.PHASE_RESULTS. Latencies are microseconds from the intended
// start, over every operation (successful or not).
type PhaseSummary struct {
	Name    string     `json:"name"`
	Model   load.Model `json:"model"`
	Workers int        `json:"workers"`
	// Started and Ended are the phase's window on the control plane's
	// clock (every worker's is the same); Seconds its length, the divisor
	// of QPS. Operations issued in the window and still running at its end
	// were waited for (until Drained) and are counted.
	Started   time.Time             `json:"started"`
	Ended     time.Time             `json:"ended"`
	Drained   time.Time             `json:"drained"`
	Seconds   float64               `json:"seconds"`
	Counts    Counts                `json:"counts"`
	QPS       float64               `json:"qps"`
	ErrorRate float64               `json:"error_rate"`
	Latency   histogram.Summary     `json:"latency"`
	Queries   []QuerySummary        `json:"queries"`
	Errors    []executor.ErrorGroup `json:"errors,omitempty"`
	Abandoned int                   `json:"abandoned,omitempty"`
	// PeakSessions sums the workers' most sessions open at once;
	// SessionErrors counts the sessions that could not be opened during
	// the phase.
	PeakSessions  int   `json:"peak_sessions"`
	SessionErrors int64 `json:"session_errors,omitempty"`
	// Clocks has one entry per worker: its clock offset and how late it
	// started.
	Clocks  []WorkerClock            `json:"clocks,omitempty"`
	FindMax []executor.FindMaxResult `json:"find_max,omitempty"` // one per worker, by WORKER_GROUP_ID
	Outages []WorkerOutage           `json:"outages,omitempty"`  // target connection outages (outage.go)
	// ServerStats are the target's own per-statement statistics over the
	// phase (pg_stat_statements deltas on Postgres), when it has them.
	ServerStats *pgstats.Report `json:"server_stats,omitempty"`
	// Warehouse is what SHOW WAREHOUSES said during the phase (Snowflake).
	Warehouse *warehouse.Summary `json:"warehouse,omitempty"`
	// QPSControl is the qps_target controller's record of the phase.
	QPSControl *QPSControl `json:"qps_control,omitempty"`
}

// QuerySummary is one query's (or all reads' / all writes') result.
type QuerySummary struct {
	Template  string            `json:"template,omitempty"`
	Query     string            `json:"query"`
	Kind      string            `json:"kind,omitempty"`
	Write     bool              `json:"write"`
	Ops       int64             `json:"ops"`
	Errors    int64             `json:"errors"`
	QPS       float64           `json:"qps"`
	ErrorRate float64           `json:"error_rate"`
	Latency   histogram.Summary `json:"latency"`
}

// QueryResults is TEST_RESULTS.QUERY_RESULTS: per query across the
// measurement phases, and reads and writes as two groups.
type QueryResults struct {
	Read    QuerySummary   `json:"read"`
	Write   QuerySummary   `json:"write"`
	Queries []QuerySummary `json:"queries"`
}

// QueryKey names a query: queries of different templates never merge.
type QueryKey struct{ Template, Query string }

// QueryMeta is what results need to know of a query.
type QueryMeta struct {
	Kind  string
	Write bool
}

// Set is everything a result row is computed from: the measured phases
// (merged per phase, in run order), the latency histograms by key, the
// queries' metadata and the errors.
type Set struct {
	Phases  []NodeResult
	Hists   map[histogram.Key]*hdr.Histogram
	Queries map[QueryKey]QueryMeta
	Errors  []executor.ErrorGroup

	workers map[string]int
	clocks  map[string][]WorkerClock
	findMax map[string][]executor.FindMaxResult
	outages map[string][]WorkerOutage
}

// ForWorker is the Set of one worker: its measured nodes (warmup and
// skipped nodes are left out) and its cumulative histograms.
func ForWorker(nodes []NodeResult, hists map[histogram.Key]*hdr.Histogram, queries map[QueryKey]QueryMeta) *Set {
	s := &Set{Hists: map[histogram.Key]*hdr.Histogram{}, Queries: queries, workers: map[string]int{},
		clocks: map[string][]WorkerClock{}, findMax: map[string][]executor.FindMaxResult{}, outages: map[string][]WorkerOutage{}}
	measured := map[string]bool{}
	var errs [][]executor.ErrorGroup
	for _, n := range nodes {
		if n.Warmup || n.Skipped {
			continue
		}
		measured[n.Phase] = true
		s.Phases = append(s.Phases, n)
		s.workers[n.Phase] = 1
		s.clocks[n.Phase] = []WorkerClock{n.Clock}
		s.outages[n.Phase] = n.Outages
		errs = append(errs, n.Errors)
		if n.FindMax != nil {
			s.findMax[n.Phase] = []executor.FindMaxResult{*n.FindMax}
		}
	}
	for k, h := range hists {
		if measured[k.Phase] && h.TotalCount() > 0 {
			s.Hists[k] = h
		}
	}
	s.Errors = MergeErrors(errs...)
	return s
}

// Merge merges result rows (the workers' child rows, or a parent row
// alone) exactly: histograms by key with histogram.MergeAll, phases by
// name in order (window from the earliest start to the latest end,
// counts summed, errors merged).
func Merge(rows []store.TestResult, order []string) (*Set, error) {
	lists := map[histogram.Key][]*hdr.Histogram{}
	byPhase := map[string]*NodeResult{}
	errsByPhase := map[string][][]executor.ErrorGroup{}
	s := &Set{Hists: map[histogram.Key]*hdr.Histogram{}, Queries: map[QueryKey]QueryMeta{}, workers: map[string]int{},
		clocks: map[string][]WorkerClock{}, findMax: map[string][]executor.FindMaxResult{}, outages: map[string][]WorkerOutage{}}
	for _, r := range rows {
		hs, meta, err := DecodeHistograms(r.Histograms)
		if err != nil {
			return nil, fmt.Errorf("result %s: %w", r.TestID, err)
		}
		for k, h := range hs {
			lists[k] = append(lists[k], h)
		}
		for k, m := range meta {
			s.Queries[k] = m
		}
		var phases []PhaseSummary
		if len(r.PhaseResults) > 0 {
			if err := json.Unmarshal(r.PhaseResults, &phases); err != nil {
				return nil, fmt.Errorf("result %s: phase results: %w", r.TestID, err)
			}
		}
		for _, ps := range phases {
			s.workers[ps.Name] += max(ps.Workers, 1)
			s.findMax[ps.Name] = append(s.findMax[ps.Name], ps.FindMax...)
			s.clocks[ps.Name] = append(s.clocks[ps.Name], ps.Clocks...)
			s.outages[ps.Name] = append(s.outages[ps.Name], ps.Outages...)
			errsByPhase[ps.Name] = append(errsByPhase[ps.Name], ps.Errors)
			m := byPhase[ps.Name]
			if m == nil {
				m = &NodeResult{Phase: ps.Name, Model: ps.Model, Started: ps.Started, Ended: ps.Ended, Drained: ps.Drained}
				byPhase[ps.Name] = m
			}
			if ps.Started.Before(m.Started) {
				m.Started = ps.Started
			}
			if ps.Ended.After(m.Ended) {
				m.Ended = ps.Ended
			}
			if ps.Drained.After(m.Drained) {
				m.Drained = ps.Drained
			}
			m.Counts.add(ps.Counts)
			m.Abandoned += ps.Abandoned
			m.PeakSessions += ps.PeakSessions
			m.SessionErrors += ps.SessionErrors
		}
	}
	for k, hs := range lists {
		h, err := histogram.MergeAll(hs...)
		if err != nil {
			return nil, err
		}
		s.Hists[k] = h
	}
	var all [][]executor.ErrorGroup
	for _, name := range order {
		if m := byPhase[name]; m != nil {
			m.Errors = MergeErrors(errsByPhase[name]...)
			all = append(all, m.Errors)
			s.Phases = append(s.Phases, *m)
		}
	}
	s.Errors = MergeErrors(all...)
	for _, cs := range s.clocks {
		slices.SortFunc(cs, func(a, b WorkerClock) int { return a.WorkerGroupID - b.WorkerGroupID })
	}
	return s, nil
}

// PhaseNames returns the names of the phases of a stored row's
// PHASE_RESULTS, in their order.
func PhaseNames(r store.TestResult) []string {
	var ps []struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(r.PhaseResults, &ps)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// latency merges the latency histograms whose key keep accepts.
func (s *Set) latency(keep func(histogram.Key) bool) *hdr.Histogram {
	out := histogram.New()
	for k, h := range s.Hists {
		if k.Metric == histogram.MetricLatency && keep(k) {
			out.Merge(h)
		}
	}
	return out
}

// querySummaries returns one summary per query seen in the phases keep
// accepts, sorted by template and name, and the read and write groups.
// secs is the length of those phases' windows.
func (s *Set) querySummaries(keepPhase func(string) bool, secs float64) (qs []QuerySummary, read, write QuerySummary) {
	keys := map[QueryKey]bool{}
	for k := range s.Hists {
		if k.Metric == histogram.MetricLatency && k.Query != "" && keepPhase(k.Phase) {
			keys[QueryKey{k.Template, k.Query}] = true
		}
	}
	sorted := make([]QueryKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Template != sorted[j].Template {
			return sorted[i].Template < sorted[j].Template
		}
		return sorted[i].Query < sorted[j].Query
	})
	rh, wh := histogram.New(), histogram.New()
	read, write = QuerySummary{Query: "read"}, QuerySummary{Query: "write", Write: true}
	for _, qk := range sorted {
		meta := s.Queries[qk]
		of := func(k histogram.Key) bool {
			return k.Template == qk.Template && k.Query == qk.Query && keepPhase(k.Phase)
		}
		all := s.latency(of)
		bad := s.latency(func(k histogram.Key) bool { return of(k) && !k.Success })
		q := QuerySummary{Template: qk.Template, Query: qk.Query, Kind: meta.Kind, Write: meta.Write, Ops: all.TotalCount(),
			Errors: bad.TotalCount(), Latency: histogram.Summarize(all)}
		q.QPS, q.ErrorRate = PerSecond(q.Ops, secs), ErrorRate(q.Errors, q.Ops)
		qs = append(qs, q)
		g, gh := &read, rh
		if meta.Write {
			g, gh = &write, wh
		}
		g.Ops += q.Ops
		g.Errors += q.Errors
		gh.Merge(all)
	}
	for _, g := range []struct {
		q *QuerySummary
		h *hdr.Histogram
	}{{&read, rh}, {&write, wh}} {
		g.q.Latency = histogram.Summarize(g.h)
		g.q.QPS, g.q.ErrorRate = PerSecond(g.q.Ops, secs), ErrorRate(g.q.Errors, g.q.Ops)
	}
	return qs, read, write
}

// PhaseSummaries computes the PhaseSummary of every measured phase.
func (s *Set) PhaseSummaries() []PhaseSummary {
	var out []PhaseSummary
	for _, p := range s.Phases {
		secs := p.Ended.Sub(p.Started).Seconds()
		name := p.Phase
		keep := func(ph string) bool { return ph == name }
		qs, _, _ := s.querySummaries(keep, secs)
		ps := PhaseSummary{Name: name, Model: p.Model, Workers: s.workers[name], Started: p.Started, Ended: p.Ended,
			Drained: p.Drained, Seconds: secs, Counts: p.Counts, QPS: PerSecond(p.Counts.Total, secs),
			ErrorRate: ErrorRate(p.Counts.Errors, p.Counts.Total),
			Latency:   histogram.Summarize(s.latency(func(k histogram.Key) bool { return k.Phase == name })),
			Queries:   qs, Errors: p.Errors, Abandoned: p.Abandoned, PeakSessions: p.PeakSessions,
			SessionErrors: p.SessionErrors, Clocks: s.clocks[name], FindMax: s.findMax[name], Outages: s.outages[name]}
		out = append(out, ps)
	}
	return out
}

// Window is a span of time on the control plane's clock.
type Window struct{ Start, End time.Time }

// MeasuredSeconds is the length of the union of the phases' windows: the
// time during which at least one measurement phase ran. It is the divisor
// of a run's (or a threshold scope's) QPS: phases that run side by side
// overlap, phases one after another add up, gaps between them do not
// count.
func MeasuredSeconds(ws []Window) float64 {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b Window) int { return a.Start.Compare(b.Start) })
	var total time.Duration
	var cur Window
	for i, w := range ws {
		switch {
		case i == 0:
			cur = w
		case !w.Start.After(cur.End):
			if w.End.After(cur.End) {
				cur.End = w.End
			}
		default:
			total += cur.End.Sub(cur.Start)
			cur = w
		}
	}
	if len(ws) > 0 {
		total += cur.End.Sub(cur.Start)
	}
	return total.Seconds()
}

func (s *Set) windows(keep func(string) bool) []Window {
	var ws []Window
	for _, p := range s.Phases {
		if keep(p.Phase) {
			ws = append(ws, Window{p.Started, p.Ended})
		}
	}
	return ws
}

// Fill sets the counts, rates, percentiles and JSON members of the result
// row r from s and returns the phase summaries it stored.
func (s *Set) Fill(r *store.TestResult) ([]PhaseSummary, error) {
	phases := s.PhaseSummaries()
	var c Counts
	measured := map[string]bool{}
	for i, p := range phases {
		c.add(p.Counts)
		measured[p.Name] = true
		if i == 0 || p.Started.Before(*r.MeasurementStart) {
			t := p.Started
			r.MeasurementStart = &t
		}
		if r.MeasurementEnd == nil || p.Ended.After(*r.MeasurementEnd) {
			t := p.Ended
			r.MeasurementEnd = &t
		}
	}
	secs := MeasuredSeconds(s.windows(func(p string) bool { return measured[p] }))
	sum := histogram.Summarize(s.latency(func(k histogram.Key) bool { return measured[k.Phase] }))
	r.Total, r.OK, r.Errors, r.Reads, r.Writes, r.Dropped = c.Total, c.OK, c.Errors, c.Reads, c.Writes, c.Dropped
	r.OpsIssued = c.Total
	r.QPS, r.ErrorRate = PerSecond(c.Total, secs), ErrorRate(c.Errors, c.Total)
	r.P50US, r.P90US, r.P95US, r.P99US, r.P999US, r.MaxUS = sum.P50, sum.P90, sum.P95, sum.P99, sum.P999, sum.Max
	r.MeanUS = int64(sum.Mean + 0.5)
	qs, read, write := s.querySummaries(func(ph string) bool { return measured[ph] }, secs)
	var err error
	if r.QueryResults, err = json.Marshal(QueryResults{Read: read, Write: write, Queries: qs}); err != nil {
		return nil, err
	}
	if r.PhaseResults, err = json.Marshal(phases); err != nil {
		return nil, err
	}
	errs := s.Errors
	if errs == nil {
		errs = []executor.ErrorGroup{}
	}
	if r.ErrorsJSON, err = json.Marshal(errs); err != nil {
		return nil, err
	}
	if r.Histograms, err = EncodeHistograms(s.Hists, s.Queries); err != nil {
		return nil, err
	}
	return phases, nil
}

// ErrorRate is errs ÷ ops (0 without operations).
func ErrorRate(errs, ops int64) float64 {
	if ops == 0 {
		return 0
	}
	return float64(errs) / float64(ops)
}

// PerSecond is n ÷ secs (0 for an empty window).
func PerSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// MergeErrors merges error groups by code: counts add up, the first
// MaxErrorMessages messages are kept.
func MergeErrors(groups ...[]executor.ErrorGroup) []executor.ErrorGroup {
	by := map[string]*executor.ErrorGroup{}
	var order []string
	for _, gs := range groups {
		for _, g := range gs {
			m := by[g.Code]
			if m == nil {
				m = &executor.ErrorGroup{Code: g.Code, SQLState: g.SQLState, Class: g.Class}
				by[g.Code] = m
				order = append(order, g.Code)
			}
			m.Count += g.Count
			for _, msg := range g.Messages {
				if len(m.Messages) < executor.MaxErrorMessages {
					m.Messages = append(m.Messages, msg)
				}
			}
		}
	}
	out := make([]executor.ErrorGroup, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}
