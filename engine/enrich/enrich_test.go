package enrich_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/engine/enrich"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	os.Exit(m.Run())
}

// env is a local Snowflake-protocol server used both as the benchmark
// target and as the results store, as in a Snowflake-only setup.
type env struct {
	srv    *sfserver.Server
	target *sql.DB
	st     *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := sftest.Start(t, sfserver.Options{})
	ctx := context.Background()
	st, err := store.Open(ctx, "snowflake://"+srv.DSN("fb", "pw", "FB", "RESULTS", "RESULTS_WH"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	target, err := sql.Open("snowflake", srv.DSN("bench", "pw", "BENCH", "PUBLIC", "BENCH_WH"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	return &env{srv: srv, target: target, st: st}
}

// exec runs q on the target and returns its Snowflake query id, captured
// the way the benchmark does (WithQueryIDChan, no extra round trip).
func (e *env) exec(t *testing.T, q string, args ...any) string {
	t.Helper()
	ch := make(chan string, 1)
	if _, err := e.target.ExecContext(sf.WithQueryIDChan(context.Background(), ch), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return <-ch
}

func (e *env) storeRun(t *testing.T, execs []store.QueryExecution) store.Run {
	t.Helper()
	ctx := context.Background()
	r, err := e.st.CreateRun(ctx, store.Run{ID: store.NewID(), ScenarioName: "s", WorkersExpected: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range execs {
		execs[i].RunID, execs[i].TestID, execs[i].WorkerID = r.ID, r.ID+"-w0", "w0"
		execs[i].Phase, execs[i].QueryName, execs[i].QueryKind = "p", "q", "point_lookup"
		execs[i].ActualStart, execs[i].Success = time.Now().UTC(), true
		execs[i].LatencyUS, execs[i].ServiceUS = 100, 100
	}
	if err := e.st.InsertQueryExecutions(ctx, execs); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEnrichFillsServerTimingsByQueryID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.srv.InjectLatency("FROM T WHERE", 20*time.Millisecond) // reported as QUEUED_OVERLOAD_TIME
	create := e.exec(t, "CREATE TABLE T (ID NUMBER, V VARCHAR)")
	ins := e.exec(t, "INSERT INTO T VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	sel := e.exec(t, "SELECT ID, V FROM T WHERE ID >= ?", int64(2))
	_ = create
	run := e.storeRun(t, []store.QueryExecution{
		{ExecutionID: "e1", TargetQueryID: ins},
		{ExecutionID: "e2", TargetQueryID: sel},
		{ExecutionID: "e3", TargetQueryID: "01234567-89ab-cdef-0000-000000000000"}, // not in the history
		{ExecutionID: "e4"}, // failed before reaching the server: no id
	})

	rep, err := enrich.Run(ctx, e.st, &enrich.SnowflakeHistory{DB: e.target}, run, enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Executions != 4 || rep.WithQueryID != 3 || rep.Matched != 2 || rep.Updated != 2 || rep.HistoryRows < 3 {
		t.Fatalf("report %+v", rep)
	}
	if c := rep.Coverage(); c != 0.5 {
		t.Errorf("coverage = %v, want 0.5", c)
	}
	if len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0], "1 executions with a query id were not found") ||
		!strings.Contains(rep.Notes[1], "1 executions have no target query id") {
		t.Errorf("notes %q", rep.Notes)
	}

	rows, err := e.st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: run.ID}, 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.QueryExecution{}
	for _, r := range rows {
		byID[r.ExecutionID] = r
	}
	sr, ir := byID["e2"], byID["e1"]
	if !sr.TotalElapsedUS.Valid || !sr.CompileUS.Valid || !sr.ExecutionUS.Valid || !sr.QueuedUS.Valid {
		t.Fatalf("select row not enriched: %+v", sr)
	}
	if sr.QueuedUS.Int64 < 20000 || sr.TotalElapsedUS.Int64 < sr.QueuedUS.Int64 || sr.TotalElapsedUS.Int64%1000 != 0 {
		t.Errorf("select timings (µs): queued %d, total %d; want queued ≥ 20 ms injected, total ≥ queued, whole ms",
			sr.QueuedUS.Int64, sr.TotalElapsedUS.Int64)
	}
	if !sr.RowsProduced.Valid || sr.RowsProduced.Int64 != 2 {
		t.Errorf("select ROWS_PRODUCED = %+v, want 2", sr.RowsProduced)
	}
	if !ir.TotalElapsedUS.Valid || ir.QueuedUS.Int64 != 0 {
		t.Errorf("insert row: %+v", ir)
	}
	for _, id := range []string{"e3", "e4"} {
		if r := byID[id]; r.TotalElapsedUS.Valid || r.CompileUS.Valid {
			t.Errorf("%s enriched without a history match: %+v", id, r)
		}
	}

	// A hybrid-table run explains its gaps instead.
	rep, err = enrich.Run(ctx, e.st, &enrich.SnowflakeHistory{DB: e.target}, run, enrich.Options{HybridTables: true})
	if err != nil || rep.Matched != 2 || rep.Notes[0] != enrich.HybridNote {
		t.Fatalf("hybrid rerun: %+v, %v", rep, err)
	}
}

// A slice that returns RESULT_LIMIT rows is split and read again; the
// answer is the same as one big read. (The local server ignores the table
// function's arguments, so every slice returns everything: the split must
// also not duplicate matches.)
func TestSnowflakeHistorySplitsFullSlices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.exec(t, "CREATE TABLE T (ID NUMBER)")
	var ids []string
	for i := range 3 {
		ids = append(ids, e.exec(t, "INSERT INTO T VALUES (?)", int64(i)))
	}
	now := time.Now()
	from, to := now.Add(-4*time.Minute), now.Add(time.Minute)
	before := len(e.srv.QueryHistory())
	whole, err := (&enrich.SnowflakeHistory{DB: e.target}).Timings(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	calls1 := historyReads(e.srv.QueryHistory()[before:])
	before = len(e.srv.QueryHistory())
	split, err := (&enrich.SnowflakeHistory{DB: e.target, ResultLimit: 2, MinSlice: time.Minute}).Timings(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	calls2 := historyReads(e.srv.QueryHistory()[before:])
	if calls1 != 1 || calls2 < 7 {
		t.Errorf("history reads: %d unsplit, %d split; want 1 and ≥ 7 (5 min halved down to < 1 min)", calls1, calls2)
	}
	have := map[string]int{}
	for _, r := range split {
		have[r.TargetQueryID]++
	}
	for _, id := range ids {
		if have[id] != 1 {
			t.Errorf("query %s found %d times in the split read", id, have[id])
		}
	}
	if len(split) < len(whole) {
		t.Errorf("split read %d rows, whole %d", len(split), len(whole))
	}
}

func historyReads(recs []sfserver.QueryRecord) int {
	n := 0
	for _, r := range recs {
		if strings.Contains(r.QueryText, "INFORMATION_SCHEMA.QUERY_HISTORY") {
			n++
		}
	}
	return n
}

func TestAggregateExplainsTheDelay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	end := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	start := end.Add(-5 * time.Minute)
	run := store.Run{ID: "run-1", CreatedAt: start, StartTime: &start, EndTime: &end}

	rep, err := enrich.Aggregate(ctx, e.target, run, enrich.AggregateOptions{Now: end.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Available || !rep.RetryAfter.Equal(end.Add(45*time.Minute)) || !strings.Contains(rep.Explanation, "45 minutes to 3 hours") {
		t.Fatalf("right after the run: %+v", rep)
	}
	for _, r := range e.srv.QueryHistory() {
		if strings.Contains(r.QueryText, "AGGREGATE_QUERY_HISTORY") {
			t.Errorf("queried before the view can hold the run: %s", r.QueryText)
		}
	}
	before := len(e.srv.QueryHistory())
	rep, err = enrich.Aggregate(ctx, e.target, run, enrich.AggregateOptions{Now: end.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// The view is read, and holds nothing for a run that never ran here.
	sent := false
	for _, r := range e.srv.QueryHistory()[before:] {
		sent = sent || strings.Contains(r.QueryText, "AGGREGATE_QUERY_HISTORY")
	}
	if !sent || rep.Available || !strings.Contains(rep.Explanation, "Nothing yet for this run") {
		t.Fatalf("an hour later: sent=%v %+v", sent, rep)
	}
	if _, err := enrich.Aggregate(ctx, e.target, store.Run{ID: "x'; DROP TABLE T; --", CreatedAt: start, EndTime: &end}, enrich.AggregateOptions{Now: end.Add(time.Hour)}); err == nil {
		t.Error("a run id that is not a plain name was put into SQL")
	}
}
