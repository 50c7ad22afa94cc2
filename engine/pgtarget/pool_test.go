package pgtarget_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/workload"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// On a real Postgres table of 100000 analysed rows, a pool of 200 is
// sampled with TABLESAMPLE (not a full sort) and is spread over the whole
// table, distinct; on a table too small for the sample, the full method
// still gives every distinct value.
func TestSamplePoolPostgres(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.FreshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE big (id int PRIMARY KEY)", "INSERT INTO big SELECT generate_series(1, 100000)", "ANALYZE big",
		"CREATE TABLE small (k int)", "INSERT INTO small VALUES (1), (2), (2), (3)", "ANALYZE small",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p := &dsl.Pool{Column: "id", Size: 200}
	qs := workload.SampleQueries(p, "big", "postgres", workload.PostgresEstimate(ctx, db, "big"))
	if len(qs) != 2 || !strings.Contains(qs[0], "TABLESAMPLE BERNOULLI") {
		t.Fatalf("queries for a large table: %q", qs)
	}
	vals, err := workload.SamplePoolOf(ctx, db, p, "big", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var lo, hi int64 = 1 << 62, 0
	for _, v := range vals {
		n := v.(int64)
		if seen[int64(n)] {
			t.Fatalf("%d sampled twice", n)
		}
		seen[int64(n)] = true
		lo, hi = min(lo, int64(n)), max(hi, int64(n))
	}
	if len(vals) != 200 || lo > 20000 || hi < 80000 {
		t.Fatalf("%d values from %d to %d: want 200 spread over 1..100000", len(vals), lo, hi)
	}
	small, err := workload.SamplePoolOf(ctx, db, &dsl.Pool{Column: "k", Size: 10}, "small", "postgres")
	if err != nil || len(small) != 3 {
		t.Fatalf("small table: %v, %v; want the 3 distinct values", small, err)
	}
}
