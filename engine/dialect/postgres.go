package dialect

import (
	"strings"
	"time"

	"github.com/flakebench/fbctl/internal/sqlscan"
)

// Postgres is the Postgres results store and target (driver "pgx",
// jackc/pgx/v5/stdlib). Placeholders are `$n`; unquoted identifiers fold to
// lower case; JSON is JSONB bound as text; timestamps are TIMESTAMPTZ bound
// as time.Time in UTC.
type Postgres struct{}

var _ Dialect = Postgres{}

func (Postgres) Name() string                  { return "postgres" }
func (Postgres) DriverName() string            { return "pgx" }
func (Postgres) Rebind(q string) string        { return sqlscan.Rebind(q) }
func (Postgres) QuoteIdent(name string) string { return quoteWith(name, '"') }
func (Postgres) FoldIdent(name string) string  { return strings.ToLower(name) }
func (Postgres) Param(Column) string           { return "?" }
func (Postgres) TransactionalDDL() bool        { return true }

// MaxBindVars is the protocol's limit of 65535 parameters per statement.
func (Postgres) MaxBindVars() int { return 65535 }

func (d Postgres) Insert(table string, cols []Column, rows int) string {
	return valuesInsert(d, table, cols, rows)
}

func (d Postgres) Upsert(table string, cols []Column, keys []string) string {
	return onConflict(d, table, cols, keys, true)
}

func (d Postgres) InsertIgnore(table string, cols []Column, keys []string) string {
	return onConflict(d, table, cols, keys, false)
}

func (Postgres) JSON(raw []byte) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func (Postgres) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func (Postgres) Bool(b bool) any     { return b }
func (Postgres) Float(f float64) any { return finite(f) }

func (Postgres) TableExists(table string) (string, []any) {
	return "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
		[]any{strings.ToLower(table)}
}

func (Postgres) IsUndefinedTable(err error) bool { return errContains(err, "SQLSTATE 42P01") }

// Clock reads the server's clock at the moment of the call.
func (Postgres) Clock() (string, time.Duration) { return "SELECT clock_timestamp()", time.Microsecond }

// NowMillis implements Dialect (clock_timestamp, not now(): the latter is
// the transaction's start).
func (Postgres) NowMillis() string { return "(extract(epoch from clock_timestamp()) * 1000)::bigint" }
