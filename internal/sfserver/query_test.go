package sfserver_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/internal/sfserver"
)

var queryIDPattern = regexp.MustCompile(`^01[0-9a-f]{6}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

const createQE = `CREATE HYBRID TABLE IF NOT EXISTS QE (
	ID NUMBER(38,0) NOT NULL PRIMARY KEY,
	NAME VARCHAR(64),
	OK BOOLEAN,
	AT TIMESTAMP_NTZ,
	AMOUNT NUMBER(10,2),
	PAYLOAD VARIANT,
	DAY DATE,
	AT_TZ TIMESTAMP_TZ,
	INDEX QE_NAME (NAME)
)`

func TestHybridTableBindsAndTypes(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, createQE)
	mustExec(t, db, createQE) // IF NOT EXISTS: idempotent
	at := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	tz := time.Date(2025, 6, 1, 12, 0, 0, 5000, time.FixedZone("", 2*3600))
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	res := mustExec(t, db, `INSERT INTO QE (ID, NAME, OK, AT, AMOUNT, PAYLOAD, DAY, AT_TZ)
		SELECT ?, ?, ?, ?, ?, PARSE_JSON(?), ?, ?`,
		int64(1), "q1-scan", true, at, "12.5", `{"k":[1,2]}`, sf.DataTypeDate, day, sf.DataTypeTimestampTz, tz)
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("RowsAffected = %d, %v", n, err)
	}
	mustExec(t, db, "INSERT INTO QE (ID, NAME, OK) VALUES (?, ?, ?)", int64(2), nil, false)

	rows, err := db.Query("SELECT ID, NAME, OK, AT, AMOUNT, PAYLOAD, DAY, AT_TZ FROM QE ORDER BY ID")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, _ := rows.ColumnTypes()
	var types []string
	for _, ct := range cts {
		types = append(types, ct.Name()+":"+ct.DatabaseTypeName())
	}
	want := []string{"ID:FIXED", "NAME:TEXT", "OK:BOOLEAN", "AT:TIMESTAMP_NTZ", "AMOUNT:FIXED", "PAYLOAD:VARIANT", "DAY:DATE", "AT_TZ:TIMESTAMP_TZ"}
	if len(types) != len(want) {
		t.Fatalf("columns %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Errorf("column %d = %s, want %s", i, types[i], want[i])
		}
	}
	var (
		id      int64
		name    sql.NullString
		ok      bool
		gotAt   sql.NullTime
		amount  sql.NullFloat64
		payload sql.NullString
		gotDay  sql.NullTime
		gotTZ   sql.NullTime
	)
	rows.Next()
	if err := rows.Scan(&id, &name, &ok, &gotAt, &amount, &payload, &gotDay, &gotTZ); err != nil {
		t.Fatal(err)
	}
	if id != 1 || name.String != "q1-scan" || !ok || !gotAt.Time.Equal(at) || amount.Float64 != 12.5 ||
		payload.String != `{"k":[1,2]}` || !gotDay.Time.Equal(day) || !gotTZ.Time.Equal(tz) {
		t.Errorf("row 1 = %d %q %v %v %v %q %v %v", id, name.String, ok, gotAt.Time, amount.Float64, payload.String, gotDay.Time, gotTZ.Time)
	}
	if _, off := gotTZ.Time.Zone(); off != 2*3600 {
		t.Errorf("TIMESTAMP_TZ offset = %d s, want 7200", off)
	}
	rows.Next()
	if err := rows.Scan(&id, &name, &ok, &gotAt, &amount, &payload, &gotDay, &gotTZ); err != nil {
		t.Fatal(err)
	}
	if id != 2 || name.Valid || ok || gotAt.Valid || amount.Valid {
		t.Errorf("row 2 = %d %v %v %v %v, want NULLs and false", id, name, ok, gotAt, amount)
	}
	if rows.Next() {
		t.Error("more than 2 rows")
	}
	var k string
	if err := db.QueryRow("SELECT PAYLOAD:k::STRING FROM QE WHERE ID = 1").Scan(&k); err != nil || k != "[1,2]" {
		t.Errorf("PAYLOAD:k = %q, %v", k, err)
	}
	// An empty result still carries column metadata (never an empty rowtype).
	empty, err := db.Query("SELECT ID, NAME FROM QE WHERE ID < 0")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := empty.Columns()
	empty.Close()
	if len(cols) != 2 {
		t.Errorf("empty result columns = %v", cols)
	}
}

func TestArrayBindInsertsManyRows(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, createQE)
	ats := []time.Time{time.Unix(100, 0).UTC(), time.Unix(200, 0).UTC(), time.Unix(300, 0).UTC()}
	res := mustExec(t, db, "INSERT INTO QE (ID, NAME, OK, AT) VALUES (?, ?, ?, ?)",
		sf.Array([]int64{10, 11, 12}), sf.Array([]string{"a", "b", "c"}), sf.Array([]bool{true, false, true}),
		sf.Array(ats, sf.TimestampNTZType))
	if n, err := res.RowsAffected(); err != nil || n != 3 {
		t.Fatalf("RowsAffected = %d, %v, want 3", n, err)
	}
	var n, trues int64
	var maxAt time.Time
	if err := db.QueryRow("SELECT COUNT(*), SUM(IFF(OK, 1, 0)), MAX(AT) FROM QE WHERE NAME IN ('a','b','c')").Scan(&n, &trues, &maxAt); err != nil {
		t.Fatal(err)
	}
	if n != 3 || trues != 2 || !maxAt.Equal(ats[2]) {
		t.Errorf("count=%d trues=%d max=%v", n, trues, maxAt)
	}
	// A failing row rolls the whole array insert back.
	_, err := db.Exec("INSERT INTO QE (ID, NAME) VALUES (?, ?)", sf.Array([]int64{20, 10}), sf.Array([]string{"x", "dup"}))
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 200001 {
		t.Fatalf("duplicate key insert: %v, want SnowflakeError 200001", err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM QE WHERE ID = 20").Scan(&n); err != nil || n != 0 {
		t.Errorf("row 20 count = %d, %v: array insert was not atomic", n, err)
	}
}

func TestTransactionsArePerSession(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, createQE)
	ctx := context.Background()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	count := func(c *sql.Conn) int64 {
		t.Helper()
		var n int64
		if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM QE").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "INSERT INTO QE (ID) VALUES (1)")
	if got := count(a); got != 1 {
		t.Errorf("own uncommitted insert: count %d, want 1", got)
	}
	if got := count(b); got != 0 {
		t.Errorf("other session sees uncommitted insert: count %d", got)
	}
	mustExec(t, a, "ROLLBACK")
	if got := count(a); got != 0 {
		t.Errorf("after rollback: count %d", got)
	}
	tx, err := a.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, "INSERT INTO QE (ID) VALUES (2)")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := count(b); got != 1 {
		t.Errorf("other session after commit: count %d, want 1", got)
	}
	if s.Stats().Sessions < 2 {
		t.Errorf("server has %d sessions, want one per connection", s.Stats().Sessions)
	}
}

func TestQueryIDsAndTagsInQueryHistory(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, strings.Replace(createQE, "HYBRID ", "", 1)) // short hybrid statements are only aggregated
	mustExec(t, conn, "ALTER SESSION SET QUERY_TAG = 'flakebench:run=r1:worker=0:phase=measure'")

	// 1. WithQueryIDChan (buffered channel).
	ch := make(chan string, 1)
	if _, err := conn.ExecContext(sf.WithQueryIDChan(ctx, ch), "INSERT INTO QE (ID) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	id1 := <-ch
	// 2. conn.Raw + SnowflakeResult / SnowflakeRows.
	var id2, id3 string
	err = conn.Raw(func(x any) error {
		res, err := x.(driver.ExecerContext).ExecContext(ctx, "INSERT INTO QE (ID) VALUES (?)", []driver.NamedValue{{Ordinal: 1, Value: int64(2)}})
		if err != nil {
			return err
		}
		id2 = res.(sf.SnowflakeResult).GetQueryID()
		rows, err := x.(driver.QueryerContext).QueryContext(sf.WithQueryTag(ctx, "per-statement-tag"), "SELECT ID FROM QE", nil)
		if err != nil {
			return err
		}
		id3 = rows.(sf.SnowflakeRows).GetQueryID()
		return rows.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{id1, id2, id3} {
		if !queryIDPattern.MatchString(id) {
			t.Errorf("query id %q is not in Snowflake's format", id)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT QUERY_ID, QUERY_TAG, QUERY_TYPE, EXECUTION_STATUS, WAREHOUSE_NAME,
		SESSION_ID, ROWS_PRODUCED, TOTAL_ELAPSED_TIME, START_TIME
		FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000)) WHERE QUERY_ID IN (?, ?, ?) ORDER BY START_TIME`, id1, id2, id3)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type rec struct {
		id, tag, typ, status, wh   string
		session, produced, elapsed int64
		start                      time.Time
	}
	var got []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.tag, &r.typ, &r.status, &r.wh, &r.session, &r.produced, &r.elapsed, &r.start); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("QUERY_HISTORY returned %d rows for 3 ids: %+v", len(got), got)
	}
	tags := []string{"flakebench:run=r1:worker=0:phase=measure", "flakebench:run=r1:worker=0:phase=measure", "per-statement-tag"}
	for i, r := range got {
		if r.id != []string{id1, id2, id3}[i] || r.tag != tags[i] || r.status != "SUCCESS" || r.wh != "COMPUTE_WH" || r.session == 0 {
			t.Errorf("history row %d = %+v", i, r)
		}
	}
	if got[0].typ != "INSERT" || got[2].typ != "SELECT" || got[2].produced != 2 {
		t.Errorf("types/rows: %+v", got)
	}
	var sessionRows int64
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_SESSION())").Scan(&sessionRows); err != nil {
		t.Fatal(err)
	}
	if sessionRows < 6 {
		t.Errorf("QUERY_HISTORY_BY_SESSION has %d rows, want at least 6", sessionRows)
	}
	if ss := s.Sessions(); len(ss) == 0 || ss[0].Params["QUERY_TAG"] != "flakebench:run=r1:worker=0:phase=measure" || ss[0].Params["TIMEZONE"] != "UTC" {
		t.Errorf("Sessions() = %+v", ss)
	}
	// A snapshot taken inside a rolled-back transaction is not lost.
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.QUERY_HISTORY")
	mustExec(t, conn, "ROLLBACK")
	var after int64
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.QUERY_HISTORY WHERE QUERY_ID = ?", id1).Scan(&after); err != nil || after != 1 {
		t.Errorf("after ROLLBACK, history rows for %s = %d, %v", id1, after, err)
	}
}

