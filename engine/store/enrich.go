package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// ExecutionRef is a stored execution as enrichment sees it: which row, the
// target's query id ("" when none was captured) and when it started.
type ExecutionRef struct {
	ExecutionID   string
	TargetQueryID string
	Enriched      bool // TOTAL_ELAPSED_US is already set
	QueryName     string
	Phase         string
	ActualStart   time.Time
}

// ListExecutionRefs returns every QUERY_EXECUTIONS row of the run with its
// target query id, in no particular order.
func (s *Store) ListExecutionRefs(ctx context.Context, runID string) ([]ExecutionRef, error) {
	rows, err := s.query(ctx, s.db, "SELECT EXECUTION_ID, TARGET_QUERY_ID, TOTAL_ELAPSED_US, QUERY_NAME, PHASE, ACTUAL_START FROM QUERY_EXECUTIONS WHERE RUN_ID = ?", runID)
	if err != nil {
		return nil, fmt.Errorf("list executions of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []ExecutionRef
	for rows.Next() {
		var (
			r       ExecutionRef
			qid     sql.NullString
			elapsed sql.NullInt64
			start   dialect.Time
		)
		if err := rows.Scan(&r.ExecutionID, &qid, &elapsed, &r.QueryName, &r.Phase, &start); err != nil {
			return nil, fmt.Errorf("list executions of run %s: %w", runID, err)
		}
		r.TargetQueryID, r.Enriched, r.ActualStart = qid.String, elapsed.Valid, start.Time
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list executions of run %s: %w", runID, err)
	}
	return out, nil
}

// ServerTiming is what a target's query history says about one query:
// integer microseconds and counts; an invalid field is left NULL.
type ServerTiming struct {
	TargetQueryID  string
	CompileUS      sql.NullInt64
	QueuedUS       sql.NullInt64
	ExecutionUS    sql.NullInt64
	TotalElapsedUS sql.NullInt64
	BytesScanned   sql.NullInt64
	RowsProduced   sql.NullInt64
}

var colsTiming = dialect.Cols("COMPILE_US", "QUEUED_US", "EXECUTION_US", "TOTAL_ELAPSED_US", "BYTES_SCANNED", "ROWS_PRODUCED")

// UpdateServerTimings writes the enrichment columns of the run's rows whose
// TARGET_QUERY_ID matches, all in one transaction, and returns how many rows
// it changed. Rerunning it with the same timings changes nothing else.
func (s *Store) UpdateServerTimings(ctx context.Context, runID string, timings []ServerTiming) (int64, error) {
	if len(timings) == 0 {
		return 0, nil
	}
	q := "UPDATE QUERY_EXECUTIONS SET "
	for i, c := range colsTiming {
		if i > 0 {
			q += ", "
		}
		q += c.Name + " = ?"
	}
	q = s.d.Rebind(q + " WHERE RUN_ID = ? AND TARGET_QUERY_ID = ?")
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, t := range timings {
			res, err := st.ExecContext(ctx, nullInt(t.CompileUS), nullInt(t.QueuedUS), nullInt(t.ExecutionUS),
				nullInt(t.TotalElapsedUS), nullInt(t.BytesScanned), nullInt(t.RowsProduced), runID, t.TargetQueryID)
			if err != nil {
				return fmt.Errorf("query %s: %w", t.TargetQueryID, err)
			}
			if k, err := res.RowsAffected(); err == nil {
				n += k
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("update server timings of run %s: %w", runID, err)
	}
	return n, nil
}
