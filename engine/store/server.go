package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// What the server said about a run (migration 006): per-interval query
// aggregates, live samples of the run's statements, lock waits and the
// run's fingerprint per target.

// QueryAggregate is a row of QUERY_AGGREGATES: one interval of one
// parameterized query of the run, as Snowflake's AGGREGATE_QUERY_HISTORY
// reports it, in integer microseconds.
type QueryAggregate struct {
	RunID                          string
	IntervalStart, IntervalEnd     time.Time
	QueryHash, QueryTag, Warehouse string
	QueryName                      string // the template query whose text matched ("" if none)
	QueryText                      string
	Calls, Errors                  int64
	ElapsedAvgUS, ElapsedMedianUS  sql.NullInt64
	ElapsedP90US, ElapsedP99US     sql.NullInt64
	ElapsedMaxUS, CompileAvgUS     sql.NullInt64
	ExecutionAvgUS, QueuedAvgUS    sql.NullInt64
	ErrorsJSON                     json.RawMessage
	CollectedAt                    time.Time
}

var colsAggregate = []dialect.Column{
	{Name: "RUN_ID"}, {Name: "INTERVAL_START"}, {Name: "INTERVAL_END"}, {Name: "QUERY_HASH"}, {Name: "QUERY_TAG"},
	{Name: "WAREHOUSE_NAME"}, {Name: "QUERY_NAME"}, {Name: "QUERY_TEXT"}, {Name: "CALLS"}, {Name: "ERRORS"},
	{Name: "ELAPSED_AVG_US"}, {Name: "ELAPSED_MEDIAN_US"}, {Name: "ELAPSED_P90_US"}, {Name: "ELAPSED_P99_US"},
	{Name: "ELAPSED_MAX_US"}, {Name: "COMPILE_AVG_US"}, {Name: "EXECUTION_AVG_US"}, {Name: "QUEUED_AVG_US"},
	dialect.JSONCol("ERRORS_JSON"), {Name: "COLLECTED_AT"},
}

