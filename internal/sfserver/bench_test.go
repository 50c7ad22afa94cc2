package sfserver_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

func benchServer(b *testing.B) *sql.DB {
	b.Helper()
	s := sftest.Start(b, sfserver.Options{Logger: hclog.NewNullLogger()})
	db, err := sql.Open("snowflake", s.DSN("bench", "x", "BENCH", "PUBLIC", "COMPUTE_WH"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(createQE); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkPointSelect is one round trip through the driver, the server,
// the translator and SQLite.
func BenchmarkPointSelect(b *testing.B) {
	db := benchServer(b)
	if _, err := db.Exec("INSERT INTO QE (ID, NAME) VALUES (1, 'x')"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var name string
	for b.Loop() {
		if err := db.QueryRowContext(ctx, "SELECT NAME FROM QE WHERE ID = ?", int64(1)).Scan(&name); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsert500Rows inserts 500 rows of 8 columns per statement, the
// shape of the results store's batches; it reports rows/s.
func BenchmarkInsert500Rows(b *testing.B) {
	db := benchServer(b)
	const rows = 500
	q := "INSERT INTO QE (ID, NAME, OK, AT, AMOUNT, PAYLOAD, DAY, AT_TZ) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
	args := make([]any, 0, rows*8)
	now := time.Now().UTC()
	id := int64(0)
	for b.Loop() {
		args = args[:0]
		for range rows {
			id++
			args = append(args, id, "name", true, now, "1.25", `{"a":1}`, "2025-01-01", nil)
		}
		if _, err := db.Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
