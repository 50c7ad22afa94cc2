package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// TestResult is a row of TEST_RESULTS: the run's merged result (parent row,
// TestID == RunID, no worker) or one worker's result (child row).
// Latencies are integer microseconds over the measurement window only.
type TestResult struct {
	TestID           string
	RunID            string
	WorkerID         string // "" for the parent row
	WorkerGroupID    *int   // nil for the parent row
	ScenarioName     string
	TemplateID       string
	TemplateName     string
	Status           string
	FailureReason    string
	StartTime        *time.Time
	EndTime          *time.Time
	MeasurementStart *time.Time
	MeasurementEnd   *time.Time

	Total, OK, Errors, Reads, Writes, Dropped int64
	QPS                                       float64 // measurement operations ÷ measurement seconds
	P50US, P90US, P95US, P99US, P999US        int64
	MaxUS, MeanUS                             int64
	ErrorRate                                 float64
	SampleRate                                float64 // 0 means 1
	OpsIssued                                 int64
	RowsStored                                int64

	QueryResults     json.RawMessage // per query (and read/write) statistics
	PhaseResults     json.RawMessage // per phase statistics
	ErrorsJSON       json.RawMessage // errors grouped by code/SQLSTATE with sample messages
	Histograms       json.RawMessage // encoded HDR histograms
	ScenarioSnapshot json.RawMessage

	CreatedAt time.Time // set by the store on first write
	UpdatedAt time.Time // set by the store on every write
}

// IsParent reports whether r is the run-level row.
func (r TestResult) IsParent() bool { return r.TestID == r.RunID }

var colsResult = []dialect.Column{
	{Name: "TEST_ID"}, {Name: "RUN_ID"}, {Name: "WORKER_ID"}, {Name: "WORKER_GROUP_ID"}, {Name: "SCENARIO_NAME"},
	{Name: "TEMPLATE_ID"}, {Name: "TEMPLATE_NAME"}, {Name: "STATUS"}, {Name: "FAILURE_REASON"}, {Name: "START_TIME"},
	{Name: "END_TIME"}, {Name: "MEASUREMENT_START_TIME"}, {Name: "MEASUREMENT_END_TIME"}, {Name: "TOTAL_OPERATIONS"},
	{Name: "OK_OPERATIONS"}, {Name: "ERROR_OPERATIONS"}, {Name: "READ_OPERATIONS"}, {Name: "WRITE_OPERATIONS"},
	{Name: "DROPPED_OPERATIONS"}, {Name: "QPS"}, {Name: "P50_US"}, {Name: "P90_US"}, {Name: "P95_US"}, {Name: "P99_US"},
	{Name: "P999_US"}, {Name: "MAX_US"}, {Name: "MEAN_US"}, {Name: "ERROR_RATE"}, {Name: "SAMPLE_RATE"},
	{Name: "OPS_ISSUED"}, {Name: "ROWS_STORED"}, dialect.JSONCol("QUERY_RESULTS"), dialect.JSONCol("PHASE_RESULTS"),
	dialect.JSONCol("ERRORS"), dialect.JSONCol("HISTOGRAMS"), dialect.JSONCol("SCENARIO_SNAPSHOT"),
	{Name: "CREATED_AT", InsertOnly: true}, {Name: "UPDATED_AT"},
}

func (s *Store) timePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.d.Time(*t)
}

// WriteTestResult inserts or replaces the result row with r.TestID. A parent
// row (TestID == RunID) must have no worker; a child row must have one.
func (s *Store) WriteTestResult(ctx context.Context, r TestResult) error {
	switch {
	case r.TestID == "" || r.RunID == "":
		return errors.New("write test result: TestID and RunID are required")
	case r.IsParent() && (r.WorkerID != "" || r.WorkerGroupID != nil):
		return fmt.Errorf("write test result %s: the parent row (TEST_ID = RUN_ID) has no worker", r.TestID)
	case !r.IsParent() && (r.WorkerID == "" || r.WorkerGroupID == nil):
		return fmt.Errorf("write test result %s: a worker row needs WorkerID and WorkerGroupID", r.TestID)
	}
	if r.SampleRate == 0 {
		r.SampleRate = 1
	}
	var group any
	if r.WorkerGroupID != nil {
		group = int64(*r.WorkerGroupID)
	}
	now := s.d.Time(s.nowUTC())
	_, err := s.exec(ctx, s.db, s.d.Upsert("TEST_RESULTS", colsResult, []string{"TEST_ID"}),
		r.TestID, r.RunID, nullString(r.WorkerID), group, r.ScenarioName, nullString(r.TemplateID), nullString(r.TemplateName),
		r.Status, nullString(truncate(r.FailureReason, maxMessage)), s.timePtr(r.StartTime), s.timePtr(r.EndTime),
		s.timePtr(r.MeasurementStart), s.timePtr(r.MeasurementEnd), r.Total, r.OK, r.Errors, r.Reads, r.Writes, r.Dropped,
		s.d.Float(r.QPS), r.P50US, r.P90US, r.P95US, r.P99US, r.P999US, r.MaxUS, r.MeanUS, s.d.Float(r.ErrorRate),
		s.d.Float(r.SampleRate), r.OpsIssued, r.RowsStored, s.d.JSON(r.QueryResults), s.d.JSON(r.PhaseResults),
		s.d.JSON(r.ErrorsJSON), s.d.JSON(r.Histograms), s.d.JSON(r.ScenarioSnapshot), now, now)
	if err != nil {
		return fmt.Errorf("write test result %s: %w", r.TestID, err)
	}
	return nil
}

