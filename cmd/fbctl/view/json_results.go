package view

// The JSON documents of `fbctl runs -json`, `fbctl templates -json` and
// `fbctl show -json RUN_ID`. Each is its own versioned shape, documented in
// docs/json-output.md and golden-tested (testdata/json): a field is never
// removed or renamed, and its meaning never changed, without incrementing
// the document's format_version; adding a field does not change it.
// Internal types (store rows) never reach the output directly.

import (
	"encoding/json"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// Format versions of the JSON documents.
const (
	RunsFormatVersion      = "1"
	TemplatesFormatVersion = "1"
	RunFormatVersion       = "1"
)

// jsonTime is the one timestamp form of every document: RFC 3339, UTC,
// whole seconds up to milliseconds ("2026-12-02T06:20:07.123Z").
func jsonTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

func jsonTimePtr(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := jsonTime(*t)
	return &s
}

// JSONRuns is `fbctl runs -json`.
type JSONRuns struct {
	FormatVersion string        `json:"format_version"`
	Runs          []JSONRunItem `json:"runs"`
}

// JSONRunItem is one run of the list, and one line of `fbctl runs`.
type JSONRunItem struct {
	RunID         string  `json:"run_id"`
	Scenario      string  `json:"scenario"`
	Status        string  `json:"status"`
	FailureReason string  `json:"failure_reason,omitempty"`
	CreatedAt     string  `json:"created_at"`
	Workers       int     `json:"workers"`
	SampleRate    float64 `json:"sample_rate"`
	Operations    int64   `json:"operations"`
	QPS           float64 `json:"qps"`
	P99US         int64   `json:"p99_us"`
	ErrorRate     float64 `json:"error_rate"`
	// Stale says why a run that is not over has no live orchestrator.
	Stale string `json:"stale,omitempty"`
}

// NewJSONRunItem is a run's line without its results (see WithResults).
func NewJSONRunItem(r store.Run) JSONRunItem {
	return JSONRunItem{RunID: r.ID, Scenario: r.ScenarioName, Status: string(r.Status), FailureReason: r.FailureReason,
		CreatedAt: jsonTime(r.CreatedAt), Workers: r.WorkersExpected, SampleRate: r.SampleRate}
}

// WithResults adds the run's parent result row.
func (it JSONRunItem) WithResults(parent store.TestResult) JSONRunItem {
	it.Operations, it.QPS, it.P99US, it.ErrorRate = parent.Total, parent.QPS, parent.P99US, parent.ErrorRate
	return it
}

// NewJSONRuns is the document of a list of runs (never a null list).
func NewJSONRuns(items []JSONRunItem) JSONRuns {
	if items == nil {
		items = []JSONRunItem{}
	}
	return JSONRuns{FormatVersion: RunsFormatVersion, Runs: items}
}

// JSONTemplates is `fbctl templates -json`.
type JSONTemplates struct {
	FormatVersion string         `json:"format_version"`
	Templates     []JSONTemplate `json:"templates"`
}

// JSONTemplate is one stored template with its CONFIG payload.
type JSONTemplate struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Version     int64             `json:"version"`
	Hash        string            `json:"hash"`
	CreatedAt   string            `json:"created_at"`
	CreatedBy   string            `json:"created_by"`
	UpdatedAt   string            `json:"updated_at"`
	UpdatedBy   string            `json:"updated_by"`
	Tags        map[string]string `json:"tags,omitempty"`
	UsageCount  int64             `json:"usage_count"`
	LastUsedAt  *string           `json:"last_used_at"`
	Config      json.RawMessage   `json:"config"`
}

