package executor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Target hands out sessions, one per connection goroutine.
type Target interface {
	// Open opens the session of connection conn (0-based within the worker).
	Open(ctx context.Context, conn int) (Session, error)
}

// Session runs queries on one connection. It is used by one goroutine.
type Session interface {
	// Exec runs query (an index into the template's queries) with args and
	// returns the rows read or written and the target's id of the query
	// when it has one.
	Exec(ctx context.Context, query int, args []any) (rows int64, targetQueryID string, err error)
	Close() error
}

// QuerySpec is one query as SQLTarget runs it.
type QuerySpec struct {
	// Name is the query's name in the scenario files, for messages ("":
	// messages use its index).
	Name  string
	SQL   string
	Write bool // Exec and RowsAffected; otherwise Query and count the rows
	// Tx, when set, makes the query a transaction of Tx.Statements (SQL
	// is then unused); see tx.go.
	Tx *TxSpec
}

// Label names the query for a message: `query "NAME"`, or `query I`
// (its index) when it has no name.
func (q QuerySpec) Label(i int) string {
	if q.Name != "" {
		return fmt.Sprintf("query %q", q.Name)
	}
	return fmt.Sprintf("query %d", i)
}

// SQLTarget is a Target over a *sql.DB: each session holds its own
// *sql.Conn, runs Init on it, and prepares every query once.
type SQLTarget struct {
	DB      *sql.DB
	Queries []QuerySpec
	Init    []string // session statements run once per connection
	// QueryID, when set, is called before each operation: it returns the
	// context to run the operation under and a func that reads the target's
	// query id after it (gosnowflake's WithQueryIDChan, say). The engine
	// imports no driver, so the caller supplies it.
	QueryID func(ctx context.Context) (context.Context, func() string)
	// Classify decides which failures of a transaction are conflicts to
	// retry (nil: ClassifyError).
	Classify Classifier
}

var _ Target = (*SQLTarget)(nil)

// Open implements Target.
func (t *SQLTarget) Open(ctx context.Context, conn int) (Session, error) {
	c, err := t.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", conn, err)
	}
	s := &sqlSession{conn: c, queries: t.Queries, stmts: make([]*sql.Stmt, len(t.Queries)), queryID: t.QueryID, classify: t.Classify}
	if s.classify == nil {
		s.classify = ClassifyError
	}
	for _, q := range t.Init {
		if _, err := c.ExecContext(ctx, q); err != nil {
			s.Close()
			return nil, fmt.Errorf("connection %d: session setup: %w", conn, err)
		}
	}
	for i, q := range t.Queries {
		if q.Tx != nil {
			if err := s.prepareTx(ctx, i, q.Tx); err != nil {
				s.Close()
				return nil, fmt.Errorf("connection %d: prepare %s: %w", conn, q.Label(i), err)
			}
			continue
		}
		st, err := c.PrepareContext(ctx, q.SQL)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("connection %d: prepare %s: %w", conn, q.Label(i), err)
		}
		s.stmts[i] = st
	}
	return s, nil
}

type sqlSession struct {
	conn     *sql.Conn
	queries  []QuerySpec
	stmts    []*sql.Stmt
	queryID  func(ctx context.Context) (context.Context, func() string)
	tx       map[int]*sqlTx // transactions, by query index
	classify Classifier
	retries  int // of the last Exec
}

func (s *sqlSession) Exec(ctx context.Context, q int, args []any) (int64, string, error) {
	if t := s.tx[q]; t != nil {
		// A transaction sends several statements: the id hook wraps
		// each statement (its channel holds one id), see execTx.
		return s.execTx(ctx, t, args)
	}
	if s.queryID == nil {
		n, err := s.exec(ctx, q, args)
		return n, "", err
	}
	ctx, id := s.queryID(ctx)
	n, err := s.exec(ctx, q, args)
	return n, id(), err
}

func (s *sqlSession) exec(ctx context.Context, q int, args []any) (int64, error) {
	return runStmt(ctx, s.stmts[q], s.queries[q].Write, -1, args, nil)
}

func (s *sqlSession) Close() error {
	var errs []error
	for _, st := range s.stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, t := range s.tx {
		for _, st := range t.stmts {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
	}
	errs = append(errs, s.conn.Close())
	return errors.Join(errs...)
}
