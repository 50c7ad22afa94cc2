package dialect

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRebindPostgres(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM T WHERE A = ? AND B = ?", "SELECT * FROM T WHERE A = $1 AND B = $2"},
		{"SELECT '?', \"a?b\", ? FROM T", "SELECT '?', \"a?b\", $1 FROM T"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT ? -- why?\n, ? /* what? */ , ?", "SELECT $1 -- why?\n, $2 /* what? */ , $3"},
		{"SELECT $$ a ? $$, $tag$ ? $tag$, ?", "SELECT $$ a ? $$, $tag$ ? $tag$, $1"},
		{"SELECT $1, ?", "SELECT $1, $1"}, // mixing styles is the caller's problem, but $1 is no dollar quote
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
	}
	for _, c := range cases {
		if got := (Postgres{}).Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := (SQLite{}).Rebind("A = ?"); got != "A = ?" {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
	if got := (Snowflake{}).Rebind("A = ?"); got != "A = ?" {
		t.Errorf("snowflake rebind changed the query: %q", got)
	}
}

func TestQuoteAndFold(t *testing.T) {
	for _, d := range []Dialect{SQLite{}, Postgres{}, Snowflake{}} {
		if got := d.QuoteIdent(`we"ird`); got != `"we""ird"` {
			t.Errorf("%s: QuoteIdent = %s", d.Name(), got)
		}
	}
	if (Postgres{}).FoldIdent("TEST_RESULTS") != "test_results" || (Snowflake{}).FoldIdent("test_results") != "TEST_RESULTS" ||
		(SQLite{}).FoldIdent("Test") != "Test" {
		t.Error("FoldIdent")
	}
}

func TestStatementBuilders(t *testing.T) {
	cols := []Column{{Name: "K"}, JSONCol("J"), {Name: "V"}}
	withCreated := append(cols[:3:3], Column{Name: "C", InsertOnly: true})
	cases := []struct {
		name, got, want string
	}{
		{"sqlite insert", SQLite{}.Insert("T", cols, 2), "INSERT INTO T (K, J, V) VALUES (?, ?, ?), (?, ?, ?)"},
		{"postgres insert", Postgres{}.Rebind(Postgres{}.Insert("T", cols, 2)), "INSERT INTO T (K, J, V) VALUES ($1, $2, $3), ($4, $5, $6)"},
		{"snowflake insert json", Snowflake{}.Insert("T", cols, 2),
			"INSERT INTO T (K, J, V) SELECT ?, PARSE_JSON(?), ? UNION ALL SELECT ?, PARSE_JSON(?), ?"},
		{"snowflake insert plain", Snowflake{}.Insert("T", Cols("A", "B"), 1), "INSERT INTO T (A, B) VALUES (?, ?)"},
		{"sqlite upsert", SQLite{}.Upsert("T", cols, []string{"K"}),
			"INSERT INTO T (K, J, V) VALUES (?, ?, ?) ON CONFLICT (K) DO UPDATE SET J = excluded.J, V = excluded.V"},
		{"postgres upsert keeps insert-only", Postgres{}.Upsert("T", withCreated, []string{"K"}),
			"INSERT INTO T (K, J, V, C) VALUES (?, ?, ?, ?) ON CONFLICT (K) DO UPDATE SET J = excluded.J, V = excluded.V"},
		{"snowflake upsert keeps insert-only", Snowflake{}.Upsert("T", withCreated, []string{"K"}),
			"MERGE INTO T T USING (SELECT ? AS K, PARSE_JSON(?) AS J, ? AS V, ? AS C) S ON T.K = S.K WHEN MATCHED THEN UPDATE SET T.J = S.J, T.V = S.V WHEN NOT MATCHED THEN INSERT (K, J, V, C) VALUES (S.K, S.J, S.V, S.C)"},
		{"postgres ignore", Postgres{}.InsertIgnore("T", cols, []string{"K"}),
			"INSERT INTO T (K, J, V) VALUES (?, ?, ?) ON CONFLICT (K) DO NOTHING"},
		{"snowflake upsert", Snowflake{}.Upsert("T", cols, []string{"K"}),
			"MERGE INTO T T USING (SELECT ? AS K, PARSE_JSON(?) AS J, ? AS V) S ON T.K = S.K WHEN MATCHED THEN UPDATE SET T.J = S.J, T.V = S.V WHEN NOT MATCHED THEN INSERT (K, J, V) VALUES (S.K, S.J, S.V)"},
		{"snowflake ignore", Snowflake{}.InsertIgnore("T", Cols("K", "V"), []string{"K"}),
			"MERGE INTO T T USING (SELECT ? AS K, ? AS V) S ON T.K = S.K WHEN NOT MATCHED THEN INSERT (K, V) VALUES (S.K, S.V)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

func TestValueEncoding(t *testing.T) {
	ts := time.Date(2026, 11, 28, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	if got := (SQLite{}).Time(ts); got != "2026-11-28T04:06:07.123456Z" {
		t.Errorf("sqlite time %v", got)
	}
	for _, d := range []Dialect{Postgres{}, Snowflake{}} {
		if got := d.Time(ts).(time.Time); !got.Equal(ts) || got.Location() != time.UTC {
			t.Errorf("%s time %v", d.Name(), got)
		}
	}
	for _, d := range []Dialect{SQLite{}, Postgres{}, Snowflake{}} {
		if d.Time(time.Time{}) != nil || d.JSON(nil) != nil {
			t.Errorf("%s: zero time / nil JSON must bind NULL", d.Name())
		}
		if _, isFloat := d.Float(1.5).(float64); d.Name() == "snowflake" && isFloat {
			t.Error("snowflake must never bind float64")
		}
	}
	if got := (Snowflake{}).Float(1234.5678); got != "1234.5678" {
		t.Errorf("snowflake float %v", got)
	}
	if got := (Snowflake{}).Float(1e-7); got != "0.0000001" {
		t.Errorf("snowflake small float %v", got)
	}
	if (SQLite{}).Bool(true) != int64(1) || (Postgres{}).Bool(true) != true {
		t.Error("bool encoding")
	}
}

func TestTimeScanRoundTrip(t *testing.T) {
	want := time.Date(2026, 11, 28, 4, 6, 7, 123456000, time.UTC)
	for _, src := range []any{
		SQLite{}.Time(want),
		[]byte(SQLite{}.Time(want).(string)),
		"2026-11-28 04:06:07.123456",
		want.In(time.FixedZone("Y", -7200)),
		"2026-11-28T04:06:07.123456+00:00",
	} {
		var got Time
		if err := got.Scan(src); err != nil {
			t.Fatalf("scan %v: %v", src, err)
		}
		if !got.Valid || !got.Time.Equal(want) || got.Time.Location() != time.UTC {
			t.Errorf("scan %#v = %v", src, got.Time)
		}
	}
	var null Time
	if err := null.Scan(nil); err != nil || null.Valid || null.Ptr() != nil {
		t.Error("NULL time")
	}
	if err := null.Scan(42); err == nil {
		t.Error("int accepted as time")
	}
}

func TestJSONAndFloatScan(t *testing.T) {
	var j JSON
	if err := j.Scan([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	var m map[string]int
	if err := json.Unmarshal(j.Raw, &m); err != nil || m["a"] != 1 {
		t.Fatalf("json %s %v", j.Raw, err)
	}
	var f Float
	for src, want := range map[any]float64{"12.500000": 12.5, 3.25: 3.25, int64(7): 7} {
		if err := f.Scan(src); err != nil || f.Float != want {
			t.Errorf("float scan %v = %v %v", src, f.Float, err)
		}
	}
}

func TestFor(t *testing.T) {
	for _, n := range []string{"sqlite", "postgres", "snowflake"} {
		d, err := For(n)
		if err != nil || d.Name() != n {
			t.Fatalf("For(%s) = %v, %v", n, d, err)
		}
	}
	if _, err := For("mysql"); err == nil {
		t.Fatal("unknown dialect accepted")
	}
	if diff := cmp.Diff(1213, RowsPerStatement(SQLite{}, 27, 0)); diff != "" {
		t.Error(diff)
	}
}

func TestIsUndefinedTable(t *testing.T) {
	cases := []struct {
		d    Dialect
		msg  string
		want bool
	}{
		{SQLite{}, "SQL logic error: no such table: SCHEMA_VERSION (1)", true},
		{Postgres{}, `ERROR: relation "schema_version" does not exist (SQLSTATE 42P01)`, true},
		{Snowflake{}, "002003 (42S02): SQL compilation error:\nObject 'SCHEMA_VERSION' does not exist or not authorized.", true},
		{Postgres{}, "ERROR: permission denied for table schema_version (SQLSTATE 42501)", false},
		{Snowflake{}, "390100 (08004): Incorrect username or password was specified.", false},
	}
	for _, c := range cases {
		if got := c.d.IsUndefinedTable(errors.New(c.msg)); got != c.want {
			t.Errorf("%s IsUndefinedTable(%q) = %v", c.d.Name(), c.msg, got)
		}
	}
	if (SQLite{}).IsUndefinedTable(nil) {
		t.Error("nil error is an undefined table")
	}
}