// NewJSONTemplates is the document of the stored templates.
func NewJSONTemplates(rows []store.ConfigRow) JSONTemplates {
	doc := JSONTemplates{FormatVersion: TemplatesFormatVersion, Templates: []JSONTemplate{}}
	for _, r := range rows {
		cfg := r.Config
		if len(cfg) == 0 {
			cfg = json.RawMessage("null")
		}
		doc.Templates = append(doc.Templates, JSONTemplate{Name: r.Name, Description: r.Description, Version: r.Version,
			Hash: r.ConfigHash, CreatedAt: jsonTime(r.CreatedAt), CreatedBy: r.CreatedBy,
			UpdatedAt: jsonTime(r.UpdatedAt), UpdatedBy: r.UpdatedBy, Tags: r.Tags, UsageCount: r.UsageCount,
			LastUsedAt: jsonTimePtr(r.LastUsedAt), Config: cfg})
	}
	return doc
}

// JSONRun is `fbctl show -json RUN_ID`: a run, its merged results, its
// phases, workers and thresholds.
type JSONRun struct {
	FormatVersion string      `json:"format_version"`
	Run           JSONRunInfo `json:"run"`
	// Results are the merged (parent) row; null while the run has none.
	Results    *JSONResults       `json:"results"`
	Phases     []JSONPhase        `json:"phases"`
	Workers    []JSONWorkerResult `json:"workers"`
	Thresholds []JSONThreshold    `json:"thresholds"`
	FindMax    []JSONFindMax      `json:"find_max,omitempty"`
}

// JSONRunInfo is the run's RUN_STATUS row.
type JSONRunInfo struct {
	RunID            string  `json:"run_id"`
	Scenario         string  `json:"scenario"`
	Status           string  `json:"status"`
	FailureReason    string  `json:"failure_reason,omitempty"`
	CreatedAt        string  `json:"created_at"`
	StartTime        *string `json:"start_time"`
	EndTime          *string `json:"end_time"`
	WarmupStart      *string `json:"warmup_start"`
	WarmupEnd        *string `json:"warmup_end"`
	MeasurementStart *string `json:"measurement_start"`
	MeasurementEnd   *string `json:"measurement_end"`
	WorkersExpected  int     `json:"workers_expected"`
	Seed             int64   `json:"seed"`
	SampleRate       float64 `json:"sample_rate"`
	// LeaderEpoch counts the orchestrators that drove the run (2 after a
	// standby took it over).
	LeaderEpoch int64 `json:"leader_epoch"`
}

// JSONResults are a result row's counts and latency; latencies in
// microseconds.
type JSONResults struct {
	Counts     results.Counts `json:"counts"`
	QPS        float64        `json:"qps"`
	ErrorRate  float64        `json:"error_rate"`
	Latency    JSONLatency    `json:"latency"`
	SampleRate float64        `json:"sample_rate"`
	OpsIssued  int64          `json:"ops_issued"`
	RowsStored int64          `json:"rows_stored"`
}

// JSONLatency are percentiles in microseconds.
type JSONLatency struct {
	P50US  int64 `json:"p50_us"`
	P90US  int64 `json:"p90_us"`
	P95US  int64 `json:"p95_us"`
	P99US  int64 `json:"p99_us"`
	P999US int64 `json:"p999_us"`
	MaxUS  int64 `json:"max_us"`
	MeanUS int64 `json:"mean_us"`
}

// JSONWorkerResult is one worker's (child) result row.
type JSONWorkerResult struct {
	WorkerID      string      `json:"worker_id"`
	WorkerGroupID *int        `json:"worker_group_id"`
	Status        string      `json:"status"`
	FailureReason string      `json:"failure_reason,omitempty"`
	Results       JSONResults `json:"results"`
}

// JSONThreshold is one threshold (or template SLO) and its verdict.
type JSONThreshold struct {
	Name     string     `json:"name"`
	Source   string     `json:"source"` // "scenario" or "slo"
	Template string     `json:"template,omitempty"`
	Metric   dsl.Metric `json:"metric"`
	Query    string     `json:"query,omitempty"`
	Phase    string     `json:"phase,omitempty"`
	Op       string     `json:"op"` // "below" or "above"
	Limit    float64    `json:"limit"`
	Actual   float64    `json:"actual"`
	Passed   bool       `json:"passed"`
	Note     string     `json:"note,omitempty"`
}

