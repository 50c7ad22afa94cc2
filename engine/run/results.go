package run

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/store"
)

// Counts are operation counters in results (JSON members in snake case).
type Counts struct {
	Total   int64 `json:"total"`
	OK      int64 `json:"ok"`
	Errors  int64 `json:"errors"`
	Reads   int64 `json:"reads"`
	Writes  int64 `json:"writes"`
	Dropped int64 `json:"dropped"`
}

func countsOf(c executor.Counts) Counts {
	return Counts{Total: c.Ops, OK: c.OK, Errors: c.Errors, Reads: c.Reads, Writes: c.Writes, Dropped: c.Dropped}
}

func (c *Counts) add(o Counts) {
	c.Total += o.Total
	c.OK += o.OK
	c.Errors += o.Errors
	c.Reads += o.Reads
	c.Writes += o.Writes
	c.Dropped += o.Dropped
}

// phaseResult is one worker's part of one node (an entry of a child row's
// PHASE_RESULTS).
type phaseResult struct {
	Phase     string                  `json:"phase"`
	Model     string                  `json:"model"`
	Warmup    bool                    `json:"warmup,omitempty"`
	Skipped   bool                    `json:"skipped,omitempty"`
	Started   time.Time               `json:"started"`
	Ended     time.Time               `json:"ended"`
	Counts    Counts                  `json:"counts"`
	Errors    []executor.ErrorGroup   `json:"errors,omitempty"`
	Abandoned int                     `json:"abandoned,omitempty"`
	FindMax   *executor.FindMaxResult `json:"find_max,omitempty"`
}

// EncodedHistogram is one entry of TEST_RESULTS.HISTOGRAMS: the HDR
// histogram of one (metric, phase, query, success) key, encoded with
// histogram.Encode. Warmup is never stored.
type EncodedHistogram struct {
	Metric  string `json:"metric"`
	Phase   string `json:"phase"`
	Query   string `json:"query,omitempty"`
	Success bool   `json:"success"`
	Count   int64  `json:"count"`
	HDR     string `json:"hdr"`
}

func (e EncodedHistogram) key() histogram.Key {
	return histogram.Key{Metric: e.Metric, Phase: e.Phase, Query: e.Query, Success: e.Success}
}

// PhaseSummary is the result of one measurement phase, merged across
// workers (parent row) or of one worker (child row): an entry of
// TEST_RESULTS.PHASE_RESULTS. Latencies are microseconds from the intended
// start, over every operation (successful or not).
type PhaseSummary struct {
	Name      string                   `json:"name"`
	Model     string                   `json:"model"`
	Workers   int                      `json:"workers"`
	Started   time.Time                `json:"started"`
	Ended     time.Time                `json:"ended"`
	Seconds   float64                  `json:"seconds"`
	Counts    Counts                   `json:"counts"`
	QPS       float64                  `json:"qps"`
	ErrorRate float64                  `json:"error_rate"`
	Latency   histogram.Summary        `json:"latency"`
	Queries   []QuerySummary           `json:"queries"`
	Errors    []executor.ErrorGroup    `json:"errors,omitempty"`
	Abandoned int                      `json:"abandoned,omitempty"`
	FindMax   []executor.FindMaxResult `json:"find_max,omitempty"` // one per worker, by WORKER_GROUP_ID
	// ServerStats are the target's own per-statement statistics over the
	// phase (pg_stat_statements deltas on Postgres), when it has them.
	ServerStats *pgstats.Report `json:"server_stats,omitempty"`
	// Warehouse is what SHOW WAREHOUSES said during the phase (Snowflake).
	Warehouse *WarehouseSummary `json:"warehouse,omitempty"`
}

