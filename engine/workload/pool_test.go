package workload

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

// A column pool on real SQLite is a random sample spread over the whole
// table, not its first rows, and of distinct values.
func TestSamplePoolIsSpreadOverTheTable(t *testing.T) {
	db := sqliteWith(t, 10000)
	vals, err := SamplePoolOf(context.Background(), db, &dsl.Pool{Column: "id", Size: 100}, "t", "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var lo, hi int64 = 1 << 62, 0
	for _, v := range vals {
		n := v.(int64)
		if seen[n] {
			t.Fatalf("value %d sampled twice", n)
		}
		seen[n] = true
		lo, hi = min(lo, n), max(hi, n)
	}
	if len(vals) != 100 || lo > 2000 || hi < 8000 {
		t.Fatalf("%d values from %d to %d: want 100 spread over 1..10000", len(vals), lo, hi)
	}
}

func sqliteWith(t *testing.T, rows int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE t (id INTEGER PRIMARY KEY);
		WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) INSERT INTO t SELECT i FROM s;`, rows)); err != nil {
		t.Fatal(err)
	}
	return db
}

// With 4 values sampled from real SQLite and 4 connections (on 2
// workers), every connection draws every value, uniformly: a chi-square
// test against the uniform distribution per connection (3 degrees of
// freedom, 16.27 is the 0.1% critical value; the draws are seeded, so the
// outcome is fixed).
func TestPoolDrawsAreUniformPerOperation(t *testing.T) {
	db := sqliteWith(t, 4)
	vals, err := SamplePoolOf(context.Background(), db, &dsl.Pool{Column: "id", Size: 1000}, "t", "sqlite")
	if err != nil || len(vals) != 4 {
		t.Fatalf("sample %v, %v", vals, err)
	}
	tmpl := &dsl.Template{
		QueryOrder: []string{"get"},
		Pools:      map[string]*dsl.Pool{"p": {Name: "p", Column: "id", Size: 1000}},
		Queries:    map[string]*dsl.Query{"get": {Name: "get", Weight: 1, Args: []dsl.Generator{{Kind: dsl.GenPool, Pool: "p"}}}},
	}
	const draws = 4000
	for w := range 2 {
		for c := range 2 {
			conn, err := NewConn(tmpl, Env{Seed: 11, WorkerID: w, Workers: 2, Conn: c, ConnsPerWorker: 2, Pools: map[string][]any{"p": vals}})
			if err != nil {
				t.Fatal(err)
			}
			count := map[int64]int{}
			for range draws {
				_, args := conn.Next()
				count[args[0].(int64)]++
			}
			if len(count) != 4 {
				t.Fatalf("worker %d connection %d drew %v: want all 4 values", w, c, count)
			}
			var chi2 float64
			for _, n := range count {
				d := float64(n) - draws/4
				chi2 += d * d / (draws / 4)
			}
			if chi2 > 16.27 {
				t.Errorf("worker %d connection %d: chi-square %.2f over %v is not uniform", w, c, chi2, count)
			}
		}
	}
}

// A disjoint pool with fewer values than connections cannot give each its
// own slice, and says so.
func TestDisjointPoolNeedsAValuePerConnection(t *testing.T) {
	pools := map[string]*dsl.Pool{"p": {Name: "p", Values: []any{1, 2, 3}, Disjoint: true}}
	_, err := NewGen(dsl.Generator{Kind: dsl.GenPool, Pool: "p"}, pools, Env{Workers: 2, ConnsPerWorker: 2}, 0, 0)
	if err == nil {
		t.Fatal("no error for 3 values over 4 connections")
	}
}
