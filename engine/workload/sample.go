package workload

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flakebench/fbctl/dsl"
)

// Pool sampling draws a random sample of the distinct values of a pool's
// column, never the first rows a plain LIMIT returns:
//
//   - Postgres: on a table the planner estimates (pg_class.reltuples) at
//     more than 10 × size rows, TABLESAMPLE BERNOULLI of about 4 × size
//     rows (it reads every page but sorts only the sample), then the
//     distinct values in random order up to size; when that gives fewer
//     than size values (stale statistics, few distinct values), the full
//     method below.
//   - SQLite, Snowflake, and Postgres on small tables: the distinct values
//     ORDER BY random() LIMIT size: a full scan and a top-N sort, which on
//     a table of hundreds of millions of rows takes as long as scanning it.
//
// The sample is taken once per run, by the orchestrator, after setup.

// SampleQueries returns the statements SamplePoolOf tries, in order, for
// pool p of a template whose table is table, on backend ("postgres",
// "sqlite" or "snowflake"). estimate is the table's estimated row count
// (0: unknown).
func SampleQueries(p *dsl.Pool, table, backend string, estimate int64) []string {
	if p.Table != "" {
		table = p.Table
	}
	random := "random()"
	if backend == "snowflake" {
		random = "RANDOM()"
	}
	full := fmt.Sprintf("SELECT v FROM (SELECT DISTINCT %s AS v FROM %s) s ORDER BY %s", p.Column, table, random)
	if p.Size > 0 {
		full += fmt.Sprintf(" LIMIT %d", p.Size)
	}
	if backend != "postgres" || p.Size <= 0 || estimate <= 10*p.Size {
		return []string{full}
	}
	pct := 100 * float64(4*p.Size) / float64(estimate)
	sampled := fmt.Sprintf("SELECT v FROM (SELECT DISTINCT %s AS v FROM %s TABLESAMPLE BERNOULLI (%.6f)) s ORDER BY random() LIMIT %d", p.Column, table, pct, p.Size)
	return []string{sampled, full}
}

// PostgresEstimate returns Postgres' estimate of table's rows (0 when the
// table has never been analysed or cannot be found).
func PostgresEstimate(ctx context.Context, db *sql.DB, table string) int64 {
	var n sql.NullFloat64
	if err := db.QueryRowContext(ctx, "SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)", table).Scan(&n); err != nil || !n.Valid || n.Float64 < 0 {
		return 0
	}
	return int64(n.Float64)
}

// SamplePoolOf samples pool p on db (backend as for SampleQueries): the
// first query whose sample has p.Size values (or the last one's, however
// many it has).
func SamplePoolOf(ctx context.Context, db *sql.DB, p *dsl.Pool, table, backend string) ([]any, error) {
	var est int64
	if backend == "postgres" {
		t := table
		if p.Table != "" {
			t = p.Table
		}
		est = PostgresEstimate(ctx, db, t)
	}
	qs := SampleQueries(p, table, backend, est)
	var vals []any
	for i, q := range qs {
		var err error
		vals, err = SamplePool(ctx, db, q)
		if err != nil {
			return nil, err
		}
		if int64(len(vals)) >= p.Size || i == len(qs)-1 {
			break
		}
	}
	return vals, nil
}
