package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// Formats of the tabular exports.
const (
	CSV    = "csv"
	JSON   = "json"
	NDJSON = "ndjson"
)

// Row is one exported row: its CSV header and record; JSON uses its
// struct tags.
type Row interface {
	Header() []string
	Record() []string
}

// Writer writes rows of one kind in one format, one at a time: nothing is
// held but the current row (JSON is written as an array, streamed).
type Writer struct {
	w      io.Writer
	format string
	csv    *csv.Writer
	n      int
}

// NewWriter starts a writer; format is CSV, JSON or NDJSON.
func NewWriter(w io.Writer, format string) (*Writer, error) {
	switch format {
	case CSV:
		return &Writer{w: w, format: format, csv: csv.NewWriter(w)}, nil
	case JSON, NDJSON:
		return &Writer{w: w, format: format}, nil
	}
	return nil, fmt.Errorf("export format %q is not one of csv, json, ndjson", format)
}

// Write writes one row.
func (x *Writer) Write(r Row) error {
	defer func() { x.n++ }()
	switch x.format {
	case CSV:
		if x.n == 0 {
			if err := x.csv.Write(r.Header()); err != nil {
				return err
			}
		}
		return x.csv.Write(r.Record())
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	prefix := ""
	if x.format == JSON {
		prefix = ",\n  "
		if x.n == 0 {
			prefix = "[\n  "
		}
	}
	_, err = fmt.Fprintf(x.w, "%s%s%s", prefix, b, map[bool]string{true: "\n", false: ""}[x.format == NDJSON])
	return err
}

// Close ends the output (the JSON array's bracket, CSV's buffer).
func (x *Writer) Close() error {
	switch x.format {
	case CSV:
		x.csv.Flush()
		return x.csv.Error()
	case JSON:
		if x.n == 0 {
			_, err := io.WriteString(x.w, "[]\n")
			return err
		}
		_, err := io.WriteString(x.w, "\n]\n")
		return err
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ResultRow is one phase × query (query "(all)" for the phase) of a run:
// exact values from the merged histograms, latencies in microseconds.
type ResultRow struct {
	RunID     string  `json:"run_id"`
	Phase     string  `json:"phase"`
	Template  string  `json:"template,omitempty"`
	Query     string  `json:"query"`
	Kind      string  `json:"kind,omitempty"`
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	QPS       float64 `json:"qps"`
	ErrorRate float64 `json:"error_rate"`
	P50US     int64   `json:"p50_us"`
	P90US     int64   `json:"p90_us"`
	P95US     int64   `json:"p95_us"`
	P99US     int64   `json:"p99_us"`
	P999US    int64   `json:"p999_us"`
	MaxUS     int64   `json:"max_us"`
	MeanUS    float64 `json:"mean_us"`
}

// Header implements Row.
func (ResultRow) Header() []string {
	return []string{"run_id", "phase", "template", "query", "kind", "ops", "errors", "seconds", "qps", "error_rate",
		"p50_us", "p90_us", "p95_us", "p99_us", "p999_us", "max_us", "mean_us"}
}

// Record implements Row.
func (r ResultRow) Record() []string {
	return []string{r.RunID, r.Phase, r.Template, r.Query, r.Kind, itoa(r.Ops), itoa(r.Errors), ftoa(r.Seconds), ftoa(r.QPS),
		ftoa(r.ErrorRate), itoa(r.P50US), itoa(r.P90US), itoa(r.P95US), itoa(r.P99US), itoa(r.P999US), itoa(r.MaxUS), ftoa(r.MeanUS)}
}

func latencyRow(r *ResultRow, s histogram.Summary) {
	r.P50US, r.P90US, r.P95US, r.P99US, r.P999US, r.MaxUS, r.MeanUS = s.P50, s.P90, s.P95, s.P99, s.P999, s.Max, s.Mean
}

// Results returns a run's result rows: per phase, the whole phase, then
// each query.
func Results(runID string, phases []results.PhaseSummary) []ResultRow {
	var out []ResultRow
	for _, p := range phases {
		all := ResultRow{RunID: runID, Phase: p.Name, Query: "(all)", Ops: p.Counts.Total, Errors: p.Counts.Errors,
			Seconds: p.Seconds, QPS: p.QPS, ErrorRate: p.ErrorRate}
		latencyRow(&all, p.Latency)
		out = append(out, all)
		for _, q := range p.Queries {
			r := ResultRow{RunID: runID, Phase: p.Name, Template: q.Template, Query: q.Query, Kind: q.Kind, Ops: q.Ops,
				Errors: q.Errors, Seconds: p.Seconds, QPS: q.QPS, ErrorRate: q.ErrorRate}
			latencyRow(&r, q.Latency)
			out = append(out, r)
		}
	}
	return out
}

// IntervalRow is one interval of one phase and query scope ("(all)" or a
// query), merged exactly over the workers that reported it.
type IntervalRow struct {
	RunID    string    `json:"run_id"`
	Phase    string    `json:"phase"`
	Index    int64     `json:"interval"`
	Start    time.Time `json:"start"`
	LengthMS int64     `json:"length_ms"`
	Workers  int       `json:"workers"`
	Template string    `json:"template,omitempty"`
	Query    string    `json:"query"`
	Ops      int64     `json:"ops"`
	Errors   int64     `json:"errors"`
	QPS      float64   `json:"qps"`
	P50US    int64     `json:"p50_us"`
	P95US    int64     `json:"p95_us"`
	P99US    int64     `json:"p99_us"`
	P999US   int64     `json:"p999_us"`
	MaxUS    int64     `json:"max_us"`
	// DroppedTotal and Sessions are the phase's counters at the interval's
	// end (cumulative dropped arrivals, open sessions); "(all)" rows only.
	DroppedTotal int64 `json:"dropped_total"`
	Sessions     int64 `json:"sessions"`
}

// Header implements Row.
func (IntervalRow) Header() []string {
	return []string{"run_id", "phase", "interval", "start", "length_ms", "workers", "template", "query", "ops", "errors", "qps",
		"p50_us", "p95_us", "p99_us", "p999_us", "max_us", "dropped_total", "sessions"}
}

// Record implements Row.
func (r IntervalRow) Record() []string {
	return []string{r.RunID, r.Phase, itoa(r.Index), r.Start.UTC().Format(time.RFC3339Nano), itoa(r.LengthMS), strconv.Itoa(r.Workers),
		r.Template, r.Query, itoa(r.Ops), itoa(r.Errors), ftoa(r.QPS), itoa(r.P50US), itoa(r.P95US), itoa(r.P99US),
		itoa(r.P999US), itoa(r.MaxUS), itoa(r.DroppedTotal), itoa(r.Sessions)}
}

// Intervals returns the interval rows of a series: per interval the
// whole phase, then each query that ran in it, by template and name.
func Intervals(runID string, series []*results.Interval) []IntervalRow {
	var out []IntervalRow
	for _, iv := range series {
		base := IntervalRow{RunID: runID, Phase: iv.Phase, Index: iv.Index, Start: iv.Start, LengthMS: iv.Length.Milliseconds(), Workers: iv.Workers}
		row := func(tmpl, query string, keep func(histogram.Key) bool) IntervalRow {
			r := base
			r.Template, r.Query = tmpl, query
			h := iv.Latency(keep)
			r.Ops = h.TotalCount()
			r.Errors = iv.Latency(func(k histogram.Key) bool { return (keep == nil || keep(k)) && !k.Success }).TotalCount()
			r.QPS = iv.PerSecond(r.Ops)
			s := histogram.Summarize(h)
			r.P50US, r.P95US, r.P99US, r.P999US, r.MaxUS = s.P50, s.P95, s.P99, s.P999, s.Max
			return r
		}
		all := row("", "(all)", nil)
		all.DroppedTotal, all.Sessions = iv.Dropped, iv.Sessions
		out = append(out, all)
		for _, q := range queriesOf(iv) {
			out = append(out, row(q.Template, q.Query, func(k histogram.Key) bool { return k.Template == q.Template && k.Query == q.Query }))
		}
	}
	return out
}

func queriesOf(iv *results.Interval) []results.QueryKey {
	seen := map[results.QueryKey]bool{}
	var out []results.QueryKey
	for k := range iv.Hists {
		qk := results.QueryKey{Template: k.Template, Query: k.Query}
		if k.Metric == histogram.MetricLatency && k.Query != "" && !seen[qk] {
			seen[qk] = true
			out = append(out, qk)
		}
	}
	sortKeys(out)
	return out
}

func sortKeys(ks []results.QueryKey) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && (ks[j].Template < ks[j-1].Template || (ks[j].Template == ks[j-1].Template && ks[j].Query < ks[j-1].Query)); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// ExecutionRow is one stored QUERY_EXECUTIONS row. Weight is how many
// operations the row stands for (1/SAMPLE_RATE for a sampled measurement
// row, 1 for errors and warmup, which are always kept): sum the weights,
// not the rows, to count operations.
type ExecutionRow struct {
	ExecutionID   string    `json:"execution_id"`
	RunID         string    `json:"run_id"`
	WorkerID      string    `json:"worker_id"`
	Phase         string    `json:"phase"`
	Warmup        bool      `json:"warmup"`
	Query         string    `json:"query"`
	Kind          string    `json:"kind"`
	IntendedStart time.Time `json:"intended_start,omitzero"`
	ActualStart   time.Time `json:"actual_start"`
	LatencyUS     int64     `json:"latency_us"`
	ServiceUS     int64     `json:"service_us"`
	Success       bool      `json:"success"`
	ErrorCode     string    `json:"error_code,omitempty"`
	SQLState      string    `json:"sqlstate,omitempty"`
	TargetQueryID string    `json:"target_query_id,omitempty"`
	Weight        float64   `json:"weight"`
	SampleRate    float64   `json:"sample_rate"`
}

// Execution converts a stored row (sampleRate is the run's).
func Execution(e *store.QueryExecution, sampleRate float64) ExecutionRow {
	w := e.SampleWeight
	if w == 0 {
		w = 1
	}
	return ExecutionRow{ExecutionID: e.ExecutionID, RunID: e.RunID, WorkerID: e.WorkerID, Phase: e.Phase, Warmup: e.Warmup,
		Query: e.QueryName, Kind: e.QueryKind, IntendedStart: e.IntendedStart, ActualStart: e.ActualStart, LatencyUS: e.LatencyUS,
		ServiceUS: e.ServiceUS, Success: e.Success, ErrorCode: e.ErrorCode, SQLState: e.SQLState, TargetQueryID: e.TargetQueryID,
		Weight: w, SampleRate: sampleRate}
}

// Header implements Row.
func (ExecutionRow) Header() []string {
	return []string{"execution_id", "run_id", "worker_id", "phase", "warmup", "query", "kind", "intended_start", "actual_start",
		"latency_us", "service_us", "success", "error_code", "sqlstate", "target_query_id", "weight", "sample_rate"}
}

// Record implements Row.
func (r ExecutionRow) Record() []string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return []string{r.ExecutionID, r.RunID, r.WorkerID, r.Phase, strconv.FormatBool(r.Warmup), r.Query, r.Kind, ts(r.IntendedStart),
		ts(r.ActualStart), itoa(r.LatencyUS), itoa(r.ServiceUS), strconv.FormatBool(r.Success), r.ErrorCode, r.SQLState,
		r.TargetQueryID, ftoa(r.Weight), ftoa(r.SampleRate)}
}
