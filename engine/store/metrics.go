package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// MetricsSnapshot is a row of WORKER_METRICS_SNAPSHOTS: one worker's
// view of one interval of one running phase. Interval IntervalIndex
// covers [IntervalStart, IntervalStart + IntervalMS) on the control plane's
// clock, counted from the phase's common start, so every worker's
// intervals line up; Histograms holds its encoded HDR histograms (see
// engine/results). Counters are cumulative within the phase; QPS and the
// percentiles are the worker's over the interval.
type MetricsSnapshot struct {
	RunID             string
	TestID            string
	WorkerID          string
	WorkerGroupID     int
	TS                time.Time
	ElapsedMS         int64
	Phase             string
	PhaseKind         PhaseKind
	Operations        int64
	Errors            int64
	Dropped           int64
	QPS               float64
	P50US             int64
	P95US             int64
	P99US             int64
	ActiveConnections int64
	Extra             json.RawMessage
	IntervalIndex     int64
	IntervalStart     time.Time
	IntervalMS        int64
	Histograms        json.RawMessage
}

var colsSnapshot = []dialect.Column{
	{Name: "RUN_ID"}, {Name: "TEST_ID"}, {Name: "WORKER_ID"}, {Name: "WORKER_GROUP_ID"}, {Name: "TS"}, {Name: "ELAPSED_MS"},
	{Name: "PHASE"}, {Name: "PHASE_KIND"}, {Name: "OPERATIONS"}, {Name: "ERRORS"}, {Name: "DROPPED"}, {Name: "QPS"},
	{Name: "P50_US"}, {Name: "P95_US"}, {Name: "P99_US"}, {Name: "ACTIVE_CONNECTIONS"}, dialect.JSONCol("EXTRA"),
	{Name: "INTERVAL_INDEX"}, {Name: "INTERVAL_START"}, {Name: "INTERVAL_MS"}, dialect.JSONCol("HISTOGRAMS"),
}

// WriteMetricsSnapshots inserts the batch in one transaction.
func (s *Store) WriteMetricsSnapshots(ctx context.Context, batch []MetricsSnapshot) error {
	if len(batch) == 0 {
		return nil
	}
	return s.insertRows(ctx, "WORKER_METRICS_SNAPSHOTS", colsSnapshot, len(batch), func(dst []any, i int) []any {
		m := &batch[i]
		return append(dst, m.RunID, m.TestID, m.WorkerID, int64(m.WorkerGroupID), s.d.Time(m.TS), m.ElapsedMS, m.Phase,
			nullString(string(m.PhaseKind)), m.Operations, m.Errors, m.Dropped, s.d.Float(m.QPS), m.P50US, m.P95US, m.P99US,
			m.ActiveConnections, s.d.JSON(m.Extra), m.IntervalIndex, s.d.Time(m.IntervalStart), m.IntervalMS, s.d.JSON(m.Histograms))
	})
}

// ListMetricsSnapshots returns the run's snapshots ordered by worker and time.
func (s *Store) ListMetricsSnapshots(ctx context.Context, runID string) ([]MetricsSnapshot, error) {
	return s.listSnapshots(ctx, "WHERE RUN_ID = ? ORDER BY WORKER_GROUP_ID, TS", runID)
}

// MetricsSnapshotsAfter returns the snapshots of one phase of a run whose
// interval index is above after, ordered by interval and worker: what a
// live view has not read yet.
func (s *Store) MetricsSnapshotsAfter(ctx context.Context, runID, phase string, after int64) ([]MetricsSnapshot, error) {
	return s.listSnapshots(ctx, "WHERE RUN_ID = ? AND PHASE = ? AND INTERVAL_INDEX > ? ORDER BY INTERVAL_INDEX, WORKER_GROUP_ID",
		runID, phase, after)
}

func (s *Store) listSnapshots(ctx context.Context, where string, args ...any) ([]MetricsSnapshot, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsSnapshot)+" FROM WORKER_METRICS_SNAPSHOTS "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("metrics snapshots of run %s: %w", args[0], err)
	}
	defer rows.Close()
	var out []MetricsSnapshot
	for rows.Next() {
		var (
			m          MetricsSnapshot
			ts, istart dialect.Time
			kind       *string
			qps        dialect.Float
			p50, p95   *int64
			p99        *int64
			extra      dialect.JSON
			hists      dialect.JSON
		)
		if err := rows.Scan(&m.RunID, &m.TestID, &m.WorkerID, &m.WorkerGroupID, &ts, &m.ElapsedMS, &m.Phase, &kind,
			&m.Operations, &m.Errors, &m.Dropped, &qps, &p50, &p95, &p99, &m.ActiveConnections, &extra,
			&m.IntervalIndex, &istart, &m.IntervalMS, &hists); err != nil {
			return nil, fmt.Errorf("metrics snapshots of run %s: %w", args[0], err)
		}
		m.TS, m.QPS, m.Extra, m.IntervalStart, m.Histograms = ts.Time, qps.Float, extra.Raw, istart.Time, hists.Raw
		for _, c := range []struct {
			dst *int64
			src *int64
		}{{&m.P50US, p50}, {&m.P95US, p95}, {&m.P99US, p99}} {
			if c.src != nil {
				*c.dst = *c.src
			}
		}
		if kind != nil {
			m.PhaseKind = PhaseKind(*kind)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
