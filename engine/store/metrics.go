package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// MetricsSnapshot is a row of WORKER_METRICS_SNAPSHOTS: one worker's
// per-second view while the run goes. Counters are cumulative within the
// phase; QPS is over the last interval.
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
}

var colsSnapshot = []dialect.Column{
	{Name: "RUN_ID"}, {Name: "TEST_ID"}, {Name: "WORKER_ID"}, {Name: "WORKER_GROUP_ID"}, {Name: "TS"}, {Name: "ELAPSED_MS"},
	{Name: "PHASE"}, {Name: "PHASE_KIND"}, {Name: "OPERATIONS"}, {Name: "ERRORS"}, {Name: "DROPPED"}, {Name: "QPS"},
	{Name: "P50_US"}, {Name: "P95_US"}, {Name: "P99_US"}, {Name: "ACTIVE_CONNECTIONS"}, dialect.JSONCol("EXTRA"),
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
			m.ActiveConnections, s.d.JSON(m.Extra))
	})
}

// ListMetricsSnapshots returns the run's snapshots ordered by worker and time.
func (s *Store) ListMetricsSnapshots(ctx context.Context, runID string) ([]MetricsSnapshot, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsSnapshot)+" FROM WORKER_METRICS_SNAPSHOTS WHERE RUN_ID = ? ORDER BY WORKER_GROUP_ID, TS", runID)
	if err != nil {
		return nil, fmt.Errorf("metrics snapshots of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []MetricsSnapshot
	for rows.Next() {
		var (
			m     MetricsSnapshot
			ts    dialect.Time
			kind  *string
			qps   dialect.Float
			extra dialect.JSON
		)
		if err := rows.Scan(&m.RunID, &m.TestID, &m.WorkerID, &m.WorkerGroupID, &ts, &m.ElapsedMS, &m.Phase, &kind,
			&m.Operations, &m.Errors, &m.Dropped, &qps, &m.P50US, &m.P95US, &m.P99US, &m.ActiveConnections, &extra); err != nil {
			return nil, fmt.Errorf("metrics snapshots of run %s: %w", runID, err)
		}
		m.TS, m.QPS, m.Extra = ts.Time, qps.Float, extra.Raw
		if kind != nil {
			m.PhaseKind = PhaseKind(*kind)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