func TestInjectedErrorsSurfaceAsSnowflakeErrors(t *testing.T) {
	s := startServer(t, sfserver.Options{Warehouses: []sfserver.Warehouse{{Name: "BENCH_WH", State: "SUSPENDED"}},
		HybridHistoryMin: -1}) // the failed hybrid insert is looked up in the history
	db := openDB(t, s)
	mustExec(t, db, createQE)
	const lockMsg = "Statement '01b0' was aborted because the number of waiters for this lock exceeds the 20 statements limit."
	s.InjectError("insert into qe", "000625", "57014", lockMsg, 1)
	_, err := db.Exec("INSERT INTO QE (ID) VALUES (1)")
	var se *sf.SnowflakeError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SnowflakeError", err, err)
	}
	if se.Number != 625 || se.SQLState != "57014" || se.Message != lockMsg || !queryIDPattern.MatchString(se.QueryID) {
		t.Errorf("SnowflakeError = %+v", se)
	}
	mustExec(t, db, "INSERT INTO QE (ID) VALUES (1)") // times=1: only the first fails
	hist := s.QueryHistory()
	var failed int
	for _, h := range hist {
		if h.Status == "FAILED_WITH_ERROR" && h.ErrorCode == "000625" && h.QueryID == se.QueryID {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("history has %d failed 000625 entries for %s", failed, se.QueryID)
	}

	// Suspended warehouse without auto-resume: 000606 until resumed.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "USE WAREHOUSE BENCH_WH")
	_, err = conn.ExecContext(context.Background(), "SELECT COUNT(*) FROM QE")
	if !errors.As(err, &se) || se.Number != 606 || se.SQLState != "57P03" {
		t.Fatalf("query on suspended warehouse: %v, want 000606", err)
	}
	mustExec(t, conn, "ALTER WAREHOUSE BENCH_WH RESUME IF SUSPENDED")
	mustExec(t, conn, "SELECT COUNT(*) FROM QE")
	if w, _ := s.Warehouse("bench_wh"); w.State != "STARTED" {
		t.Errorf("warehouse state %s after RESUME", w.State)
	}
	// Unknown tables give Snowflake's object-does-not-exist error.
	_, err = db.Exec("SELECT * FROM NOPE")
	if !errors.As(err, &se) || se.Number != 2003 || se.SQLState != "42S02" {
		t.Errorf("missing table: %v", err)
	}
}

