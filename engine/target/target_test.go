package target_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/google/go-cmp/cmp"
)

func TestOpenSQLiteRunsSetupAndReportsFailingStatement(t *testing.T) {
	ctx := context.Background()
	c := &dsl.Connection{Type: dsl.ConnSQLite, Name: "local", Fields: map[string]string{"path": filepath.Join(t.TempDir(), "t.db")}}
	db, err := target.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect.Name() != "sqlite" || db.Key != "sqlite.local" {
		t.Fatalf("dialect %s key %s", db.Dialect.Name(), db.Key)
	}
	err = target.RunSQL(ctx, db.DB, "setup", []string{
		"CREATE TABLE T (id INTEGER PRIMARY KEY)",
		"INSERT INTO T VALUES (1), (2)",
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM T").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
	err = target.RunSQL(ctx, db.DB, "teardown", []string{"DELETE FROM T", "DROP TABLE NOPE", "DROP TABLE T"})
	var se *target.SQLError
	if !errors.As(err, &se) || se.Step != "teardown" || se.Index != 2 || !strings.Contains(err.Error(), "DROP TABLE NOPE") {
		t.Fatalf("err = %v", err)
	}
	// The statement after the failure did not run.
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM T").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table after failed teardown: %d, %v", n, err)
	}
}

func TestOpenNeverLeaksSecrets(t *testing.T) {
	c := &dsl.Connection{Type: dsl.ConnPostgres, Name: "pg", Fields: map[string]string{"host": "db", "port": "nope", "user": "u", "database": "d"},
		Secrets: map[string]string{"password": "hunter2-secret"}}
	// pgx refuses the port: Open fails, and its message must not carry
	// the DSN.
	_, err := target.Open(c)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "postgres.pg") {
		t.Fatalf("Open = %v", err)
	}
}

func TestRebindPostgres(t *testing.T) {
	pg := &target.DB{Dialect: dialect.Postgres{}}
	if got := pg.Rebind("SELECT a FROM t WHERE a = ? AND b = '?' AND c = ?"); got != "SELECT a FROM t WHERE a = $1 AND b = '?' AND c = $2" {
		t.Fatalf("postgres rebind = %q", got)
	}
	lite := &target.DB{Dialect: dialect.SQLite{}}
	if got := lite.Rebind("SELECT ?"); got != "SELECT ?" {
		t.Fatalf("sqlite rebind = %q", got)
	}
}

func TestSessionInit(t *testing.T) {
	off := false
	tmpl := &dsl.Template{Name: "t", UseCachedResult: &off, Session: map[string]string{"STATEMENT_TIMEOUT_IN_SECONDS": "60", "ROWS_PER_RESULTSET": "it's"}}
	got, err := target.SessionInit(dsl.ConnSnowflake, tmpl, target.Tag{Run: "r1", Worker: "worker-0", Phase: "steady"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALTER SESSION SET TIMEZONE = 'UTC'",
		`ALTER SESSION SET QUERY_TAG = 'flakebench:run=r1:worker=worker-0:phase=steady'`,
		"ALTER SESSION SET USE_CACHED_RESULT = false",
		"ALTER SESSION SET ROWS_PER_RESULTSET = 'it''s'",
		"ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 60",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("snowflake init (-want +got):\n%s", d)
	}
	got, err = target.SessionInit(dsl.ConnPostgres, &dsl.Template{Session: map[string]string{"statement_timeout": "5s"}}, target.Tag{})
	if err != nil || len(got) != 1 || got[0] != "SET statement_timeout = '5s'" {
		t.Fatalf("postgres init = %q, %v", got, err)
	}
	if _, err := target.SessionInit(dsl.ConnPostgres, &dsl.Template{Session: map[string]string{"x; DROP TABLE t": "1"}}, target.Tag{}); err == nil {
		t.Fatal("an injected session key was accepted")
	}
}
