package sfserver

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// execSQLite runs a translation's steps on the session's SQLite connection
// and builds the JSON result.
func (s *Server) execSQLite(ctx context.Context, se *session, tr *translation, req *queryRequest, rec *historyRecord) (*queryData, *sqlError) {
	args, err := decodeBindings(req.Bindings)
	if err != nil {
		return nil, &sqlError{"002049", "42601", "SQL compilation error: " + err.Error()}
	}
	if args.named == nil {
		for _, st := range tr.Steps {
			if len(args.rows[0]) < st.MaxArg {
				return nil, &sqlError{"002049", "42601", fmt.Sprintf("SQL compilation error: error line 1 at position 0\nBind variable ?%d not set.", st.MaxArg)}
			}
		}
	}
	if tr.History {
		if err := s.syncHistory(ctx, se); err != nil {
			return nil, execError(err)
		}
		if err := s.syncAggregates(ctx, se); err != nil {
			return nil, execError(err)
		}
	}
	if tr.TypeID == typeSelect {
		st := tr.Steps[0]
		return s.querySelect(ctx, se.conn, st.SQL, args.argsFor(args.rows[0], st.MaxArg), rec)
	}
	counts := make([]int64, len(tr.CountCols))
	atomic := len(args.rows) > 1 || len(tr.Steps) > 1
	if atomic && tr.TypeID != typeTCL {
		if _, err := se.conn.ExecContext(ctx, "SAVEPOINT sfserver_stmt"); err != nil {
			return nil, execError(err)
		}
	}
	for _, row := range args.rows {
		for _, st := range tr.Steps {
			res, err := se.conn.ExecContext(ctx, st.SQL, args.argsFor(row, st.MaxArg)...)
			if err != nil {
				if st.IgnoreErr != "" && strings.Contains(err.Error(), st.IgnoreErr) {
					continue
				}
				if atomic {
					rctx := context.WithoutCancel(ctx)
					se.conn.ExecContext(rctx, "ROLLBACK TO sfserver_stmt")
					se.conn.ExecContext(rctx, "RELEASE sfserver_stmt")
				}
				s.log.Debug("sqlite statement failed", "sql", st.SQL, "error", err)
				return nil, execError(err)
			}
			if st.CountCol >= 0 && st.CountCol < len(counts) {
				n, _ := res.RowsAffected()
				counts[st.CountCol] += n
			}
		}
	}
	if atomic && tr.TypeID != typeTCL {
		if _, err := se.conn.ExecContext(ctx, "RELEASE sfserver_stmt"); err != nil {
			return nil, execError(err)
		}
	}
	if len(tr.CountCols) == 0 {
		return statusResult(tr, tr.Status), nil
	}
	data := &queryData{StatementTypeID: tr.TypeID, Total: 1, Returned: 1}
	row := make([]*string, len(counts))
	for i, n := range counts {
		v := strconv.FormatInt(n, 10)
		row[i] = &v
		data.RowType = append(data.RowType, rowType{Name: tr.CountCols[i], Type: "fixed", Precision: 19})
		rec.RowsProduced += n
	}
	data.RowSet = [][]*string{row}
	return data, nil
}

// querySelect runs a query and encodes every row (results are inlined; the
// server never uses result chunks).
func (s *Server) querySelect(ctx context.Context, conn *sql.Conn, q string, args []any, rec *historyRecord) (*queryData, *sqlError) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		s.log.Debug("sqlite query failed", "sql", q, "error", err)
		return nil, execError(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, execError(err)
	}
	var values [][]any
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, execError(err)
		}
		values = append(values, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, execError(err)
	}
	rts := make([]rowType, len(cts))
	for i, ct := range cts {
		name := strings.ToUpper(ct.Name())
		rt, ok := rowTypeForDecl(name, ct.DatabaseTypeName())
		if !ok {
			var first any
			for _, r := range values {
				if r[i] != nil {
					first = r[i]
					break
				}
			}
			rt = rowTypeForValue(name, first)
		}
		rts[i] = rt
	}
	if len(rts) == 0 { // never hand the driver an empty rowtype
		rts = []rowType{{Name: "status", Type: "text", Length: maxText, Nullable: true}}
	}
	data := &queryData{StatementTypeID: typeSelect, RowType: rts, RowSet: make([][]*string, 0, len(values))}
	for _, r := range values {
		out := make([]*string, len(rts))
		for i := range r {
			c, err := cell(rts[i], r[i])
			if err != nil {
				return nil, &sqlError{"100035", "22007", err.Error()}
			}
			out[i] = c
			if c != nil {
				rec.BytesScanned += int64(len(*c))
			}
		}
		data.RowSet = append(data.RowSet, out)
	}
	data.Total, data.Returned = int64(len(values)), int64(len(values))
	rec.RowsProduced = int64(len(values))
	return data, nil
}