// JSONFindMax is a find-max phase's outcome.
type JSONFindMax struct {
	Phase           string              `json:"phase"`
	BestConcurrency int                 `json:"best_concurrency"`
	BestQPS         float64             `json:"best_qps"`
	Workers         []JSONFindMaxWorker `json:"workers"`
}

// JSONPhase is one phase's (or the warmup's) merged result.
type JSONPhase struct {
	Name          string                 `json:"name"`
	Model         load.Model             `json:"model"`
	Workers       int                    `json:"workers"`
	Started       string                 `json:"started"`
	Ended         string                 `json:"ended"`
	Drained       string                 `json:"drained"`
	Seconds       float64                `json:"seconds"`
	Counts        results.Counts         `json:"counts"`
	QPS           float64                `json:"qps"`
	ErrorRate     float64                `json:"error_rate"`
	Latency       histogram.Summary      `json:"latency"`
	Queries       []results.QuerySummary `json:"queries"`
	Errors        []JSONErrorGroup       `json:"errors"`
	Abandoned     int                    `json:"abandoned"`
	PeakSessions  int                    `json:"peak_sessions"`
	SessionErrors int64                  `json:"session_errors"`
	Clocks        []results.WorkerClock  `json:"clocks"`
	FindMax       []JSONFindMaxWorker    `json:"find_max,omitempty"`
	ServerStats   *pgstats.Report        `json:"server_stats,omitempty"`
	Warehouse     *warehouse.Summary     `json:"warehouse,omitempty"`
}

// JSONErrorGroup is the errors of one code (and SQLSTATE) with up to
// three sample messages.
type JSONErrorGroup struct {
	Code     string   `json:"code"`
	SQLState string   `json:"sqlstate,omitempty"`
	Count    int64    `json:"count"`
	Messages []string `json:"messages"`
}

// JSONFindMaxWorker is one worker's find-max search.
type JSONFindMaxWorker struct {
	BestConcurrency int               `json:"best_concurrency"`
	BestQPS         float64           `json:"best_qps"`
	Reason          string            `json:"reason"`
	Verified        bool              `json:"verified"`
	Steps           []JSONFindMaxStep `json:"steps"`
}

// JSONFindMaxStep is one concurrency level a find-max search measured.
type JSONFindMaxStep struct {
	Concurrency int     `json:"concurrency"`
	Started     string  `json:"started"`
	Ended       string  `json:"ended"`
	Ops         int64   `json:"ops"`
	Errors      int64   `json:"errors"`
	QPS         float64 `json:"qps"`
	P95US       int64   `json:"p95_us"`
	ErrorRate   float64 `json:"error_rate"`
	P95Increase float64 `json:"p95_increase"`
	Verify      bool    `json:"verify"`
	Stable      bool    `json:"stable"`
	Reason      string  `json:"reason,omitempty"`
}

func newJSONFindMaxWorkers(ws []executor.FindMaxResult) []JSONFindMaxWorker {
	out := []JSONFindMaxWorker{}
	for _, w := range ws {
		jw := JSONFindMaxWorker{BestConcurrency: w.BestConcurrency, BestQPS: w.BestQPS, Reason: w.Reason,
			Verified: w.Verified, Steps: []JSONFindMaxStep{}}
		for _, st := range w.Steps {
			jw.Steps = append(jw.Steps, JSONFindMaxStep{Concurrency: st.Concurrency, Started: jsonTime(st.Started),
				Ended: jsonTime(st.Ended), Ops: st.Ops, Errors: st.Errors, QPS: st.QPS, P95US: st.P95US,
				ErrorRate: st.ErrorRate, P95Increase: st.P95Increase, Verify: st.Verify, Stable: st.Stable, Reason: st.Reason})
		}
		out = append(out, jw)
	}
	return out
}

