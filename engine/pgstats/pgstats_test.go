package pgstats

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var withStatements = pgtest.Options{Preload: []string{Extension}}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dbName(dsn string) string {
	s := dsn[strings.LastIndex(dsn, "/")+1:]
	return s[:strings.Index(s, "?")]
}

// On a server without the library preloaded, Available says so, before and
// after CREATE EXTENSION, and Begin still works and reports the reason.
func TestAvailableWithoutPreload(t *testing.T) {
	ctx := ctxT(t)
	srv := pgtest.Shared(t)
	dsn := pgtest.FreshDatabaseOn(t, srv)
	db := open(t, dsn)

	ok, reason, err := Available(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if ok || !strings.Contains(reason, "not loaded and not installed") || !strings.Contains(reason, "shared_preload_libraries") {
		t.Fatalf("Available = %v, %q", ok, reason)
	}
	w, err := Begin(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.End(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Available || r.Reason != reason || r.Statements != nil {
		t.Fatalf("report = %+v", r)
	}

	if err := srv.CreateExtension(ctx, dbName(dsn), Extension); err != nil {
		t.Fatal(err)
	}
	ok, reason, err = Available(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if ok || !strings.Contains(reason, "installed in database") || !strings.Contains(reason, "but not loaded") {
		t.Fatalf("after CREATE EXTENSION: Available = %v, %q", ok, reason)
	}
	if _, err := TakeSnapshot(ctx, db); err == nil {
		t.Fatal("TakeSnapshot succeeded on a server without the library loaded")
	}
}

// With the library preloaded, the extension must still be created in the
// database; then Available is true.
func TestAvailableNeedsCreateExtension(t *testing.T) {
	ctx := ctxT(t)
	srv := pgtest.SharedWith(t, withStatements)
	dsn := pgtest.FreshDatabaseOn(t, srv)
	db := open(t, dsn)
	ok, reason, err := Available(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if ok || !strings.Contains(reason, "loaded but not installed") || !strings.Contains(reason, "CREATE EXTENSION pg_stat_statements") {
		t.Fatalf("Available = %v, %q", ok, reason)
	}
	if err := srv.CreateExtension(ctx, dbName(dsn), Extension); err != nil {
		t.Fatal(err)
	}
	if ok, reason, err = Available(ctx, db); err != nil || !ok || reason != "" {
		t.Fatalf("Available = %v, %q, %v", ok, reason, err)
	}
}

func TestAvailableFailsOnClosedDB(t *testing.T) {
	db := open(t, pgtest.FreshDatabase(t))
	db.Close()
	if _, _, err := Available(context.Background(), db); err == nil {
		t.Fatal("no error from a closed pool")
	}
}

// The window's report holds exactly what ran inside it: calls, rows and
// WAL of each statement, nothing from before, nothing of other databases,
// none of the package's own snapshot queries.
func TestWindowMeasuresStatements(t *testing.T) {
	ctx := ctxT(t)
	srv := pgtest.SharedWith(t, withStatements)
	dsn := pgtest.FreshDatabaseOn(t, srv)
	other := open(t, pgtest.FreshDatabaseOn(t, srv))
	if err := srv.CreateExtension(ctx, dbName(dsn), Extension); err != nil {
		t.Fatal(err)
	}
	db := open(t, dsn)
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE TABLE acc (id int PRIMARY KEY, v text)",
		"INSERT INTO acc SELECT i, md5(i::text) FROM generate_series(1, 1000) i",
		"SELECT count(*) FROM acc WHERE v LIKE 'a%'", // before the window only
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	w, err := Begin(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		var v string
		if err := db.QueryRowContext(ctx, "SELECT v FROM acc WHERE id = $1", i).Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10; i++ {
		if _, err := db.ExecContext(ctx, "UPDATE acc SET v = $1 WHERE id BETWEEN $2 AND $3", "x", i*3+1, i*3+3); err != nil {
			t.Fatal(err)
		}
		if _, err := other.ExecContext(ctx, "SELECT $1::int + 1", i); err != nil {
			t.Fatal(err)
		}
	}
	r, err := w.End(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Available || r.ServerVersion < 100000 || r.Database != dbName(dsn) || !r.To.After(r.From) || r.Reset {
		t.Fatalf("report header = %+v", r)
	}
	byText := map[string]StatementDelta{}
	for _, s := range r.Statements {
		if strings.Contains(s.Query, "pgstats") || strings.Contains(s.Query, "LIKE") || strings.Contains(s.Query, "+ 1") {
			t.Errorf("statement outside the window or database in the report: %q", s.Query)
		}
		byText[s.Query] = s
	}
	sel, ok := byText["SELECT v FROM acc WHERE id = $1"]
	if !ok {
		t.Fatalf("point lookup missing from %+v", r.Statements)
	}
	if sel.Calls != 50 || sel.Rows != 50 || sel.SharedHit+sel.SharedRead == 0 || sel.QueryID == 0 || !sel.TopLevel {
		t.Errorf("point lookup delta = %+v", sel)
	}
	if sel.MeanExecUS != (sel.TotalExecUS+sel.Calls/2)/sel.Calls && sel.MeanExecUS != sel.TotalExecUS/sel.Calls {
		t.Errorf("mean %d is not total %d / calls %d", sel.MeanExecUS, sel.TotalExecUS, sel.Calls)
	}
	upd, ok := byText["UPDATE acc SET v = $1 WHERE id BETWEEN $2 AND $3"]
	if !ok {
		t.Fatalf("update missing from %+v", r.Statements)
	}
	if upd.Calls != 10 || upd.Rows != 30 {
		t.Errorf("update delta = %+v", upd)
	}
	if r.ServerVersion >= 130000 && (upd.WALRecords < 30 || upd.WALBytes <= 0) {
		t.Errorf("update WAL = %d records, %d bytes", upd.WALRecords, upd.WALBytes)
	}
	for i := 1; i < len(r.Statements); i++ {
		if r.Statements[i].TotalExecUS > r.Statements[i-1].TotalExecUS {
			t.Fatalf("statements not ordered by total time: %+v", r.Statements)
		}
	}
}

func TestDeltaResetsAndMerges(t *testing.T) {
	before := Snapshot{Statements: []Statement{
		{UserID: 10, QueryID: 1, TopLevel: true, Query: "q1", Calls: 5, TotalExecUS: 500, Rows: 5},
		{UserID: 11, QueryID: 1, TopLevel: true, Query: "q1", Calls: 1, TotalExecUS: 100, Rows: 1},
		{UserID: 10, QueryID: 2, TopLevel: true, Query: "q2", Calls: 100, TotalExecUS: 9000, Rows: 100},
		{UserID: 10, QueryID: 3, TopLevel: true, Query: "idle", Calls: 7, TotalExecUS: 70},
		{UserID: 10, QueryID: 5, TopLevel: true, Query: "gone", Calls: 7, TotalExecUS: 70},
	}}
	after := Snapshot{Statements: []Statement{
		{UserID: 10, QueryID: 1, TopLevel: true, Query: "q1", Calls: 8, TotalExecUS: 800, Rows: 8, WALRecords: 3, WALBytes: 300},
		{UserID: 11, QueryID: 1, TopLevel: true, Query: "q1", Calls: 2, TotalExecUS: 150, Rows: 2},
		{UserID: 10, QueryID: 2, TopLevel: true, Query: "q2", Calls: 4, TotalExecUS: 40, Rows: 4}, // reset in between
		{UserID: 10, QueryID: 3, TopLevel: true, Query: "idle", Calls: 7, TotalExecUS: 70},
		{UserID: 10, QueryID: 4, TopLevel: false, Query: "new", Calls: 3, TotalExecUS: 1000, SharedHit: 9, SharedRead: 1},
	}}
	want := []StatementDelta{
		{QueryID: 4, Query: "new", Calls: 3, TotalExecUS: 1000, MeanExecUS: 333, SharedHit: 9, SharedRead: 1},
		{QueryID: 1, Query: "q1", TopLevel: true, Calls: 4, TotalExecUS: 350, MeanExecUS: 88, Rows: 4, WALRecords: 3, WALBytes: 300},
		{QueryID: 2, Query: "q2", TopLevel: true, Calls: 4, TotalExecUS: 40, MeanExecUS: 10, Rows: 4},
	}
	if diff := cmp.Diff(want, Delta(before, after)); diff != "" {
		t.Fatalf("Delta (-want +got):\n%s", diff)
	}
}

func TestReportJSON(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	reset := t0.Add(-time.Hour)
	before := Snapshot{Taken: t0, ServerVersion: 150004, Database: "bench", Reset: reset, Dealloc: 2, Statements: []Statement{
		{QueryID: 1, Query: "a", Calls: 1, TotalExecUS: 10}, {QueryID: 2, Query: "b", Calls: 1, TotalExecUS: 10}}}
	after := Snapshot{Taken: t0.Add(time.Minute), ServerVersion: 150004, Database: "bench", Reset: reset, Dealloc: 5, Statements: []Statement{
		{QueryID: 1, Query: "a", Calls: 3, TotalExecUS: 1510, Rows: 2}, {QueryID: 2, Query: "b", Calls: 2, TotalExecUS: 20}}}
	r := NewReport(before, after, 1)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"available":true,"server_version":150004,"database":"bench","from":"2026-11-28T04:00:00Z","to":"2026-11-28T04:01:00Z",` +
		`"evicted":3,"statements":[{"queryid":1,"query":"a","toplevel":false,"calls":2,"total_exec_us":1500,"mean_exec_us":750,` +
		`"rows":2,"shared_blks_hit":0,"shared_blks_read":0,"wal_records":0,"wal_bytes":0}],"omitted":1}`
	if string(b) != want {
		t.Fatalf("JSON:\n got %s\nwant %s", b, want)
	}
	after.Reset = t0.Add(30 * time.Second)
	if !NewReport(before, after, 0).Reset {
		t.Fatal("a stats reset inside the window is not reported")
	}
	b, _ = json.Marshal(Unavailable("why"))
	if string(b) != `{"available":false,"reason":"why"}` {
		t.Fatalf("unavailable JSON = %s", b)
	}
}

func TestPreloaded(t *testing.T) {
	for in, want := range map[string]bool{
		"": false, "pg_stat_statements": true, "auto_explain, pg_stat_statements": true,
		`"$libdir/pg_stat_statements.so"`: true, "pg_stat_statements_x": false,
	} {
		if got := preloaded(in); got != want {
			t.Errorf("preloaded(%q) = %v", in, got)
		}
	}
}

// A role that may not see shared_preload_libraries still learns whether
// the statistics can be read, and can read its own statements.
func TestAvailableForPlainRole(t *testing.T) {
	ctx := ctxT(t)
	for _, c := range []struct {
		opts   pgtest.Options
		ok     bool
		reason string
	}{
		{withStatements, true, ""},
		{pgtest.Options{}, false, "installed in database"},
	} {
		srv := pgtest.SharedWith(t, c.opts)
		dsn := pgtest.FreshDatabaseOn(t, srv)
		admin := open(t, dsn)
		if _, err := admin.ExecContext(ctx, "DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"); err != nil {
			t.Fatal(err)
		}
		if err := srv.CreateExtension(ctx, dbName(dsn), Extension); err != nil {
			t.Fatal(err)
		}
		db := open(t, strings.Replace(dsn, pgtest.User+"@", "reader@", 1))
		var visible bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries')").Scan(&visible); err != nil {
			t.Fatal(err)
		}
		if visible {
			t.Fatal("the plain role sees shared_preload_libraries; the test checks nothing")
		}
		ok, reason, err := Available(ctx, db)
		if err != nil || ok != c.ok || !strings.Contains(reason, c.reason) {
			t.Fatalf("preload %v: Available = %v, %q, %v", c.opts.Preload, ok, reason, err)
		}
		if !ok {
			if !strings.Contains(reason, "shared_preload_libraries and restart") {
				t.Fatalf("reason %q does not say how to load it", reason)
			}
			continue
		}
		w, err := Begin(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := db.ExecContext(ctx, "SELECT 1 + $1::int", 2); err != nil {
				t.Fatal(err)
			}
		}
		r, err := w.End(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Statements) == 0 || r.Statements[0].Calls != 3 || r.Statements[0].QueryID == 0 {
			t.Fatalf("plain role's window: %+v", r.Statements)
		}
	}
}
