package store_test

import (
	"context"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

// openSnowflake starts a local Snowflake-protocol server (sfserver) and opens
// a store on it through the real gosnowflake driver, with the schema of
// sql/schema/snowflake applied the way `fbctl schema apply` does. It never
// skips: the server is in-process.
func openSnowflake(t *testing.T) *store.Store {
	t.Helper()
	srv := sftest.Start(t, sfserver.Options{})
	ctx := context.Background()
	s, err := store.Open(ctx, "snowflake://"+srv.DSN("u", "p", "FB", "RESULTS", "WH"), store.Options{Backends: backends})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	applied, err := s.ApplySchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("ApplySchema on an empty Snowflake database applied nothing")
	}
	if s.Dialect().Name() != "snowflake" {
		t.Fatalf("dialect = %s", s.Dialect().Name())
	}
	return s
}

// TestSnowflakeContract runs the results-store contract on the Snowflake
// dialect against the local server.
func TestSnowflakeContract(t *testing.T) { runContract(t, openSnowflake) }
