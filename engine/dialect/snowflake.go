package dialect

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Snowflake is the Snowflake results store and target (driver "snowflake",
// gosnowflake, registered by cmd/fbctl). Placeholders stay `?`; unquoted
// identifiers fold to upper case; JSON goes into VARIANT through PARSE_JSON,
// which Snowflake does not allow in a VALUES list, so inserts with JSON
// columns are INSERT ... SELECT ... UNION ALL SELECT and upserts are MERGE statements. Timestamps are
// bound as time.Time in UTC (TIMESTAMP_NTZ). Floats are bound as decimal text
// (never float64: the driver sends it with float32 precision) into NUMBER
// columns.
type Snowflake struct{}

var _ Dialect = Snowflake{}

func (Snowflake) Name() string                  { return "snowflake" }
func (Snowflake) DriverName() string            { return "snowflake" }
func (Snowflake) Rebind(q string) string        { return q }
func (Snowflake) QuoteIdent(name string) string { return quoteWith(name, '"') }
func (Snowflake) FoldIdent(name string) string  { return strings.ToUpper(name) }
func (Snowflake) TransactionalDDL() bool        { return false }

// MaxBindVars keeps multi-row binds well under the driver's stage-binding
// threshold.
func (Snowflake) MaxBindVars() int { return 16000 }

func (Snowflake) Param(c Column) string {
	if c.JSON {
		return "PARSE_JSON(?)"
	}
	return "?"
}

func (d Snowflake) Insert(table string, cols []Column, rows int) string {
	hasJSON := false
	for _, c := range cols {
		hasJSON = hasJSON || c.JSON
	}
	if !hasJSON {
		return valuesInsert(d, table, cols, rows)
	}
	// INSERT ... SELECT p1, PARSE_JSON(p2) UNION ALL SELECT ...: valid
	// Snowflake, and plain enough for SQL translators in test doubles.
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = d.Param(c)
	}
	row := "SELECT " + strings.Join(sel, ", ")
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) ", table, names(cols))
	for i := 0; i < max1(rows); i++ {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString(row)
	}
	return b.String()
}

func (d Snowflake) Upsert(table string, cols []Column, keys []string) string {
	return d.merge(table, cols, keys, true)
}

func (d Snowflake) InsertIgnore(table string, cols []Column, keys []string) string {
	return d.merge(table, cols, keys, false)
}

func (d Snowflake) merge(table string, cols []Column, keys []string, update bool) string {
	src := make([]string, len(cols))
	ins := make([]string, len(cols))
	var set []string
	for i, c := range cols {
		src[i] = d.Param(c) + " AS " + c.Name
		ins[i] = "S." + c.Name
		if !contains(keys, c.Name) && !c.InsertOnly {
			set = append(set, "T."+c.Name+" = S."+c.Name)
		}
	}
	on := make([]string, len(keys))
	for i, k := range keys {
		on[i] = "T." + k + " = S." + k
	}
	q := fmt.Sprintf("MERGE INTO %s T USING (SELECT %s) S ON %s", table, strings.Join(src, ", "), strings.Join(on, " AND "))
	if update && len(set) > 0 {
		q += " WHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", ")
	}
	return q + fmt.Sprintf(" WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)", names(cols), strings.Join(ins, ", "))
}

func (Snowflake) JSON(raw []byte) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

// Time binds a time.Time in UTC: gosnowflake sends it as TIMESTAMP_NTZ
// (epoch nanoseconds, zone dropped), so the column holds the UTC wall clock.
func (Snowflake) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func (Snowflake) Bool(b bool) any { return b }

func (Snowflake) Float(f float64) any {
	return strconv.FormatFloat(finite(f), 'f', -1, 64)
}

func (Snowflake) TableExists(table string) (string, []any) {
	return "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = ?",
		[]any{strings.ToUpper(table)}
}

func (Snowflake) IsUndefinedTable(err error) bool { return errContains(err, "002003", "42S02") }

// Clock reads the service's clock as UTC (SYSDATE is TIMESTAMP_NTZ in UTC
// whatever the session's time zone).
func (Snowflake) Clock() (string, time.Duration) { return "SELECT SYSDATE()", time.Millisecond }

// NowMillis implements Dialect.
func (Snowflake) NowMillis() string { return "DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP())" }
