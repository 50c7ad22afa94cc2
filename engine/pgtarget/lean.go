package pgtarget

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// The lean path: in ModePrepared a session runs its prepared statements
// on the connection's protocol frontend directly, below pgx.Conn and
// pgconn's query methods. An operation is one write of Bind/Execute/Sync
// (the statement's description is kept from the prepare, so no Describe)
// and reads up to ReadyForQuery: arguments are encoded into one buffer the
// session reuses, rows are counted without decoding and the command tag is
// read in place, so an operation allocates nothing; no context watcher is
// started per operation (pgconn's costs a timer and a channel), the
// session's context is watched once per context instead (ctxWatch). The
// socket stays on Go's network poller (measured against blocking sockets
// with one thread asleep per session, the poller made 10–17 % more
// selects per second, docs/postgres.md), except in closed phases, where
// the session owns it and waits through engine/fdpoll with the others
// of its group (raw.go). The session tracks the transaction status the
// server reports, since pgconn does not see these messages.

// leanStmt is a prepared statement and the formats the lean path uses.
type leanStmt struct {
	name    string
	oids    []uint32 // parameter types
	results []int16  // result format per column
	first   uint32   // the first column's type (into)
	columns int
}

// lean is a session's lean-path state.
type lean struct {
	pg       *pgconn.PgConn
	fe       *pgproto3.Frontend
	types    *pgtype.Map
	ctxWatch          // interrupts the operation's I/O when its context ends
	txStatus byte     // from the last ReadyForQuery
	broken   bool     // an I/O error left the protocol state unknown
	raw      *rawConn // the socket after Multiplex (nil: pgconn's, on Go's poller)

	stmts            []leanStmt   // per query (zero for transactions)
	tx               [][]leanStmt // per transaction query: BEGIN, then its statements
	commit, rollback leanStmt

	bind    pgproto3.Bind
	execute pgproto3.Execute
	sync    pgproto3.Sync
	params  [][]byte
	formats []int16
	buf     []byte
}

// newLean returns the lean state of pg.
func newLean(pg *pgconn.PgConn, types *pgtype.Map) *lean {
	return &lean{pg: pg, fe: pg.Frontend(), types: types, ctxWatch: ctxWatch{conn: pg.Conn()}, txStatus: pg.TxStatus()}
}

func (l *lean) stmt(name string, sd *pgconn.StatementDescription) leanStmt {
	st := leanStmt{name: name, oids: sd.ParamOIDs, results: make([]int16, len(sd.Fields)), columns: len(sd.Fields)}
	for i, f := range sd.Fields {
		st.results[i] = l.types.FormatCodeForOID(f.DataTypeOID)
	}
	if len(sd.Fields) > 0 {
		st.first = sd.Fields[0].DataTypeOID
	}
	return st
}

// encode encodes args for st into l.params and l.formats as pgx does:
// strings as text, other values in the format the parameter's type
// prefers, falling back to the other one.
func (l *lean) encode(st *leanStmt, args []any) error {
	if len(args) != len(st.oids) {
		return fmt.Errorf("expected %d arguments, got %d", len(st.oids), len(args))
	}
	l.params, l.formats, l.buf = l.params[:0], l.formats[:0], l.buf[:0]
	for i, arg := range args {
		oid := st.oids[i]
		f := l.types.FormatCodeForOID(oid)
		if _, ok := arg.(string); ok {
			f = pgtype.TextFormatCode
		}
		out, err := l.types.Encode(oid, f, arg, l.buf)
		if err != nil {
			f = 1 - f
			var err2 error
			if out, err2 = l.types.Encode(oid, f, arg, l.buf); err2 != nil {
				return fmt.Errorf("argument %d: %w", i+1, err)
			}
		}
		l.formats = append(l.formats, f)
		if out == nil {
			l.params = append(l.params, nil)
			continue
		}
		l.params = append(l.params, out[len(l.buf):len(out):len(out)])
		l.buf = out
	}
	return nil
}

// exec runs st with args. It returns the rows the server sent and the
// rows the command tag reports; into, when not nil, receives the first
// column of the first row (decoded as pgx.Rows.Values would).
func (l *lean) exec(ctx context.Context, st *leanStmt, args []any, into *any) (rows, affected int64, err error) {
	if l.isClosed() {
		return 0, 0, errors.New("conn closed")
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if err := l.encode(st, args); err != nil {
		return 0, 0, err
	}
	if l.raw != nil {
		l.raw.ctx = ctx
	} else {
		l.watch(ctx)
	}
	l.bind = pgproto3.Bind{PreparedStatement: st.name, ParameterFormatCodes: l.formats, Parameters: l.params, ResultFormatCodes: st.results}
	l.fe.SendBind(&l.bind)
	l.fe.SendExecute(&l.execute)
	l.fe.SendSync(&l.sync)
	if err := l.fe.Flush(); err != nil {
		return 0, 0, l.fail(ctx, err)
	}
	var opErr error
	for {
		msg, err := l.fe.Receive()
		if err != nil {
			// A server that ends the session (57P01 terminated, shutdown)
			// says why before it closes the socket: that is the error.
			if err = l.fail(ctx, err); opErr != nil && isPgError(opErr) {
				err = opErr
			}
			return rows, affected, err
		}
		switch m := msg.(type) {
		case *pgproto3.DataRow:
			if rows == 0 && into != nil && opErr == nil {
				opErr = l.decodeFirst(st, m.Values, into)
			}
			rows++
		case *pgproto3.CommandComplete:
			affected = rowsAffected(m.CommandTag)
		case *pgproto3.ErrorResponse:
			if opErr == nil || !isPgError(opErr) {
				opErr = pgconn.ErrorResponseToPgError(m)
			}
		case *pgproto3.ReadyForQuery:
			l.txStatus = m.TxStatus
			return rows, affected, opErr
		}
	}
}

// isClosed reports whether the session's connection is gone.
func (l *lean) isClosed() bool {
	if l.raw != nil {
		return l.broken || l.raw.closed
	}
	return l.broken || l.pg.IsClosed()
}

func isPgError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// rowsAffected parses the count at the end of a command tag.
func rowsAffected(tag []byte) int64 {
	var n, mult int64 = 0, 1
	for i := len(tag) - 1; i >= 0 && tag[i] >= '0' && tag[i] <= '9'; i-- {
		n += int64(tag[i]-'0') * mult
		mult *= 10
	}
	return n
}

func (l *lean) decodeFirst(st *leanStmt, vals [][]byte, into *any) error {
	if len(vals) == 0 || st.columns == 0 {
		return nil
	}
	if vals[0] == nil {
		*into = nil
		return nil
	}
	if dt, ok := l.types.TypeForOID(st.first); ok {
		v, err := dt.Codec.DecodeValue(l.types, st.first, st.results[0], vals[0])
		if err != nil {
			return fmt.Errorf("decode the first column: %w", err)
		}
		*into = v
		return nil
	}
	*into = string(vals[0])
	return nil
}

// fail closes the connection after an I/O error (the protocol state is
// unknown, as pgconn does) and returns the error, as the operation's
// context error when the socket gave up because of it.
func (l *lean) fail(ctx context.Context, err error) error {
	l.broken = true
	if l.raw != nil {
		l.raw.close()
	} else {
		_ = l.pg.Conn().Close()
		cctx, cancel := context.WithCancel(context.Background())
		cancel() // the socket is closed: no Terminate can be sent
		_ = l.pg.Close(cctx)
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}
