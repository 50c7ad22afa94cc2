package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// MaxErrorMessage bounds QUERY_EXECUTIONS.ERROR_MESSAGE (bytes, cut on a
// rune boundary).
const MaxErrorMessage = 500

// QueryExecution is a row of QUERY_EXECUTIONS: one stored operation.
// Timings are integer microseconds. Nullable numbers use sql.NullInt64 so a
// record carries no pointers.
type QueryExecution struct {
	ExecutionID   string // unique; deterministic from run, worker and sequence
	RunID         string
	TestID        string // the worker's child TEST_ID
	WorkerID      string
	WorkerGroupID int
	Phase         string
	Warmup        bool
	QueryName     string
	QueryKind     string
	IntendedStart time.Time // open model; zero: NULL
	ActualStart   time.Time
	LatencyUS     int64 // from the intended start (open) or the send (closed)
	ServiceUS     int64 // from the actual send
	Success       bool
	ErrorCode     string
	SQLState      string
	ErrorMessage  string // truncated to MaxErrorMessage
	RowsAffected  sql.NullInt64
	TargetQueryID string  // the target's own query id (Snowflake)
	SampleWeight  float64 // 1/SAMPLE_RATE for sampled rows, 1 otherwise; 0 means 1

	// Enrichment from the target's query history, filled after the run.
	CompileUS      sql.NullInt64
	QueuedUS       sql.NullInt64
	ExecutionUS    sql.NullInt64
	TotalElapsedUS sql.NullInt64
	BytesScanned   sql.NullInt64
	RowsProduced   sql.NullInt64
}

var colsExecution = dialect.Cols("EXECUTION_ID", "RUN_ID", "TEST_ID", "WORKER_ID", "WORKER_GROUP_ID", "PHASE", "WARMUP",
	"QUERY_NAME", "QUERY_KIND", "INTENDED_START", "ACTUAL_START", "LATENCY_US", "SERVICE_US", "SUCCESS", "ERROR_CODE",
	"SQLSTATE", "ERROR_MESSAGE", "ROWS_AFFECTED", "TARGET_QUERY_ID", "SAMPLE_WEIGHT", "COMPILE_US", "QUEUED_US",
	"EXECUTION_US", "TOTAL_ELAPSED_US", "BYTES_SCANNED", "ROWS_PRODUCED")

// maxRowsPerInsert caps multi-row INSERT statements; measured to be near the
// sweet spot on SQLite.
const maxRowsPerInsert = 500

func nullInt(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}

func (s *Store) appendExecutionArgs(dst []any, e *QueryExecution) []any {
	w := e.SampleWeight
	if w == 0 {
		w = 1
	}
	return append(dst, e.ExecutionID, e.RunID, e.TestID, e.WorkerID, int64(e.WorkerGroupID), e.Phase, s.d.Bool(e.Warmup),
		e.QueryName, e.QueryKind, s.d.Time(e.IntendedStart), s.d.Time(e.ActualStart), e.LatencyUS, e.ServiceUS,
		s.d.Bool(e.Success), nullString(e.ErrorCode), nullString(e.SQLState),
		nullString(truncate(e.ErrorMessage, MaxErrorMessage)), nullInt(e.RowsAffected), nullString(e.TargetQueryID),
		s.d.Float(w), nullInt(e.CompileUS), nullInt(e.QueuedUS), nullInt(e.ExecutionUS), nullInt(e.TotalElapsedUS),
		nullInt(e.BytesScanned), nullInt(e.RowsProduced))
}

// InsertQueryExecutions writes the batch all-or-nothing: COPY on Postgres (the
// BulkWriter of the Postgres Backend in Options.Backends),
// multi-row INSERTs in one transaction on SQLite and Snowflake (chunked under
// the bind-variable limit). A failed batch leaves nothing behind, so the
// caller may retry it as a whole. Writing a batch again is harmless on SQLite
// and Postgres: rows whose EXECUTION_ID is already stored are skipped (a
// retry after a write that committed but whose answer was lost). Snowflake
// does not enforce the primary key of this standard table, so there a
// repeated batch is stored twice; EXECUTION_ID tells the copies apart.
func (s *Store) InsertQueryExecutions(ctx context.Context, batch []QueryExecution) error {
	if len(batch) == 0 {
		return nil
	}
	for i := range batch {
		if batch[i].ExecutionID == "" || batch[i].ActualStart.IsZero() {
			return fmt.Errorf("insert query executions: row %d needs ExecutionID and ActualStart", i)
		}
	}
	if s.bulk != nil {
		err := s.copyExecutions(ctx, batch)
		var state interface{ SQLState() string }
		if !errors.Is(err, errors.ErrUnsupported) && !(errors.As(err, &state) && state.SQLState() == "23505") {
			return err
		}
		// COPY cannot skip rows already stored: write this batch again as
		// INSERT ... ON CONFLICT DO NOTHING.
	}
	return s.insertRowsSkipping(ctx, "QUERY_EXECUTIONS", colsExecution, "EXECUTION_ID", len(batch), func(dst []any, i int) []any {
		return s.appendExecutionArgs(dst, &batch[i])
	})
}

