package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/flakebench/fbctl/sql/schema"
)

// openPostgres opens a store on a fresh database of the shared test server
// and applies the schema the way `fbctl schema apply` does.
func openPostgres(t *testing.T) *store.Store { return openPostgresTB(t) }

func openPostgresTB(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.FreshDatabase(t), store.Options{Backends: backends})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	applied, err := s.ApplySchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("ApplySchema on an empty database applied nothing")
	}
	return s
}

func TestPostgresContract(t *testing.T) { runContract(t, openPostgres) }

// On Postgres the store never creates its schema by itself: an empty
// database is an error that names the command to run, and the DSN in it is
// redacted.
func TestPostgresCheckSchemaOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshDatabase(t)
	withPassword := strings.Replace(dsn, "postgres://postgres@", "postgres://postgres:hunter2@", 1)
	s, err := store.Open(ctx, withPassword, store.Options{Backends: backends})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.CheckSchema(ctx)
	var se *store.SchemaError
	if !errors.As(err, &se) || se.Current != 0 || se.Latest < 1 {
		t.Fatalf("CheckSchema on an empty database = %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "fbctl schema apply -results postgres://postgres:xxxxx@") || strings.Contains(msg, "hunter2") {
		t.Fatalf("message does not name the redacted command: %s", msg)
	}
	// Open and CheckSchema ran no DDL.
	cur, _, pending, err := s.SchemaStatus(ctx)
	if err != nil || cur != 0 || len(pending) == 0 {
		t.Fatalf("SchemaStatus = %d, %d pending, %v", cur, len(pending), err)
	}
	if _, err := s.ListTemplates(ctx); err == nil {
		t.Fatal("TEST_TEMPLATES exists although no schema was applied")
	}
	applied, err := s.ApplySchema(ctx)
	if err != nil || len(applied) != len(pending) {
		t.Fatalf("ApplySchema = %v, %v", applied, err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after apply: %v", err)
	}
	again, err := s.ApplySchema(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second ApplySchema = %v, %v", again, err)
	}
}

// Concurrent `fbctl schema apply` runs against one empty database all
// succeed, and exactly one of them reports each migration as applied.
func TestPostgresConcurrentApplySchema(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshDatabase(t)
	const appliers = 3
	results := make(chan []int, appliers)
	errs := make(chan error, appliers)
	for range appliers {
		go func() {
			s, err := store.Open(ctx, dsn, store.Options{Backends: backends})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			applied, err := s.ApplySchema(ctx)
			errs <- err
			results <- applied
		}()
	}
	var all []int
	for range appliers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		all = append(all, <-results...)
	}
	slices.Sort(all)
	var want []int
	for v := 1; v <= schema.Latest("postgres"); v++ {
		want = append(want, v)
	}
	if !slices.Equal(all, want) {
		t.Fatalf("applied across concurrent runs = %v, want each of %v exactly once", all, want)
	}
}
