package run

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

// storeSizePhase is one closed phase of 3 s over 4
// connections, storing every operation (the default sampling).
const storeSizePhase = `
  phase "steady" {
    duration    = "3s"
    connections = 4
    workers     = 1
  }
`

// BenchmarkStoreSize measures the embedded store's size per stored row:
// three runs of a read workload against an SQLite target, every operation
// stored in QUERY_EXECUTIONS of an SQLite store; then the file's bytes ÷
// the rows it holds (after a checkpoint, so the write-ahead log is in the
// file), the rows' raw size (text at its length, integers and reals at 8
// bytes, NULLs free, as SQLite's own typeof reports them), their ratio,
// and what deleting the first run (`fbctl runs delete`) gives back.
func BenchmarkStoreSize(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		f := fixtureFrom(b, readsHCL, storeSizePhase, "")
		opts := f.fastOptions(b)
		opts.Stream = streamOptions(b)
		b.StartTimer()
		var first string
		for i := range 3 {
			out, err := Apply(ctx, f.plan, f.cfg, opts)
			if err != nil {
				b.Fatal(err)
			}
			if out.Status != store.RunCompleted {
				b.Fatalf("run %d: %s %s", i, out.Status, out.FailureReason)
			}
			if i == 0 {
				first = out.RunID
			}
		}
		b.StopTimer()
		rows, err := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{})
		if err != nil {
			b.Fatal(err)
		}
		if err := f.st.Compact(ctx); err != nil {
			b.Fatal(err)
		}
		size, err := f.st.Size(ctx)
		if err != nil || !size.Known {
			b.Fatalf("store size: %+v, %v", size, err)
		}
		raw := rawExecutionBytes(b, f)
		firstRows, err := f.st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: first})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.st.DeleteRuns(ctx, []string{first}); err != nil {
			b.Fatal(err)
		}
		if err := f.st.Compact(ctx); err != nil {
			b.Fatal(err)
		}
		after, err := f.st.Size(ctx)
		if err != nil {
			b.Fatal(err)
		}
		perRow := float64(size.Bytes) / float64(rows)
		rawPerRow := float64(raw) / float64(rows)
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(perRow, "B/row")
		b.ReportMetric(rawPerRow, "raw-B/row")
		b.ReportMetric(perRow/rawPerRow, "store/raw")
		b.ReportMetric(float64(size.Bytes)/(1<<20), "MiB")
		b.ReportMetric(float64(size.Bytes-after.Bytes)/float64(firstRows), "reclaimed-B/row")
		b.StartTimer()
	}
}

// rawExecutionBytes sums the stored QUERY_EXECUTIONS values' own sizes.
func rawExecutionBytes(b *testing.B, f *fixture) int64 {
	b.Helper()
	db, err := sql.Open("sqlite", f.storePath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cols, err := db.Query("SELECT name FROM pragma_table_info('QUERY_EXECUTIONS')")
	if err != nil {
		b.Fatal(err)
	}
	var terms []string
	for cols.Next() {
		var c string
		if err := cols.Scan(&c); err != nil {
			b.Fatal(err)
		}
		terms = append(terms, fmt.Sprintf("CASE typeof(%[1]s) WHEN 'integer' THEN 8 WHEN 'real' THEN 8 WHEN 'null' THEN 0 ELSE length(CAST(%[1]s AS BLOB)) END", c))
	}
	cols.Close()
	var raw int64
	if err := db.QueryRow("SELECT COALESCE(SUM(" + strings.Join(terms, " + ") + "), 0) FROM QUERY_EXECUTIONS").Scan(&raw); err != nil {
		b.Fatal(err)
	}
	return raw
}
