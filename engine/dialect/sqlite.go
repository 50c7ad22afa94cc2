package dialect

import (
	"strings"
	"time"
)

// SQLiteTimeFormat is how timestamps are stored in SQLite: ISO-8601 UTC text
// with exactly six fractional digits, so text order is time order.
const SQLiteTimeFormat = "2006-01-02T15:04:05.000000Z"

// SQLite is the embedded results store and target (driver "sqlite",
// modernc.org/sqlite). Placeholders stay `?`; JSON is TEXT; booleans are
// INTEGER 0/1; timestamps are SQLiteTimeFormat text.
type SQLite struct{}

var _ Dialect = SQLite{}

func (SQLite) Name() string                  { return "sqlite" }
func (SQLite) DriverName() string            { return "sqlite" }
func (SQLite) Rebind(q string) string        { return q }
func (SQLite) QuoteIdent(name string) string { return quoteWith(name, '"') }
func (SQLite) FoldIdent(name string) string  { return name }
func (SQLite) Param(Column) string           { return "?" }
func (SQLite) TransactionalDDL() bool        { return true }

// MaxBindVars is SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
func (SQLite) MaxBindVars() int { return 32766 }

func (d SQLite) Insert(table string, cols []Column, rows int) string {
	return valuesInsert(d, table, cols, rows)
}

func (d SQLite) Upsert(table string, cols []Column, keys []string) string {
	return onConflict(d, table, cols, keys, true)
}

func (d SQLite) InsertIgnore(table string, cols []Column, keys []string) string {
	return onConflict(d, table, cols, keys, false)
}

func (SQLite) JSON(raw []byte) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func (SQLite) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(SQLiteTimeFormat)
}

func (SQLite) Bool(b bool) any {
	if b {
		return int64(1)
	}
	return int64(0)
}

func (SQLite) Float(f float64) any { return finite(f) }

func (SQLite) TableExists(table string) (string, []any) {
	return "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
		[]any{strings.ToUpper(table)}
}

func (SQLite) IsUndefinedTable(err error) bool { return errContains(err, "no such table") }

// Clock reads the host's clock as SQLite sees it, in milliseconds.
func (SQLite) Clock() (string, time.Duration) {
	return "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", time.Millisecond
}

// NowMillis implements Dialect.
func (SQLite) NowMillis() string { return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)" }
