package store_test

import (
	"context"
	"os"
	"path/filepath"
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