const selectResult = `SELECT TEST_ID, RUN_ID, WORKER_ID, WORKER_GROUP_ID, SCENARIO_NAME, TEMPLATE_ID, TEMPLATE_NAME, STATUS,
FAILURE_REASON, START_TIME, END_TIME, MEASUREMENT_START_TIME, MEASUREMENT_END_TIME, TOTAL_OPERATIONS, OK_OPERATIONS,
ERROR_OPERATIONS, READ_OPERATIONS, WRITE_OPERATIONS, DROPPED_OPERATIONS, QPS, P50_US, P90_US, P95_US, P99_US, P999_US,
MAX_US, MEAN_US, ERROR_RATE, SAMPLE_RATE, OPS_ISSUED, ROWS_STORED, QUERY_RESULTS, PHASE_RESULTS, ERRORS, HISTOGRAMS,
SCENARIO_SNAPSHOT, CREATED_AT, UPDATED_AT FROM TEST_RESULTS`

func scanResult(sc interface{ Scan(...any) error }) (TestResult, error) {
	var (
		r                                  TestResult
		worker, tid, tname, reason         sql.NullString
		group                              sql.NullInt64
		start, end, ms, me, created, upd   dialect.Time
		qps, erate, srate                  dialect.Float
		p50, p90, p95, p99, p999, max, avg sql.NullInt64
		qr, pr, er, hi, sn                 dialect.JSON
	)
	err := sc.Scan(&r.TestID, &r.RunID, &worker, &group, &r.ScenarioName, &tid, &tname, &r.Status, &reason, &start, &end,
		&ms, &me, &r.Total, &r.OK, &r.Errors, &r.Reads, &r.Writes, &r.Dropped, &qps, &p50, &p90, &p95, &p99, &p999, &max,
		&avg, &erate, &srate, &r.OpsIssued, &r.RowsStored, &qr, &pr, &er, &hi, &sn, &created, &upd)
	if err != nil {
		return r, err
	}
	r.WorkerID, r.TemplateID, r.TemplateName, r.FailureReason = worker.String, tid.String, tname.String, reason.String
	if group.Valid {
		g := int(group.Int64)
		r.WorkerGroupID = &g
	}
	r.StartTime, r.EndTime, r.MeasurementStart, r.MeasurementEnd = start.Ptr(), end.Ptr(), ms.Ptr(), me.Ptr()
	r.QPS, r.ErrorRate, r.SampleRate = qps.Float, erate.Float, srate.Float
	r.P50US, r.P90US, r.P95US, r.P99US, r.P999US = p50.Int64, p90.Int64, p95.Int64, p99.Int64, p999.Int64
	r.MaxUS, r.MeanUS = max.Int64, avg.Int64
	r.QueryResults, r.PhaseResults, r.ErrorsJSON, r.Histograms, r.ScenarioSnapshot = qr.Raw, pr.Raw, er.Raw, hi.Raw, sn.Raw
	r.CreatedAt, r.UpdatedAt = created.Time, upd.Time
	return r, nil
}

// GetTestResult returns one result row, or ErrNotFound.
func (s *Store) GetTestResult(ctx context.Context, testID string) (TestResult, error) {
	r, err := scanResult(s.queryRow(ctx, s.db, selectResult+" WHERE TEST_ID = ?", testID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("test result %s: %w", testID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("get test result %s: %w", testID, err)
	}
	return r, nil
}

// ListResults returns the run's rows: the parent first, then the workers by
// WORKER_GROUP_ID.
func (s *Store) ListResults(ctx context.Context, runID string) ([]TestResult, error) {
	rows, err := s.query(ctx, s.db, selectResult+` WHERE RUN_ID = ?
ORDER BY CASE WHEN TEST_ID = RUN_ID THEN 0 ELSE 1 END, WORKER_GROUP_ID, TEST_ID`, runID)
	if err != nil {
		return nil, fmt.Errorf("results of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []TestResult
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, fmt.Errorf("results of run %s: %w", runID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
