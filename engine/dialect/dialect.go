package dialect

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Dialect describes one backend. Store code writes SQL with `?` placeholders
// and unquoted upper-case identifiers, then passes it through Rebind.
type Dialect interface {
	// Name is "sqlite", "postgres" or "snowflake"; it is also the schema
	// directory name under sql/schema.
	Name() string
	// DriverName is the database/sql driver name registered by cmd/fbctl.
	DriverName() string
	// Rebind rewrites `?` placeholders to the backend's style, leaving `?`
	// inside string literals, quoted identifiers and comments alone.
	Rebind(query string) string
	// QuoteIdent quotes an identifier exactly as given.
	QuoteIdent(name string) string
	// FoldIdent returns the name the catalog stores for an unquoted
	// identifier (lower case on Postgres, upper case on Snowflake).
	FoldIdent(name string) string
	// Param returns the placeholder expression for one column value, e.g.
	// `PARSE_JSON(?)` for a JSON column on Snowflake.
	Param(c Column) string
	// Insert builds a multi-row INSERT of rows rows (rows >= 1).
	Insert(table string, cols []Column, rows int) string
	// Upsert builds a single-row insert-or-update keyed on keys: non-key
	// columns are overwritten when the key exists.
	Upsert(table string, cols []Column, keys []string) string
	// InsertIgnore builds a single-row insert that does nothing when a row
	// with the same keys exists; RowsAffected tells which happened.
	InsertIgnore(table string, cols []Column, keys []string) string
	// JSON returns the parameter value for a JSON column (nil → NULL).
	JSON(raw []byte) any
	// Time returns the parameter value for a UTC timestamp (zero → NULL).
	Time(t time.Time) any
	// Bool returns the parameter value for a boolean.
	Bool(b bool) any
	// Float returns the parameter value for a floating-point number;
	// non-finite values are stored as 0.
	Float(f float64) any
	// TableExists returns a query and arguments that yield one integer row:
	// the number of tables named table in the current schema.
	TableExists(table string) (string, []any)
	// IsUndefinedTable reports whether err says a table does not exist
	// (SQLite "no such table", Postgres SQLSTATE 42P01, Snowflake 002003 /
	// SQLSTATE 42S02). Drivers are not imported, so it reads the message.
	IsUndefinedTable(err error) bool
	// TransactionalDDL reports whether DDL can run inside a transaction.
	TransactionalDDL() bool
	// MaxBindVars is the number of bind variables a statement may carry.
	MaxBindVars() int
	// Clock returns the query that reads the database's own clock (one
	// row, one timestamp) and the resolution of what it returns.
	Clock() (query string, resolution time.Duration)
	// NowMillis is an SQL expression for the database's clock now, in
	// milliseconds since the Unix epoch (an integer): what leases compare
	// against, so their expiry never depends on a client's clock.
	NowMillis() string
}

// Column is a column in a statement built by a Dialect.
type Column struct {
	Name string
	JSON bool // the column holds JSON (JSONB on Postgres, VARIANT on Snowflake)
	// InsertOnly columns are written when an upsert inserts and kept when
	// it updates (e.g. CREATED_AT).
	InsertOnly bool
}

// Cols returns plain columns with the given names.
func Cols(names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n}
	}
	return out
}

// JSONCol returns a JSON column.
func JSONCol(name string) Column { return Column{Name: name, JSON: true} }

// For returns the dialect with the given name.
func For(name string) (Dialect, error) {
	switch name {
	case "sqlite":
		return SQLite{}, nil
	case "postgres":
		return Postgres{}, nil
	case "snowflake":
		return Snowflake{}, nil
	}
	return nil, fmt.Errorf("dialect: unknown dialect %q (want sqlite, postgres or snowflake)", name)
}

// RowsPerStatement is how many rows of ncols columns fit one statement.
func RowsPerStatement(d Dialect, ncols, max int) int {
	n := d.MaxBindVars() / ncols
	if max > 0 && n > max {
		n = max
	}
	return max1(n)
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func names(cols []Column) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = c.Name
	}
	return strings.Join(s, ", ")
}

// valuesInsert builds INSERT INTO t (cols) VALUES (...), (...) with each
// dialect's per-column placeholder.
func valuesInsert(d Dialect, table string, cols []Column, rows int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, names(cols))
	row := valuesRow(d, cols)
	for i := 0; i < max1(rows); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

func valuesRow(d Dialect, cols []Column) string {
	p := make([]string, len(cols))
	for i, c := range cols {
		p[i] = d.Param(c)
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// onConflict builds the SQLite/Postgres INSERT ... ON CONFLICT forms.
func onConflict(d Dialect, table string, cols []Column, keys []string, update bool) string {
	q := valuesInsert(d, table, cols, 1) + " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO "
	var set []string
	if update {
		for _, c := range cols {
			if !contains(keys, c.Name) && !c.InsertOnly {
				set = append(set, c.Name+" = excluded."+c.Name)
			}
		}
	}
	if len(set) == 0 {
		return q + "NOTHING"
	}
	return q + "UPDATE SET " + strings.Join(set, ", ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func errContains(err error, subs ...string) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, s := range subs {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func quoteWith(name string, q byte) string {
	qs := string(q)
	return qs + strings.ReplaceAll(name, qs, qs+qs) + qs
}
