package store

import (
	"context"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// With the Postgres backend the store really uses COPY through the pgx
// connection under database/sql, not multi-row INSERTs.
func TestPostgresInsertUsesCopy(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.FreshDatabase(t), Options{Backends: map[string]Backend{"postgres": pgtarget.Store{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	batch := []QueryExecution{{ExecutionID: "e1", RunID: "r", TestID: "r-w0", WorkerID: "worker-0", Phase: "p",
		QueryName: "q", QueryKind: "READ", ActualStart: time.Now(), Success: true}}
	if err := s.copyExecutions(ctx, batch); err != nil {
		t.Fatalf("copyExecutions: %v", err)
	}
	if n, err := s.CountQueryExecutions(ctx, QueryExecutionFilter{RunID: "r"}); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}
}
