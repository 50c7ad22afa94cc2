package noopdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Options configures a no-op database.
type Options struct {
	// Latency is how long every statement takes.
	Latency time.Duration
	// StallAfterOps starts a one-time stall when the operation count reaches
	// it (0: never).
	StallAfterOps int64
	// StallAt starts a one-time stall this long after the first operation
	// (0: never).
	StallAt time.Duration
	// StallFor is the stall's length: every operation that starts or is in
	// progress while the stall lasts completes only when it ends, like a
	// database that freezes.
	StallFor time.Duration
	// ErrorEvery makes every ErrorEvery-th operation fail with Err (0: never).
	ErrorEvery int64
	// Err is the injected error (nil: an *Error with SQLSTATE 40001).
	Err error
	// Rows is the number of rows a query returns (0: 1). Each row has one
	// column holding the integer 1.
	Rows int
}

// Error is the default injected error; it carries a SQLSTATE the way
// pgconn.PgError does.
type Error struct{ State string }

func (e *Error) Error() string    { return "noopdb: injected error (SQLSTATE " + e.State + ")" }
func (e *Error) SQLState() string { return e.State }

// Connector is the driver.Connector behind a no-op *sql.DB. It counts
// operations.
type Connector struct {
	opts       Options
	ops        atomic.Int64
	first      atomic.Int64 // unix nanos of the first op
	stallUntil atomic.Int64 // unix nanos; 0: no stall started
	stalled    atomic.Bool
}

// NewConnector returns a connector for opts.
func NewConnector(opts Options) *Connector {
	if opts.Err == nil {
		opts.Err = &Error{State: "40001"}
	}
	if opts.Rows <= 0 {
		opts.Rows = 1
	}
	return &Connector{opts: opts}
}

// Open returns a *sql.DB over a new Connector for opts.
func Open(opts Options) *sql.DB { return sql.OpenDB(NewConnector(opts)) }

// OpenConnector returns a *sql.DB over c, when the caller wants c's counts.
func OpenConnector(c *Connector) *sql.DB { return sql.OpenDB(c) }

// Ops returns the number of statements executed so far.
func (c *Connector) Ops() int64 { return c.ops.Load() }

// Connect implements driver.Connector.
func (c *Connector) Connect(context.Context) (driver.Conn, error) { return &conn{c: c}, nil }

// Driver implements driver.Connector.
func (c *Connector) Driver() driver.Driver { return drv{c} }

type drv struct{ c *Connector }

func (d drv) Open(string) (driver.Conn, error) { return &conn{c: d.c}, nil }

var errNoTx = errors.New("noopdb: transactions are not supported")

// op runs one operation's delay and failure logic.
func (c *Connector) op(ctx context.Context, cn *conn) error {
	n := c.ops.Add(1)
	o := &c.opts
	stallOn := o.StallFor > 0 && (o.StallAfterOps > 0 || o.StallAt > 0)
	if stallOn {
		now := time.Now().UnixNano()
		if n == 1 {
			c.first.CompareAndSwap(0, now)
		}
		trigger := (o.StallAfterOps > 0 && n >= o.StallAfterOps) ||
			(o.StallAt > 0 && c.first.Load() != 0 && now-c.first.Load() >= int64(o.StallAt))
		if trigger && c.stalled.CompareAndSwap(false, true) {
			c.stallUntil.Store(now + int64(o.StallFor))
		}
	}
	if o.Latency > 0 {
		if err := cn.sleep(ctx, o.Latency); err != nil {
			return err
		}
	}
	if stallOn {
		if until := c.stallUntil.Load(); until != 0 {
			if d := time.Duration(until - time.Now().UnixNano()); d > 0 {
				if err := cn.sleep(ctx, d); err != nil {
					return err
				}
			}
		}
	}
	if o.ErrorEvery > 0 && n%o.ErrorEvery == 0 {
		return o.Err
	}
	return nil
}

type conn struct {
	c     *Connector
	timer *time.Timer
}

// sleep waits d or until ctx is done, with one timer per connection.
func (cn *conn) sleep(ctx context.Context, d time.Duration) error {
	if cn.timer == nil {
		cn.timer = time.NewTimer(d)
	} else {
		cn.timer.Reset(d)
	}
	select {
	case <-cn.timer.C:
		return nil
	case <-ctx.Done():
		cn.timer.Stop()
		return ctx.Err()
	}
}

func (cn *conn) Prepare(query string) (driver.Stmt, error) {
	return &stmt{cn: cn, rows: rows{n: cn.c.opts.Rows}}, nil
}
func (cn *conn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	return cn.Prepare(query)
}
func (cn *conn) Close() error              { return nil }
func (cn *conn) Begin() (driver.Tx, error) { return nil, errNoTx }

// ExecContext and QueryContext let unprepared statements skip Prepare.
func (cn *conn) ExecContext(ctx context.Context, _ string, _ []driver.NamedValue) (driver.Result, error) {
	if err := cn.c.op(ctx, cn); err != nil {
		return nil, err
	}
	return oneRow, nil
}

func (cn *conn) QueryContext(ctx context.Context, _ string, _ []driver.NamedValue) (driver.Rows, error) {
	if err := cn.c.op(ctx, cn); err != nil {
		return nil, err
	}
	return &rows{n: cn.c.opts.Rows, left: cn.c.opts.Rows}, nil
}

// CheckNamedValue accepts every argument as is, skipping database/sql's
// conversions.
func (cn *conn) CheckNamedValue(*driver.NamedValue) error { return nil }

var oneRow driver.Result = driver.RowsAffected(1)

type stmt struct {
	cn   *conn
	rows rows // reused: database/sql closes a statement's rows before it runs the statement again on the same conn
}

func (s *stmt) Close() error                             { return nil }
func (s *stmt) NumInput() int                            { return -1 }
func (s *stmt) CheckNamedValue(*driver.NamedValue) error { return nil }
func (s *stmt) Exec([]driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), nil)
}
func (s *stmt) Query([]driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), nil)
}

func (s *stmt) ExecContext(ctx context.Context, _ []driver.NamedValue) (driver.Result, error) {
	if err := s.cn.c.op(ctx, s.cn); err != nil {
		return nil, err
	}
	return oneRow, nil
}

func (s *stmt) QueryContext(ctx context.Context, _ []driver.NamedValue) (driver.Rows, error) {
	if err := s.cn.c.op(ctx, s.cn); err != nil {
		return nil, err
	}
	s.rows.left = s.rows.n
	return &s.rows, nil
}

type rows struct{ n, left int }

var columns = []string{"v"}

func (r *rows) Columns() []string { return columns }
func (r *rows) Close() error      { return nil }
func (r *rows) Next(dest []driver.Value) error {
	if r.left <= 0 {
		return io.EOF
	}
	r.left--
	dest[0] = int64(1)
	return nil
}

// Register registers a driver under name whose connections behave as opts
// says (the DSN is ignored), for code that opens databases by driver name.
// It returns an error, instead of panicking, when name is taken.
func Register(name string, opts Options) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("noopdb: register %q: %v", name, r)
		}
	}()
	sql.Register(name, drv{NewConnector(opts)})
	return nil
}
