package enrich_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/enrich"
	"github.com/flakebench/fbctl/engine/store"
)

// A hybrid-table run: the local server, like Snowflake, leaves the short
// hybrid statements out of QUERY_HISTORY and counts them per minute and
// parameterized hash in AGGREGATE_QUERY_HISTORY. Enrichment covers the
// standard-table executions individually, the hybrid ones by aggregate,
// and says which it could not cover at all.
func TestHybridRunCoveredByAggregates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.exec(t, "CREATE HYBRID TABLE H (ID NUMBER PRIMARY KEY, V VARCHAR)")
	e.exec(t, "CREATE TABLE S (ID NUMBER, V VARCHAR)")
	r, err := e.st.CreateRun(ctx, store.Run{ID: "agg-run-1", ScenarioName: "s", WorkersExpected: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.exec(t, "ALTER SESSION SET QUERY_TAG = 'user-tag flakebench:run="+r.ID+":worker=w0:phase=p'")
	queries := map[string]string{
		"hot_insert": "INSERT INTO H (ID, V) VALUES (?, ?)",
		"lookup":     "SELECT V FROM H WHERE ID = ?",
		"std_insert": "INSERT INTO S (ID, V) VALUES (?, ?)",
	}
	var execs []store.QueryExecution
	add := func(name, qid string) {
		execs = append(execs, store.QueryExecution{ExecutionID: fmt.Sprintf("e%d", len(execs)), RunID: r.ID, TestID: r.ID + "-w0",
			WorkerID: "w0", Phase: "p", QueryName: name, QueryKind: name, ActualStart: time.Now().UTC(), Success: true,
			LatencyUS: 100, ServiceUS: 100, TargetQueryID: qid})
	}
	for i := range 6 {
		add("hot_insert", e.exec(t, queries["hot_insert"], int64(i), "v"))
		add("std_insert", e.exec(t, queries["std_insert"], int64(i), "v"))
	}
	for i := range 4 {
		add("lookup", e.exec(t, queries["lookup"], int64(i)))
	}
	add("lookup", "") // failed before reaching the server
	if err := e.st.InsertQueryExecutions(ctx, execs); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Second)
	if err := e.st.UpdateRun(ctx, r.ID, store.RunUpdate{StartTime: &r.CreatedAt, EndTime: &end}); err != nil {
		t.Fatal(err)
	}
	run, _ := e.st.GetRun(ctx, r.ID)

	rep, err := enrich.Run(ctx, e.st, &enrich.SnowflakeHistory{DB: e.target}, run, enrich.Options{HybridTables: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Executions != 17 || rep.Matched != 6 {
		t.Fatalf("QUERY_HISTORY pass: %+v (want the 6 standard-table inserts of 17 executions)", rep)
	}

	// Right after the run the view is not read; with IgnoreDelay it is.
	early, err := enrich.Aggregate(ctx, e.target, run, enrich.AggregateOptions{Queries: queries})
	if err != nil || early.Available || early.RetryAfter.IsZero() {
		t.Fatalf("right after the run: %+v, %v", early, err)
	}
	agg, err := enrich.Aggregate(ctx, e.target, run, enrich.AggregateOptions{Queries: queries, IgnoreDelay: true})
	if err != nil || !agg.Available {
		t.Fatalf("aggregate: %+v, %v", agg, err)
	}
	calls := map[string]int64{}
	for _, a := range agg.Rows {
		calls[a.QueryName] += a.Calls
		if !strings.Contains(a.QueryTag, r.ID) || len(a.QueryHash) != 32 || a.MaxElapsedMS < a.MedianElapsedMS {
			t.Errorf("row %+v", a)
		}
	}
	if calls["hot_insert"] != 6 || calls["std_insert"] != 6 || calls["lookup"] != 4 || calls[""] == 0 {
		t.Errorf("calls by query %v (the session's ALTER SESSION is unnamed)", calls)
	}

	refs, err := e.st.ListExecutionRefs(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	cov := enrich.Cover(refs, agg.Rows)
	if cov.Executions != 17 || cov.Individually != 6 || cov.ByAggregate != 10 || cov.NotCovered != 1 || cov.AggregateCalls != 16 {
		t.Fatalf("coverage %+v", cov)
	}
	for _, q := range cov.PerQuery {
		want := map[string][3]int{"hot_insert": {0, 6, 0}, "lookup": {0, 4, 1}, "std_insert": {6, 0, 0}}[q.Query]
		if [3]int{q.Individually, q.ByAggregate, q.NotCov} != want {
			t.Errorf("%s: %+v, want individually/aggregate/not %v", q.Query, q, want)
		}
	}
	// Aggregates that count fewer calls than the stored executions (a view
	// still filling) cover only what they count.
	partial := append([]enrich.AggregateRow(nil), agg.Rows...)
	for i := range partial {
		if partial[i].QueryName == "hot_insert" {
			partial[i].Calls = 2
		}
	}
	if c := enrich.Cover(refs, partial); c.ByAggregate != 4+min(2, 6) || c.NotCovered != 1+4 {
		t.Errorf("partial view coverage %+v", c)
	}

	// Calls of another phase (a cache warm-up, say) cover nothing of this
	// one.
	other := append([]enrich.AggregateRow(nil), agg.Rows...)
	for i := range other {
		if other[i].QueryName == "hot_insert" {
			if other[i].Phase != "p" {
				t.Fatalf("aggregate phase %q, want p from the tag", other[i].Phase)
			}
			other[i].Phase = "cache_warmup"
		}
	}
	if c := enrich.Cover(refs, other); c.ByAggregate != 4 || c.NotCovered != 1+6 {
		t.Errorf("other-phase coverage %+v", c)
	}

	// Stored, rerunnable.
	for range 2 {
		if err := e.st.ReplaceQueryAggregates(ctx, r.ID, agg.StoreRows(r.ID, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := e.st.ListQueryAggregates(ctx, r.ID)
	if err != nil || len(stored) != len(agg.Rows) {
		t.Fatalf("stored %d aggregates of %d, %v", len(stored), len(agg.Rows), err)
	}
	var n int64
	for _, a := range stored {
		if a.QueryName == "hot_insert" {
			n += a.Calls
			if !a.ElapsedMaxUS.Valid || a.ElapsedMaxUS.Int64 < a.ElapsedMedianUS.Int64 || a.IntervalEnd.Sub(a.IntervalStart) != time.Minute {
				t.Errorf("stored aggregate %+v", a)
			}
		}
	}
	if n != 6 {
		t.Errorf("stored hot_insert calls %d", n)
	}
}