// ReplaceQueryAggregates stores rows as the run's aggregates, replacing
// what an earlier pass stored (one transaction), so `fbctl enrich` can be
// rerun as the view fills.
func (s *Store) ReplaceQueryAggregates(ctx context.Context, runID string, rows []QueryAggregate) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM QUERY_AGGREGATES WHERE RUN_ID = ?", runID); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		q := s.d.Rebind(s.d.Insert("QUERY_AGGREGATES", colsAggregate, 1))
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range rows {
			a := &rows[i]
			if _, err := st.ExecContext(ctx, runID, s.d.Time(a.IntervalStart), s.d.Time(a.IntervalEnd), a.QueryHash, a.QueryTag,
				a.Warehouse, nullString(a.QueryName), nullString(a.QueryText), a.Calls, a.Errors, nullInt(a.ElapsedAvgUS),
				nullInt(a.ElapsedMedianUS), nullInt(a.ElapsedP90US), nullInt(a.ElapsedP99US), nullInt(a.ElapsedMaxUS),
				nullInt(a.CompileAvgUS), nullInt(a.ExecutionAvgUS), nullInt(a.QueuedAvgUS), s.d.JSON(a.ErrorsJSON),
				s.d.Time(a.CollectedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store the query aggregates of run %s: %w", runID, err)
	}
	return nil
}

// ListQueryAggregates returns the run's aggregates by interval and query.
func (s *Store) ListQueryAggregates(ctx context.Context, runID string) ([]QueryAggregate, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsAggregate)+" FROM QUERY_AGGREGATES WHERE RUN_ID = ? ORDER BY INTERVAL_START, QUERY_NAME, QUERY_HASH", runID)
	if err != nil {
		return nil, fmt.Errorf("query aggregates of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []QueryAggregate
	for rows.Next() {
		var (
			a                QueryAggregate
			start, end, coll dialect.Time
			name, text       sql.NullString
			errs             dialect.JSON
		)
		if err := rows.Scan(&a.RunID, &start, &end, &a.QueryHash, &a.QueryTag, &a.Warehouse, &name, &text, &a.Calls, &a.Errors,
			&a.ElapsedAvgUS, &a.ElapsedMedianUS, &a.ElapsedP90US, &a.ElapsedP99US, &a.ElapsedMaxUS, &a.CompileAvgUS,
			&a.ExecutionAvgUS, &a.QueuedAvgUS, &errs, &coll); err != nil {
			return nil, fmt.Errorf("query aggregates of run %s: %w", runID, err)
		}
		a.IntervalStart, a.IntervalEnd, a.CollectedAt = start.Time, end.Time, coll.Time
		a.QueryName, a.QueryText, a.ErrorsJSON = name.String, text.String, errs.Raw
		out = append(out, a)
	}
	return out, rows.Err()
}

// RunFingerprint is a row of RUN_FINGERPRINTS: what one target of the run
// was (Settings) and what fbctl changed on it (Actions), as JSON objects of
// strings so a comparison can gate on any key.
type RunFingerprint struct {
	RunID, Target, Backend string
	Settings               map[string]string
	Actions                []string
	CollectedAt            time.Time
}

var colsFingerprint = []dialect.Column{
	{Name: "RUN_ID"}, {Name: "TARGET"}, {Name: "BACKEND"}, dialect.JSONCol("SETTINGS"), dialect.JSONCol("ACTIONS"), {Name: "COLLECTED_AT"},
}

// PutRunFingerprint stores fp, replacing the run's earlier row for the same
// target.
func (s *Store) PutRunFingerprint(ctx context.Context, fp RunFingerprint) error {
	settings, err := json.Marshal(fp.Settings)
	if err != nil {
		return err
	}
	var actions []byte
	if len(fp.Actions) > 0 {
		actions, _ = json.Marshal(fp.Actions)
	}
	if fp.CollectedAt.IsZero() {
		fp.CollectedAt = time.Now()
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, "DELETE FROM RUN_FINGERPRINTS WHERE RUN_ID = ? AND TARGET = ?", fp.RunID, fp.Target); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, s.d.Insert("RUN_FINGERPRINTS", colsFingerprint, 1), fp.RunID, fp.Target, fp.Backend,
			s.d.JSON(settings), s.d.JSON(actions), s.d.Time(fp.CollectedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store the fingerprint of run %s (%s): %w", fp.RunID, fp.Target, err)
	}
	return nil
}

// ListRunFingerprints returns the run's fingerprints by target.
func (s *Store) ListRunFingerprints(ctx context.Context, runID string) ([]RunFingerprint, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsFingerprint)+" FROM RUN_FINGERPRINTS WHERE RUN_ID = ? ORDER BY TARGET", runID)
	if err != nil {
		return nil, fmt.Errorf("fingerprints of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []RunFingerprint
	for rows.Next() {
		var (
			fp                RunFingerprint
			settings, actions dialect.JSON
			at                dialect.Time
		)
		if err := rows.Scan(&fp.RunID, &fp.Target, &fp.Backend, &settings, &actions, &at); err != nil {
			return nil, fmt.Errorf("fingerprints of run %s: %w", runID, err)
		}
		if err := json.Unmarshal(settings.Raw, &fp.Settings); err != nil {
			return nil, fmt.Errorf("fingerprints of run %s: SETTINGS: %w", runID, err)
		}
		if len(actions.Raw) > 0 && string(actions.Raw) != "null" {
			if err := json.Unmarshal(actions.Raw, &fp.Actions); err != nil {
				return nil, fmt.Errorf("fingerprints of run %s: ACTIONS: %w", runID, err)
			}
		}
		fp.CollectedAt = at.Time
		out = append(out, fp)
	}
	return out, rows.Err()
}

// ServerSample is a row of SERVER_SAMPLES: at SampledAt, Sessions of the
// run's statements on Target were in State (running, queued, blocked,
// active, idle in transaction, waiting, …) for Kind (a query kind on
// Snowflake, a wait event on Postgres).
type ServerSample struct {
	RunID, Phase, Target string
	SampledAt            time.Time
	State, Kind          string
	Sessions             int64
}

var colsSample = dialect.Cols("RUN_ID", "SAMPLED_AT", "PHASE", "TARGET", "STATE", "KIND", "SESSIONS")

// InsertServerSamples writes the batch in one transaction.
func (s *Store) InsertServerSamples(ctx context.Context, batch []ServerSample) error {
	if len(batch) == 0 {
		return nil
	}
	return s.insertRows(ctx, "SERVER_SAMPLES", colsSample, len(batch), func(dst []any, i int) []any {
		m := &batch[i]
		return append(dst, m.RunID, s.d.Time(m.SampledAt), m.Phase, m.Target, m.State, m.Kind, m.Sessions)
	})
}

// ListServerSamples returns the run's samples in time order.
func (s *Store) ListServerSamples(ctx context.Context, runID string) ([]ServerSample, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsSample)+" FROM SERVER_SAMPLES WHERE RUN_ID = ? ORDER BY SAMPLED_AT, TARGET, STATE, KIND", runID)
	if err != nil {
		return nil, fmt.Errorf("server samples of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []ServerSample
	for rows.Next() {
		var (
			m  ServerSample
			at dialect.Time
		)
		if err := rows.Scan(&m.RunID, &at, &m.Phase, &m.Target, &m.State, &m.Kind, &m.Sessions); err != nil {
			return nil, fmt.Errorf("server samples of run %s: %w", runID, err)
		}
		m.SampledAt = at.Time
		out = append(out, m)
	}
	return out, rows.Err()
}

// LockWait is a row of LOCK_WAITS: a statement of the run seen waiting for
// a lock.
type LockWait struct {
	RunID, Phase, Target string
	ObservedAt           time.Time
	Waiter               string // session or query id of the waiter
	WaiterQuery          string // its statement text
	Blocker              string // session or transaction holding the lock
	LockType, LockObject string
	WaitUS               int64
}

var colsLockWait = dialect.Cols("RUN_ID", "OBSERVED_AT", "PHASE", "TARGET", "WAITER", "WAITER_QUERY", "BLOCKER",
	"LOCK_TYPE", "LOCK_OBJECT", "WAIT_US")

// InsertLockWaits writes the batch in one transaction.
func (s *Store) InsertLockWaits(ctx context.Context, batch []LockWait) error {
	if len(batch) == 0 {
		return nil
	}
	return s.insertRows(ctx, "LOCK_WAITS", colsLockWait, len(batch), func(dst []any, i int) []any {
		w := &batch[i]
		return append(dst, w.RunID, s.d.Time(w.ObservedAt), w.Phase, w.Target, w.Waiter, nullString(w.WaiterQuery),
			nullString(w.Blocker), nullString(w.LockType), nullString(w.LockObject), w.WaitUS)
	})
}

// ListLockWaits returns the run's lock waits in time order.
func (s *Store) ListLockWaits(ctx context.Context, runID string) ([]LockWait, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+names(colsLockWait)+" FROM LOCK_WAITS WHERE RUN_ID = ? ORDER BY OBSERVED_AT, WAITER", runID)
	if err != nil {
		return nil, fmt.Errorf("lock waits of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []LockWait
	for rows.Next() {
		var (
			w                       LockWait
			at                      dialect.Time
			q, blocker, typ, object sql.NullString
		)
		if err := rows.Scan(&w.RunID, &at, &w.Phase, &w.Target, &w.Waiter, &q, &blocker, &typ, &object, &w.WaitUS); err != nil {
			return nil, fmt.Errorf("lock waits of run %s: %w", runID, err)
		}
		w.ObservedAt, w.WaiterQuery, w.Blocker, w.LockType, w.LockObject = at.Time, q.String, blocker.String, typ.String, object.String
		out = append(out, w)
	}
	return out, rows.Err()
}
