package pgtarget

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Mode is how queries reach the server.
type Mode string

const (
	// ModePrepared prepares each query once per connection as a named
	// server-side statement (pgx QueryExecModeCacheStatement with explicit
	// names). The fastest; needs session-level pooling or none.
	ModePrepared Mode = "prepared"
	// ModeDescribe sends unnamed statements and caches their descriptions
	// client-side (QueryExecModeCacheDescribe): no named statement lives on
	// the server, so PgBouncer transaction pooling works; one round trip
	// per operation after the first.
	ModeDescribe Mode = "describe"
	// ModeSimple uses the simple query protocol
	// (QueryExecModeSimpleProtocol): pgx interpolates the arguments; works
	// behind any pooler.
	ModeSimple Mode = "simple"
)

// Config is what New needs.
type Config struct {
	// DSN is a postgres:// URL or key=value string; it may hold a password
	// and never appears in errors.
	DSN string
	// Key names the connection in errors ("postgres.oltp").
	Key string
	// Queries are run by index; `?` placeholders are rewritten to $n.
	Queries []executor.QuerySpec
	// Init runs once on each session before its first query.
	Init []string
	// Mode defaults to ModePrepared, or to the dsn's
	// default_query_exec_mode when it sets one.
	Mode Mode
	// MaxConns bounds the pool; at least the most sessions open at once.
	// 0: 4 per CPU (pgxpool's default).
	MaxConns int32
	// Pgx runs operations on pgx.Conn even in ModePrepared (the path
	// before the lean one; benchmarks compare the two). Default: the lean
	// path (lean.go) in ModePrepared.
	Pgx bool
	// NoMultiplex keeps lean sessions on one goroutine each, parked on Go's
	// network poller, in closed phases too (benchmarks only: the path
	// before raw.go's).
	NoMultiplex bool
}

// Target is an executor.Target over a pgx pool. Close it when done.
type Target struct {
	pool    *pgxpool.Pool
	queries []executor.QuerySpec
	names   []string
	init    []string
	mode    Mode
	key     string
	txNames [][]string // per transaction query, its statements' names
	txs     []*txState // per query: nil unless a transaction
	lean    bool       // sessions take the lean path (ModePrepared, not Config.Pgx)
	noMux   bool       // Config.NoMultiplex
}

var _ executor.Target = (*Target)(nil)

// ModeFor returns the mode the connection block asks for:
// prefer_simple_protocol = true selects ModeSimple; otherwise "" (the
// default: prepared, or the dsn's default_query_exec_mode).
func ModeFor(c *dsl.Connection) Mode {
	if b, _ := strconv.ParseBool(c.Fields["prefer_simple_protocol"]); b {
		return ModeSimple
	}
	return ""
}

// Open builds a Target from a postgres connection block. It connects
// lazily; New's pool checks nothing until the first session opens.
func Open(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int32) (*Target, error) {
	if c == nil || c.Type != dsl.ConnPostgres {
		return nil, errors.New("pgtarget: not a postgres connection")
	}
	dsn, err := DSN(c)
	if err != nil {
		return nil, err
	}
	return New(ctx, Config{DSN: dsn, Key: c.Key(), Queries: queries, Init: init, Mode: ModeFor(c), MaxConns: maxConns})
}

// New builds a Target. No connection is made until a session opens.
func New(ctx context.Context, cfg Config) (*Target, error) {
	key := cfg.Key
	if key == "" {
		key = "postgres"
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx redacts passwords, but the message quotes the string it
		// could not parse; keep only what went wrong.
		return nil, fmt.Errorf("connection %s: invalid connection settings: %s", key, parseReason(err))
	}
	mode := cfg.Mode
	if mode == "" {
		mode = ModePrepared
		if strings.Contains(cfg.DSN, "default_query_exec_mode") {
			mode = modeOf(pc.ConnConfig.DefaultQueryExecMode)
		}
	}
	switch mode {
	case ModePrepared:
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	case ModeDescribe:
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	case ModeSimple:
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	default:
		return nil, fmt.Errorf("connection %s: unknown query mode %q (want prepared, describe or simple)", key, mode)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pc.MinConns = 0
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", key, err)
	}
	t := &Target{pool: pool, init: cfg.Init, mode: mode, key: key, lean: mode == ModePrepared && !cfg.Pgx, noMux: cfg.NoMultiplex,
		queries: make([]executor.QuerySpec, len(cfg.Queries)), names: make([]string, len(cfg.Queries))}
	for i, q := range cfg.Queries {
		if q.Tx != nil {
			q.Tx = t.prepareTx(i, q.Tx)
		}
		q.SQL = dialect.Postgres{}.Rebind(q.SQL)
		t.queries[i] = q
		t.names[i] = q.SQL
		if mode == ModePrepared {
			t.names[i] = "fbctl_q" + strconv.Itoa(i)
		}
	}
	return t, nil
}

// modeOf maps a dsn's default_query_exec_mode to a Mode.
func modeOf(m pgx.QueryExecMode) Mode {
	switch m {
	case pgx.QueryExecModeSimpleProtocol:
		return ModeSimple
	case pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec:
		return ModeDescribe
	}
	return ModePrepared
}

func parseReason(err error) string {
	msg := err.Error()
	// "cannot parse `...`: reason"
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+3:]
	}
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "cannot parse the connection string"
}

// Mode returns the mode the target runs in.
func (t *Target) Mode() Mode { return t.mode }