// QuerySummary is one query's (or all reads' / all writes') result.
type QuerySummary struct {
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

// resultSet is everything a result row is computed from: the phases'
// counts and the latency histograms by key.
type resultSet struct {
	phases []phaseResult // merged per phase, in run order
	hists  map[histogram.Key]*hdr.Histogram
	errs   []executor.ErrorGroup
}

// queryInfo is what results need to know of a query.
type queryInfo struct {
	kind  string
	write bool
}

func queryInfos(cfg *dsl.Config) map[string]queryInfo {
	out := map[string]queryInfo{}
	if cfg == nil {
		return out
	}
	for _, t := range cfg.Templates {
		for name, q := range t.Queries {
			out[name] = queryInfo{kind: q.Kind, write: q.IsWrite()}
		}
	}
	return out
}

func errorRate(errs, ops int64) float64 {
	if ops == 0 {
		return 0
	}
	return float64(errs) / float64(ops)
}

func perSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// latency merges the latency histograms whose key keep accepts.
func (rs *resultSet) latency(keep func(histogram.Key) bool) *hdr.Histogram {
	out := histogram.New()
	for k, h := range rs.hists {
		if k.Metric == histogram.MetricLatency && keep(k) {
			out.Merge(h)
		}
	}
	return out
}

// querySummaries returns one summary per query seen in the phases keep
// accepts, sorted by name, and the read and write groups. secs is the
// length of those phases.
func (rs *resultSet) querySummaries(keepPhase func(string) bool, secs float64, infos map[string]queryInfo) (qs []QuerySummary, read, write QuerySummary) {
	names := map[string]bool{}
	for k := range rs.hists {
		if k.Metric == histogram.MetricLatency && k.Query != "" && keepPhase(k.Phase) {
			names[k.Query] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	rh, wh := histogram.New(), histogram.New()
	read, write = QuerySummary{Query: "read"}, QuerySummary{Query: "write", Write: true}
	for _, name := range sorted {
		info := infos[name]
		all := rs.latency(func(k histogram.Key) bool { return k.Query == name && keepPhase(k.Phase) })
		bad := rs.latency(func(k histogram.Key) bool { return k.Query == name && !k.Success && keepPhase(k.Phase) })
		q := QuerySummary{Query: name, Kind: info.kind, Write: info.write, Ops: all.TotalCount(), Errors: bad.TotalCount(),
			Latency: histogram.Summarize(all)}
		q.QPS, q.ErrorRate = perSecond(q.Ops, secs), errorRate(q.Errors, q.Ops)
		qs = append(qs, q)
		g, gh := &read, rh
		if info.write {
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
		g.q.QPS, g.q.ErrorRate = perSecond(g.q.Ops, secs), errorRate(g.q.Errors, g.q.Ops)
	}
	return qs, read, write
}

// phaseSummaries computes the PhaseSummary of every measured phase.
func (rs *resultSet) phaseSummaries(infos map[string]queryInfo, workers map[string]int) []PhaseSummary {
	var out []PhaseSummary
	for _, p := range rs.phases {
		secs := p.Ended.Sub(p.Started).Seconds()
		name := p.Phase
		keep := func(ph string) bool { return ph == name }
		qs, _, _ := rs.querySummaries(keep, secs, infos)
		s := PhaseSummary{Name: name, Model: p.Model, Workers: workers[name], Started: p.Started, Ended: p.Ended, Seconds: secs,
			Counts: p.Counts, QPS: perSecond(p.Counts.Total, secs), ErrorRate: errorRate(p.Counts.Errors, p.Counts.Total),
			Latency: histogram.Summarize(rs.latency(func(k histogram.Key) bool { return k.Phase == name })),
			Queries: qs, Errors: p.Errors, Abandoned: p.Abandoned}
		out = append(out, s)
	}
	return out
}

// fill sets the counts, rates, percentiles and JSON members of r.
func (rs *resultSet) fill(r *store.TestResult, infos map[string]queryInfo, findMax map[string][]executor.FindMaxResult, workers map[string]int) ([]PhaseSummary, error) {
	phases := rs.phaseSummaries(infos, workers)
	var c Counts
	var secs float64
	measured := map[string]bool{}
	for i, p := range phases {
		c.add(p.Counts)
		secs += p.Seconds
		measured[p.Name] = true
		phases[i].FindMax = findMax[p.Name]
		if i == 0 {
			t := p.Started
			r.MeasurementStart = &t
		}
		t := p.Ended
		r.MeasurementEnd = &t
	}
	all := rs.latency(func(k histogram.Key) bool { return measured[k.Phase] })
	sum := histogram.Summarize(all)
	r.Total, r.OK, r.Errors, r.Reads, r.Writes, r.Dropped = c.Total, c.OK, c.Errors, c.Reads, c.Writes, c.Dropped
	r.OpsIssued = c.Total
	r.QPS, r.ErrorRate = perSecond(c.Total, secs), errorRate(c.Errors, c.Total)
	r.P50US, r.P90US, r.P95US, r.P99US, r.P999US, r.MaxUS = sum.P50, sum.P90, sum.P95, sum.P99, sum.P999, sum.Max
	r.MeanUS = int64(sum.Mean + 0.5)
	qs, read, write := rs.querySummaries(func(ph string) bool { return measured[ph] }, secs, infos)
	var err error
	if r.QueryResults, err = json.Marshal(QueryResults{Read: read, Write: write, Queries: qs}); err != nil {
		return nil, err
	}
	if r.PhaseResults, err = json.Marshal(phases); err != nil {
		return nil, err
	}
	errs := rs.errs
	if errs == nil {
		errs = []executor.ErrorGroup{}
	}
	if r.ErrorsJSON, err = json.Marshal(errs); err != nil {
		return nil, err
	}
	enc, err := encodeHists(rs.hists)
	if err != nil {
		return nil, err
	}
	r.Histograms = enc
	return phases, nil
}

func encodeHists(hs map[histogram.Key]*hdr.Histogram) (json.RawMessage, error) {
	out := make([]EncodedHistogram, 0, len(hs))
	for k, h := range hs {
		if h.TotalCount() == 0 {
			continue
		}
		s, err := histogram.Encode(h)
		if err != nil {
			return nil, err
		}
		out = append(out, EncodedHistogram{Metric: k.Metric, Phase: k.Phase, Query: k.Query, Success: k.Success, Count: h.TotalCount(), HDR: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key().Less(out[j].key()) })
	return json.Marshal(out)
}

// DecodeHistograms reads TEST_RESULTS.HISTOGRAMS back into histograms by
// key, so percentiles can be recomputed later.
func DecodeHistograms(raw json.RawMessage) (map[histogram.Key]*hdr.Histogram, error) {
	out := map[histogram.Key]*hdr.Histogram{}
	if len(raw) == 0 {
		return out, nil
	}
	var es []EncodedHistogram
	if err := json.Unmarshal(raw, &es); err != nil {
		return nil, fmt.Errorf("histograms: %w", err)
	}
	for _, e := range es {
		h, err := histogram.Decode(e.HDR)
		if err != nil {
			return nil, err
		}
		out[e.key()] = h
	}
	return out, nil
}

// mergeErrors merges error groups by code: counts add up, the first
// MaxErrorMessages messages are kept.
func mergeErrors(groups ...[]executor.ErrorGroup) []executor.ErrorGroup {
	by := map[string]*executor.ErrorGroup{}
	var order []string
	for _, gs := range groups {
		for _, g := range gs {
			m := by[g.Code]
			if m == nil {
				m = &executor.ErrorGroup{Code: g.Code, SQLState: g.SQLState}
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

// writeResults writes the worker's child TEST_RESULTS row from what it has
// measured so far (cumulative: every call replaces the row).
func (w *worker) writeResults(ctx context.Context, status, reason string) error {
	w.mu.Lock()
	phases := append([]phaseResult(nil), w.measured...)
	start, end := w.firstStart, w.lastEnd
	w.mu.Unlock()
	measured := map[string]bool{}
	for _, p := range phases {
		measured[p.Phase] = true
	}
	rs := &resultSet{phases: phases, hists: map[histogram.Key]*hdr.Histogram{}}
	for _, s := range w.reg.Cumulative() {
		if measured[s.Key.Phase] && s.Cumulative.TotalCount() > 0 {
			rs.hists[s.Key] = s.Cumulative
		}
	}
	findMax := map[string][]executor.FindMaxResult{}
	workers := map[string]int{}
	var errGroups [][]executor.ErrorGroup
	for _, p := range phases {
		workers[p.Phase] = 1
		errGroups = append(errGroups, p.Errors)
		if p.FindMax != nil {
			findMax[p.Phase] = []executor.FindMaxResult{*p.FindMax}
		}
	}
	rs.errs = mergeErrors(errGroups...)
	g := w.group
	r := store.TestResult{TestID: ChildTestID(w.runID, w.group), RunID: w.runID, WorkerID: w.id, WorkerGroupID: &g,
		ScenarioName: w.plan.Scenario, TemplateName: w.plan.Template, Status: status, FailureReason: reason,
		StartTime: start, EndTime: end}
	if _, err := rs.fill(&r, queryInfos(w.opts.Config), findMax, workers); err != nil {
		return fmt.Errorf("worker %s results: %w", w.id, err)
	}
	w.mu.Lock()
	fin := w.final
	w.mu.Unlock()
	if fin != nil {
		// OPS_ISSUED counts every operation the worker issued (warmup
		// included), ROWS_STORED the QUERY_EXECUTIONS rows written:
		// errors + warmup + sampled measurement operations.
		r.SampleRate, r.OpsIssued, r.RowsStored = fin.SampleRate, fin.Offered, fin.Written
		if fin.NotWritten > 0 {
			note := fmt.Sprintf("%d query executions not written (%s)", fin.NotWritten, fin.Reason)
			if fin.JournalPath != "" {
				note += "; they are kept in " + fin.JournalPath
			}
			if r.FailureReason != "" {
				note = r.FailureReason + "; " + note
			}
			r.FailureReason = note
		}
	}
	return w.st.WriteTestResult(ctx, r)
}
