package executor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TxSpec is a transaction: statements run in order in one transaction on
// one session, measured as one operation. The operation's args are the
// statements' args concatenated in order (StmtSpec.Args each); an argument
// that is a Bound stands for a value an earlier statement read (Into).
type TxSpec struct {
	Statements []StmtSpec
	// Isolation is "", "read_committed", "repeatable_read" or
	// "serializable" ("": the backend's default).
	Isolation string
	// MaxTries bounds the tries of one operation (0 or 1: no retry). A
	// try that fails with a conflict (IsConflict) is rolled back and run
	// again with the same arguments; any other failure ends the operation.
	MaxTries int
	// Slots is the number of Into values (Bound arguments index them).
	Slots int
}

// StmtSpec is one statement of a transaction.
type StmtSpec struct {
	SQL   string
	Write bool
	Args  int // how many of the operation's args are this statement's
	Into  int // >= 0: bind the first column of the first row to slot Into; -1: none
}

// Bound is an argument that stands for the value of slot BoundSlot()
// (StmtSpec.Into) of an earlier statement of the same transaction; the
// session replaces it before the statement runs. workload.Bound is one.
type Bound interface {
	BoundSlot() int
}

// Retrier is a Session whose operations may retry (transactions with
// MaxTries > 1): LastRetries returns how many times the last Exec ran its
// transaction again after a conflict.
type Retrier interface {
	LastRetries() int
}

// ConflictClass is ErrorGroup.Class of a serialization failure or
// deadlock: a failure a retry can fix.
const ConflictClass = "conflict"

// SQLSTATEs of conflicts: Postgres (and the SQL standard) serialization
// failure and Postgres deadlock detected.
const (
	StateSerializationFailure = "40001"
	StateDeadlockDetected     = "40P01"
)

// IsConflict reports whether an error (classified) is a serialization
// failure or a deadlock.
func IsConflict(info ErrorInfo) bool {
	return info.SQLState == StateSerializationFailure || info.SQLState == StateDeadlockDetected
}

// RollbackTimeout bounds the rollback after a failed try, which runs even
// when the operation's context was cancelled so the session never stays
// in an aborted transaction.
const RollbackTimeout = 5 * time.Second

// Isolation maps a TxSpec isolation to database/sql's level.
func Isolation(s string) (sql.IsolationLevel, error) {
	switch s {
	case "":
		return sql.LevelDefault, nil
	case "read_committed":
		return sql.LevelReadCommitted, nil
	case "repeatable_read":
		return sql.LevelRepeatableRead, nil
	case "serializable":
		return sql.LevelSerializable, nil
	}
	return 0, fmt.Errorf("unknown isolation level %q", s)
}

// BindArgs fills dst with the args of one statement: src with every Bound
// replaced by its slot's value.
func BindArgs(dst, src, slots []any) []any {
	dst = dst[:0]
	for _, a := range src {
		if b, ok := a.(Bound); ok {
			a = slots[b.BoundSlot()]
		}
		dst = append(dst, a)
	}
	return dst
}

// RunTx runs tx's tries: try runs one (returning rows and an error), and
// conflicts are retried up to MaxTries with classify deciding. It returns
// the last try's rows and error and the retries made.
func RunTx(ctx context.Context, tx *TxSpec, classify Classifier, try func() (int64, error)) (int64, int, error) {
	tries := max(tx.MaxTries, 1)
	for n := 1; ; n++ {
		rows, err := try()
		if err == nil || n >= tries || ctx.Err() != nil || !IsConflict(classify(err)) {
			return rows, n - 1, err
		}
	}
}

// sqlTx is one transaction query of an sqlSession, prepared.
type sqlTx struct {
	spec  *TxSpec
	opts  *sql.TxOptions
	stmts []*sql.Stmt
	slots []any
	buf   []any
}

func (s *sqlSession) prepareTx(ctx context.Context, q int, spec *TxSpec) error {
	iso, err := Isolation(spec.Isolation)
	if err != nil {
		return err
	}
	t := &sqlTx{spec: spec, slots: make([]any, spec.Slots)}
	if iso != sql.LevelDefault {
		t.opts = &sql.TxOptions{Isolation: iso}
	}
	if s.tx == nil {
		s.tx = map[int]*sqlTx{}
	}
	s.tx[q] = t
	for i, st := range spec.Statements {
		p, err := s.conn.PrepareContext(ctx, st.SQL)
		if err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
		t.stmts = append(t.stmts, p)
	}
	return nil
}

// LastRetries implements Retrier.
func (s *sqlSession) LastRetries() int { return s.retries }

var _ Retrier = (*sqlSession)(nil)

// execTx runs transaction t; the target query id it returns is the last
// statement's (the QueryID hook wraps each statement on its own).
func (s *sqlSession) execTx(ctx context.Context, t *sqlTx, args []any) (int64, string, error) {
	var last string
	rows, retries, err := RunTx(ctx, t.spec, s.classify, func() (int64, error) { return s.tryTx(ctx, t, args, &last) })
	s.retries = retries
	return rows, last, err
}

// tryTx runs one try of t: BEGIN, the statements, COMMIT; on any failure
// a ROLLBACK (on a fresh context when ctx ended).
func (s *sqlSession) tryTx(ctx context.Context, t *sqlTx, args []any, lastID *string) (total int64, err error) {
	tx, err := s.conn.BeginTx(ctx, t.opts)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			// database/sql rolls back by itself when ctx ends; Rollback
			// is then a no-op returning sql.ErrTxDone.
			_ = tx.Rollback()
		}
	}()
	off := 0
	for i, st := range t.spec.Statements {
		t.buf = BindArgs(t.buf, args[off:off+st.Args], t.slots)
		off += st.Args
		sctx, id := ctx, func() string { return "" }
		if s.queryID != nil {
			sctx, id = s.queryID(ctx)
		}
		ps := tx.StmtContext(sctx, t.stmts[i])
		n, err := runStmt(sctx, ps, st.Write, st.Into, t.buf, t.slots)
		ps.Close()
		if qid := id(); qid != "" {
			*lastID = qid
		}
		if err != nil {
			return total, fmt.Errorf("statement %d: %w", i+1, err)
		}
		total += n
	}
	return total, tx.Commit()
}

// runStmt runs one prepared statement and returns the rows it affected
// (write) or returned. into >= 0 binds the first column of its first row
// to slots[into] (a transaction's into); single queries pass -1.
func runStmt(ctx context.Context, st *sql.Stmt, write bool, into int, args, slots []any) (int64, error) {
	if write && into < 0 {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			n = -1
		}
		return n, nil
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		if n == 0 && into >= 0 {
			var v any
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return n, err
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			slots[into] = v
		}
		n++
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 && into >= 0 {
		err = errors.New("returned no row to bind into its value")
	}
	return n, err
}