func TestShowAndAlterWarehouses(t *testing.T) {
	s := startServer(t, sfserver.Options{Warehouses: []sfserver.Warehouse{
		{Name: "BENCH_WH", State: "SUSPENDED", Size: "Medium", MaxClusters: 3, Queued: 4}}})
	db := openDB(t, s)
	read := func(q string) map[string]map[string]string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		out := map[string]map[string]string{}
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for i, c := range cols {
				m[c] = vals[i].String
			}
			out[m["name"]] = m
		}
		return out
	}
	all := read("SHOW WAREHOUSES")
	b, ok := all["BENCH_WH"]
	if len(all) != 2 || !ok {
		t.Fatalf("SHOW WAREHOUSES = %v", all)
	}
	if b["state"] != "SUSPENDED" || b["size"] != "Medium" || b["max_cluster_count"] != "3" || b["queued"] != "4" ||
		b["started_clusters"] != "0" || b["running"] != "0" || b["type"] != "STANDARD" {
		t.Errorf("BENCH_WH = %v", b)
	}
	mustExec(t, db, "ALTER WAREHOUSE BENCH_WH RESUME")
	like := read("SHOW WAREHOUSES LIKE 'bench%'")
	if len(like) != 1 || like["BENCH_WH"]["state"] != "STARTED" || like["BENCH_WH"]["started_clusters"] != "1" {
		t.Errorf("after RESUME, SHOW WAREHOUSES LIKE = %v", like)
	}
	mustExec(t, db, "ALTER WAREHOUSE BENCH_WH SUSPEND")
	if w, _ := s.Warehouse("BENCH_WH"); w.State != "SUSPENDED" {
		t.Errorf("state after SUSPEND = %s", w.State)
	}
}

func TestMergeUpsert(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, createQE)
	const merge = `MERGE INTO QE t USING (SELECT ? AS ID, ? AS NAME) s ON t.ID = s.ID
		WHEN MATCHED THEN UPDATE SET NAME = s.NAME
		WHEN NOT MATCHED THEN INSERT (ID, NAME) VALUES (s.ID, s.NAME)`
	for i, name := range []string{"first", "second"} {
		res := mustExec(t, db, merge, int64(7), name)
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Errorf("merge %d: RowsAffected = %d, %v", i, n, err)
		}
	}
	var n int64
	var name string
	if err := db.QueryRow("SELECT COUNT(*), MAX(NAME) FROM QE").Scan(&n, &name); err != nil {
		t.Fatal(err)
	}
	if n != 1 || name != "second" {
		t.Errorf("after two merges: %d rows, name %q; want 1 row named second", n, name)
	}
}