// copyExecutions writes the batch through the backend's bulk protocol
// (COPY on Postgres) on one connection of the pool.
func (s *Store) copyExecutions(ctx context.Context, batch []QueryExecution) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("insert query executions: %w", err)
	}
	defer conn.Close()
	cols := make([]string, len(colsExecution))
	for i, c := range colsExecution {
		cols[i] = s.d.FoldIdent(c.Name)
	}
	err = s.bulk.CopyRows(ctx, conn, s.d.FoldIdent("QUERY_EXECUTIONS"), cols, len(batch), func(dst []any, i int) []any {
		return s.appendExecutionArgs(dst, &batch[i])
	})
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("insert %d query executions (COPY): %w", len(batch), err)
	}
	return err
}

// insertRows writes n rows as chunked multi-row INSERTs in one transaction.
func (s *Store) insertRows(ctx context.Context, table string, cols []dialect.Column, n int, args func(dst []any, i int) []any) error {
	return s.insertRowsSkipping(ctx, table, cols, "", n, args)
}

// insertRowsSkipping is insertRows that, given the primary key column,
// skips rows whose key is already stored (SQLite and Postgres).
func (s *Store) insertRowsSkipping(ctx context.Context, table string, cols []dialect.Column, key string, n int, args func(dst []any, i int) []any) error {
	per := dialect.RowsPerStatement(s.d, len(cols), maxRowsPerInsert)
	insert := func(rows int) string {
		q := s.d.Insert(table, cols, rows)
		if key != "" && s.d.Name() != "snowflake" {
			q += " ON CONFLICT (" + s.d.FoldIdent(key) + ") DO NOTHING"
		}
		return q
	}
	var full *sql.Stmt
	if n >= per {
		var err error
		if full, err = s.stmts.get(ctx, s.db, s.d.Rebind(insert(per))); err != nil {
			return fmt.Errorf("insert %d rows into %s: prepare: %w", n, table, err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		buf := make([]any, 0, per*len(cols))
		for start := 0; start < n; start += per {
			end := min(start+per, n)
			buf = buf[:0]
			for i := start; i < end; i++ {
				buf = args(buf, i)
			}
			if end-start == per {
				if _, err := tx.StmtContext(ctx, full).ExecContext(ctx, buf...); err != nil {
					return err
				}
				continue
			}
			if _, err := s.exec(ctx, tx, insert(end-start), buf...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", n, table, err)
	}
	return nil
}

// QueryExecutionFilter selects QUERY_EXECUTIONS rows; empty fields match all.
type QueryExecutionFilter struct {
	RunID   string
	TestID  string
	Warmup  *bool
	Success *bool
}

func (s *Store) where(f QueryExecutionFilter) (string, []any) {
	var conds []string
	var args []any
	if f.RunID != "" {
		conds, args = append(conds, "RUN_ID = ?"), append(args, f.RunID)
	}
	if f.TestID != "" {
		conds, args = append(conds, "TEST_ID = ?"), append(args, f.TestID)
	}
	if f.Warmup != nil {
		conds, args = append(conds, "WARMUP = ?"), append(args, s.d.Bool(*f.Warmup))
	}
	if f.Success != nil {
		conds, args = append(conds, "SUCCESS = ?"), append(args, s.d.Bool(*f.Success))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// CountQueryExecutions counts the stored rows matching f.
func (s *Store) CountQueryExecutions(ctx context.Context, f QueryExecutionFilter) (int64, error) {
	w, args := s.where(f)
	var n int64
	if err := s.queryRow(ctx, s.db, "SELECT COUNT(*) FROM QUERY_EXECUTIONS"+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count query executions: %w", err)
	}
	return n, nil
}

// ListQueryExecutions returns up to limit rows matching f ordered by actual
// start (limit 0: 10000).
func (s *Store) ListQueryExecutions(ctx context.Context, f QueryExecutionFilter, limit int) ([]QueryExecution, error) {
	if limit <= 0 {
		limit = 10000
	}
	w, args := s.where(f)
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsExecution)+" FROM QUERY_EXECUTIONS"+w+
		fmt.Sprintf(" ORDER BY ACTUAL_START, EXECUTION_ID LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list query executions: %w", err)
	}
	defer rows.Close()
	var out []QueryExecution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("list query executions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// scanExecution reads one row of colsExecution.
func scanExecution(rows *sql.Rows) (QueryExecution, error) {
	var (
		e                        QueryExecution
		intended, actual         dialect.Time
		code, state, msg, target sql.NullString
		weight                   dialect.Float
	)
	if err := rows.Scan(&e.ExecutionID, &e.RunID, &e.TestID, &e.WorkerID, &e.WorkerGroupID, &e.Phase, &e.Warmup,
		&e.QueryName, &e.QueryKind, &intended, &actual, &e.LatencyUS, &e.ServiceUS, &e.Success, &code, &state, &msg,
		&e.RowsAffected, &target, &weight, &e.CompileUS, &e.QueuedUS, &e.ExecutionUS, &e.TotalElapsedUS,
		&e.BytesScanned, &e.RowsProduced); err != nil {
		return e, err
	}
	e.IntendedStart, e.ActualStart = intended.Time, actual.Time
	e.ErrorCode, e.SQLState, e.ErrorMessage, e.TargetQueryID = code.String, state.String, msg.String, target.String
	e.SampleWeight = weight.Float
	return e, nil
}

func names(cols []dialect.Column) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = c.Name
	}
	return strings.Join(s, ", ")
}
