package pgtarget

import (
	"context"
	"fmt"
	"strconv"

	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/jackc/pgx/v5"
)

// A transaction query runs BEGIN [ISOLATION LEVEL …], its statements on
// the extended protocol (named prepared statements in ModePrepared, like
// the other queries), then COMMIT; any failure is followed by a ROLLBACK
// so the session is idle, never in an aborted transaction (25P02), when
// the next operation starts. Conflicts are retried up to MaxTries.

type txState struct {
	begin string
}

// prepareTx rebinds tx's statements, names them and returns the copy the
// target keeps.
func (t *Target) prepareTx(q int, tx *executor.TxSpec) *executor.TxSpec {
	c := *tx
	c.Statements = append([]executor.StmtSpec(nil), tx.Statements...)
	names := make([]string, len(c.Statements))
	for j := range c.Statements {
		c.Statements[j].SQL = dialect.Postgres{}.Rebind(c.Statements[j].SQL)
		names[j] = c.Statements[j].SQL
		if t.mode == ModePrepared {
			names[j] = "fbctl_q" + strconv.Itoa(q) + "_s" + strconv.Itoa(j)
		}
	}
	for len(t.txNames) <= q {
		t.txNames = append(t.txNames, nil)
		t.txs = append(t.txs, nil)
	}
	t.txNames[q] = names
	t.txs[q] = &txState{begin: beginSQL(tx.Isolation)}
	return &c
}

func beginSQL(iso string) string {
	switch iso {
	case "read_committed":
		return "BEGIN ISOLATION LEVEL READ COMMITTED"
	case "repeatable_read":
		return "BEGIN ISOLATION LEVEL REPEATABLE READ"
	case "serializable":
		return "BEGIN ISOLATION LEVEL SERIALIZABLE"
	}
	return "BEGIN"
}

// LastRetries implements executor.Retrier.
func (s *session) LastRetries() int { return s.retries }

var _ executor.Retrier = (*session)(nil)

func (s *session) execTx(ctx context.Context, q int, tx *executor.TxSpec, args []any) (int64, error) {
	if cap(s.slots) < tx.Slots {
		s.slots = make([]any, tx.Slots)
	}
	slots := s.slots[:tx.Slots]
	rows, retries, err := executor.RunTx(ctx, tx, Classify, func() (int64, error) { return s.tryTx(ctx, q, tx, args, slots) })
	s.retries = retries
	return rows, err
}

func (s *session) tryTx(ctx context.Context, q int, tx *executor.TxSpec, args, slots []any) (total int64, err error) {
	if s.lean != nil {
		return s.tryLeanTx(ctx, q, tx, args, slots)
	}
	if _, err := s.conn.Exec(ctx, s.t.txs[q].begin, pgx.QueryExecModeSimpleProtocol); err != nil {
		s.rollback(ctx)
		return 0, err
	}
	names := s.t.txNames[q]
	off := 0
	for j, st := range tx.Statements {
		s.buf = executor.BindArgs(s.buf, args[off:off+st.Args], slots)
		off += st.Args
		n, err := s.stmt(ctx, names[j], st, s.buf, slots)
		if err != nil {
			s.rollback(ctx)
			return total, fmt.Errorf("statement %d: %w", j+1, err)
		}
		total += n
	}
	if _, err := s.conn.Exec(ctx, "COMMIT", pgx.QueryExecModeSimpleProtocol); err != nil {
		s.rollback(ctx)
		return total, err
	}
	return total, nil
}

// tryLeanTx is tryTx on the lean path: BEGIN and COMMIT are prepared
// statements too, so the transaction is the same round trips as pgbench
// -M prepared's.
func (s *session) tryLeanTx(ctx context.Context, q int, tx *executor.TxSpec, args, slots []any) (total int64, err error) {
	l := s.lean
	sts := l.tx[q]
	if _, _, err := l.exec(ctx, &sts[0], nil, nil); err != nil {
		s.rollback(ctx)
		return 0, err
	}
	off := 0
	for j, st := range tx.Statements {
		s.buf = executor.BindArgs(s.buf, args[off:off+st.Args], slots)
		off += st.Args
		var into *any
		if st.Into >= 0 {
			into = &slots[st.Into]
		}
		rows, affected, err := l.exec(ctx, &sts[j+1], s.buf, into)
		if err == nil && rows == 0 && st.Into >= 0 {
			err = fmt.Errorf("returned no row to bind into its value")
		}
		if err != nil {
			s.rollback(ctx)
			return total, fmt.Errorf("statement %d: %w", j+1, err)
		}
		if st.Write && st.Into < 0 {
			total += affected
		} else {
			total += rows
		}
	}
	if _, _, err := l.exec(ctx, &l.commit, nil, nil); err != nil {
		s.rollback(ctx)
		return total, err
	}
	return total, nil
}

func (s *session) stmt(ctx context.Context, name string, st executor.StmtSpec, args, slots []any) (int64, error) {
	if st.Write && st.Into < 0 {
		tag, err := s.conn.Exec(ctx, name, args...)
		if err != nil {
			return 0, err
		}
		return tag.RowsAffected(), nil
	}
	rows, err := s.conn.Query(ctx, name, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		if n == 0 && st.Into >= 0 {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return n, err
			}
			if len(vals) > 0 {
				slots[st.Into] = vals[0]
			}
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, err
	}
	if n == 0 && st.Into >= 0 {
		return 0, fmt.Errorf("returned no row to bind into its value")
	}
	return n, nil
}

// rollback ends a failed try's transaction, on a context of its own so a
// cancelled operation still leaves the session idle. A connection that is
// closed or still not idle afterwards is left for Close to destroy.
func (s *session) rollback(ctx context.Context) {
	if s.isClosed() || s.txStatus() == 'I' || s.txStatus() == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), executor.RollbackTimeout)
	defer cancel()
	if l := s.lean; l != nil {
		_, _, _ = l.exec(rctx, &l.rollback, nil, nil)
		return
	}
	_, _ = s.conn.Exec(rctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol)
}