func newJSONPhase(ph results.PhaseSummary) JSONPhase {
	jp := JSONPhase{Name: ph.Name, Model: ph.Model, Workers: ph.Workers, Started: jsonTime(ph.Started),
		Ended: jsonTime(ph.Ended), Drained: jsonTime(ph.Drained), Seconds: ph.Seconds, Counts: ph.Counts,
		QPS: ph.QPS, ErrorRate: ph.ErrorRate, Latency: ph.Latency, Queries: ph.Queries, Errors: []JSONErrorGroup{},
		Abandoned: ph.Abandoned, PeakSessions: ph.PeakSessions, SessionErrors: ph.SessionErrors, Clocks: ph.Clocks,
		ServerStats: ph.ServerStats, Warehouse: ph.Warehouse}
	if jp.Queries == nil {
		jp.Queries = []results.QuerySummary{}
	}
	if jp.Clocks == nil {
		jp.Clocks = []results.WorkerClock{}
	}
	for _, e := range ph.Errors {
		msgs := e.Messages
		if msgs == nil {
			msgs = []string{}
		}
		jp.Errors = append(jp.Errors, JSONErrorGroup{Code: e.Code, SQLState: e.SQLState, Count: e.Count, Messages: msgs})
	}
	if len(ph.FindMax) > 0 {
		jp.FindMax = newJSONFindMaxWorkers(ph.FindMax)
	}
	return jp
}

func newJSONResults(r store.TestResult) JSONResults {
	return JSONResults{
		Counts: results.Counts{Total: r.Total, OK: r.OK, Errors: r.Errors, Reads: r.Reads, Writes: r.Writes, Dropped: r.Dropped},
		QPS:    r.QPS, ErrorRate: r.ErrorRate,
		Latency: JSONLatency{P50US: r.P50US, P90US: r.P90US, P95US: r.P95US, P99US: r.P99US, P999US: r.P999US,
			MaxUS: r.MaxUS, MeanUS: r.MeanUS},
		SampleRate: r.SampleRate, OpsIssued: r.OpsIssued, RowsStored: r.RowsStored,
	}
}

// NewJSONRun is the document of one run's report.
func NewJSONRun(rep RunReport) JSONRun {
	r := rep.Run
	doc := JSONRun{FormatVersion: RunFormatVersion,
		Run: JSONRunInfo{RunID: r.ID, Scenario: r.ScenarioName, Status: string(r.Status), FailureReason: r.FailureReason,
			CreatedAt: jsonTime(r.CreatedAt), StartTime: jsonTimePtr(r.StartTime), EndTime: jsonTimePtr(r.EndTime),
			WarmupStart: jsonTimePtr(r.WarmupStart), WarmupEnd: jsonTimePtr(r.WarmupEnd),
			MeasurementStart: jsonTimePtr(r.MeasurementStart), MeasurementEnd: jsonTimePtr(r.MeasurementEnd),
			WorkersExpected: r.WorkersExpected, Seed: r.Seed, SampleRate: r.SampleRate, LeaderEpoch: r.LeaderEpoch},
		Phases: []JSONPhase{}, Workers: []JSONWorkerResult{}, Thresholds: []JSONThreshold{}}
	for _, ph := range rep.Phases {
		doc.Phases = append(doc.Phases, newJSONPhase(ph))
	}
	if rep.Parent.TestID != "" {
		res := newJSONResults(rep.Parent)
		doc.Results = &res
	}
	for _, c := range rep.Children {
		doc.Workers = append(doc.Workers, JSONWorkerResult{WorkerID: c.WorkerID, WorkerGroupID: c.WorkerGroupID,
			Status: c.Status, FailureReason: c.FailureReason, Results: newJSONResults(c)})
	}
	for _, t := range rep.Thresholds {
		doc.Thresholds = append(doc.Thresholds, JSONThreshold{Name: t.Name, Source: t.Source, Template: t.Template,
			Metric: t.Metric, Query: t.Query, Phase: t.Phase, Op: t.Op, Limit: t.Limit, Actual: t.Actual,
			Passed: t.Passed, Note: t.Note})
	}
	for _, f := range rep.FindMax {
		doc.FindMax = append(doc.FindMax, JSONFindMax{Phase: f.Phase, BestConcurrency: f.BestConcurrency,
			BestQPS: f.BestQPS, Workers: newJSONFindMaxWorkers(f.Workers)})
	}
	return doc
}