// Pool returns the underlying pool (setup statements, pool sampling).
func (t *Target) Pool() *pgxpool.Pool { return t.pool }

// Close closes the pool, waiting for sessions to return their connections.
func (t *Target) Close() { t.pool.Close() }

// Open implements executor.Target: it takes a connection from the pool,
// runs Init and, in ModePrepared, prepares the queries (a connection
// reused from an earlier session keeps its statements).
func (t *Target) Open(ctx context.Context, conn int) (executor.Session, error) {
	c, err := t.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connection %s, session %d: %w", t.key, conn, err)
	}
	s := &session{c: c, conn: c.Conn(), t: t}
	for _, q := range t.init {
		if _, err := s.conn.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			s.discard()
			return nil, fmt.Errorf("connection %s, session %d: session setup: %w", t.key, conn, err)
		}
	}
	if t.mode == ModePrepared {
		if err := s.prepare(ctx); err != nil {
			s.discard()
			return nil, fmt.Errorf("connection %s, session %d: %w", t.key, conn, err)
		}
	}
	return s, nil
}

// prepare prepares the queries and, on the lean path, keeps their
// descriptions.
func (s *session) prepare(ctx context.Context) error {
	t := s.t
	var l *lean
	if t.lean {
		l = newLean(s.conn.PgConn(), s.conn.TypeMap())
	}
	prep := func(name, sql string) (leanStmt, error) {
		sd, err := s.conn.Prepare(ctx, name, sql)
		if err != nil || l == nil {
			return leanStmt{}, err
		}
		return l.stmt(name, sd), nil
	}
	if l != nil && len(t.txNames) > 0 {
		var err error
		if l.commit, err = prep("fbctl_commit", "COMMIT"); err != nil {
			return fmt.Errorf("prepare COMMIT: %w", err)
		}
		if l.rollback, err = prep("fbctl_rollback", "ROLLBACK"); err != nil {
			return fmt.Errorf("prepare ROLLBACK: %w", err)
		}
	}
	if l != nil {
		l.stmts = make([]leanStmt, len(t.queries))
		l.tx = make([][]leanStmt, len(t.queries))
	}
	for i, q := range t.queries {
		if q.Tx != nil {
			var sts []leanStmt
			if l != nil {
				st, err := prep("fbctl_q"+strconv.Itoa(i)+"_begin", t.txs[i].begin)
				if err != nil {
					return fmt.Errorf("prepare %s: %w", q.Label(i), err)
				}
				sts = append(sts, st)
			}
			for j, st := range q.Tx.Statements {
				ls, err := prep(t.txNames[i][j], st.SQL)
				if err != nil {
					return fmt.Errorf("prepare %s statement %d: %w", q.Label(i), j+1, err)
				}
				sts = append(sts, ls)
			}
			if l != nil {
				l.tx[i] = sts
			}
			continue
		}
		st, err := prep(t.names[i], q.SQL)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", q.Label(i), err)
		}
		if l != nil {
			l.stmts[i] = st
		}
	}
	s.lean = l
	return nil
}

type session struct {
	c       *pgxpool.Conn
	conn    *pgx.Conn
	t       *Target
	slots   []any // into values of the running transaction
	buf     []any
	retries int   // of the last Exec
	lean    *lean // nil: pgx.Conn runs the operations
}

// Exec implements executor.Session. Reads count the rows without decoding
// them; writes return the rows the command tag reports.
func (s *session) Exec(ctx context.Context, q int, args []any) (int64, string, error) {
	if tx := s.t.queries[q].Tx; tx != nil {
		n, err := s.execTx(ctx, q, tx, args)
		return n, "", err
	}
	if l := s.lean; l != nil {
		rows, affected, err := l.exec(ctx, &l.stmts[q], args, nil)
		if s.t.queries[q].Write {
			return affected, "", err
		}
		return rows, "", err
	}
	name := s.t.names[q]
	if s.t.queries[q].Write {
		tag, err := s.conn.Exec(ctx, name, args...)
		if err != nil {
			return 0, "", err
		}
		return tag.RowsAffected(), "", nil
	}
	rows, err := s.conn.Query(ctx, name, args...)
	if err != nil {
		return 0, "", err
	}
	var n int64
	for rows.Next() {
		n++
	}
	rows.Close()
	return n, "", rows.Err()
}

// Close returns the connection to the pool, or destroys it when a failed
// or cancelled operation left it unusable.
func (s *session) Close() error {
	if s.c == nil {
		return nil
	}
	c := s.c
	s.c = nil
	if s.lean != nil {
		s.lean.disarm()
		if s.lean.raw != nil {
			s.lean.raw.close() // pgconn was hijacked: the pool cannot have it back
		}
	}
	if s.isClosed() || s.txStatus() != 'I' {
		return c.Hijack().Close(context.Background())
	}
	c.Release()
	return nil
}

// txStatus is the transaction status the server last reported.
// isClosed reports whether the session's connection is gone.
func (s *session) isClosed() bool {
	if s.lean != nil {
		return s.lean.isClosed()
	}
	return s.conn.IsClosed()
}

func (s *session) txStatus() byte {
	if s.lean != nil {
		if s.lean.broken {
			return 0
		}
		return s.lean.txStatus
	}
	return s.conn.PgConn().TxStatus()
}

// discard destroys the session's connection (failed setup).
func (s *session) discard() {
	c := s.c
	s.c = nil
	_ = c.Hijack().Close(context.Background())
}
