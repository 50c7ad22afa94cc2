package store_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/hashicorp/go-hclog"
)

func openSQLite(t *testing.T) *store.Store { return openSQLiteTB(t) }

func openSQLiteTB(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "fb.db"), store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteContract(t *testing.T) { runContract(t, openSQLite) }

func TestSQLiteDefaultPathAndWAL(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(store.DefaultSQLitePath); err != nil {
		t.Fatalf("default store not created: %v", err)
	}
	if s.String() != "sqlite:"+store.DefaultSQLitePath {
		t.Fatalf("String() = %q", s.String())
	}
	var mode string
	if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || strings.ToLower(mode) != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	// Reopening an existing store applies nothing and keeps the data.
	if _, _, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "x", Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.Open(ctx, "sqlite:"+store.DefaultSQLitePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.GetTemplate(ctx, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://u:secret@h/db", store.Options{})
	if err == nil || !strings.Contains(err.Error(), "mysql") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open(mysql) = %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bench:s3cr3t@db:5432/fb?sslmode=require":               "postgres://bench:xxxxx@db:5432/fb?sslmode=require",
		"snowflake://me:pw@acct/FLAKEBENCH/RESULTS?warehouse=WH&token=abc": "snowflake://me:xxxxx@acct/FLAKEBENCH/RESULTS?token=xxxxx&warehouse=WH",
		"postgresql://db/fb?password=hunter2":                              "postgresql://db/fb?password=xxxxx",
		"sqlite:.flakebench/flakebench.db":                                 "sqlite:.flakebench/flakebench.db",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every table of the schema that holds a RUN_ID belongs to a run, and
// DeleteRuns must empty it: a migration adding such a table without adding
// it to store.RunTables would leave rows behind.
func TestRunTablesCoverTheSchema(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	rows, err := s.DB().QueryContext(ctx, `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'RUN_ID' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var withRunID []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		withRunID = append(withRunID, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(withRunID) < 5 {
		t.Fatalf("implausibly few run tables in the schema: %v", withRunID)
	}
	for _, n := range withRunID {
		if !slices.Contains(store.RunTables, n) {
			t.Errorf("table %s has a RUN_ID column but is not in store.RunTables: DeleteRuns would leave its rows", n)
		}
	}
	for _, n := range store.RunTables {
		if !slices.Contains(withRunID, n) {
			t.Errorf("store.RunTables names %s, which has no RUN_ID column in the schema", n)
		}
	}
}

// Deleting a run and compacting gives its space back to the file system.
func TestSQLiteCompactReclaimsDeletedRuns(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	keep, drop := newRun(t, s, 1), newRun(t, s, 1)
	for _, r := range []store.Run{keep, drop} {
		fillRun(t, s, r, 20000)
		endRun(t, s, r, store.RunCompleted)
	}
	before, err := s.Size(ctx)
	if err != nil || !before.Known || before.Bytes == 0 {
		t.Fatalf("size = %+v, %v", before, err)
	}
	if _, err := s.DeleteRuns(ctx, []string{drop.ID}); err != nil {
		t.Fatal(err)
	}
	deleted, err := s.Size(ctx)
	if err != nil || deleted.FreeBytes == 0 {
		t.Fatalf("after delete, before compacting: %+v, %v (the deleted rows' pages should be free)", deleted, err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.FreeBytes != 0 || after.Bytes > before.Bytes*6/10 {
		t.Fatalf("compacting half the rows: %d → %d bytes (%d free)", before.Bytes, after.Bytes, after.FreeBytes)
	}
	if _, ex, _, _ := countRows(t, s, keep.ID); ex != 20000 {
		t.Fatalf("the kept run has %d executions after compacting, want 20000", ex)
	}
}
