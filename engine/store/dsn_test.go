package store_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
)

// A key=value DSN (libpq's form) is a Postgres connection string. It used
// to be taken for an SQLite file path: the results landed in a file named
// after the DSN, password included.
func TestKeyValueDSNIsPostgres(t *testing.T) {
	u, err := url.Parse(pgtest.FreshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	kv := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable", u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := store.Open(context.Background(), kv, store.Options{Backends: backends})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect().Name() != "postgres" {
		t.Fatalf("dialect %q", s.Dialect().Name())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Open created %v in the working directory", entries)
	}
}

func TestBadKeyValueDSNIsRefusedWithoutThePassword(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{
		"host=db port=notaport password=hunter2 dbname=bench",
		"host='db password=hunter2",
		"colour=blue password=hunter2",
	} {
		_, err := store.Open(context.Background(), dsn, store.Options{Backends: backends})
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error echoes the password: %v", dsn, err)
		}
		t.Logf("%s → %v", store.Redact(dsn), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Open created %v in the working directory", entries)
	}
}

func TestRedactKeyValue(t *testing.T) {
	for in, want := range map[string]string{
		"host=db password=hunter2 dbname=x":        "host=db password=xxxxx dbname=x",
		"host=db password = 'hun ter\\'2' user=me": "host=db password = xxxxx user=me",
		"PASSWORD=hunter2":                         "PASSWORD=xxxxx",
		"host=db sslpassword=hunter2":              "host=db sslpassword=xxxxx",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// A Snowflake DSN with host= or port= in its query string would go to
// <account>.snowflakecomputing.com; it is refused, without the password.
func TestSnowflakeDSNWithHostParameterIsRefused(t *testing.T) {
	for _, dsn := range []string{
		"snowflake://me:hunter2@acct/DB/PUBLIC?host=127.0.0.1&port=8085",
		"snowflake://me:hunter2@acct/DB/PUBLIC?warehouse=WH&port=8085",
	} {
		_, err := store.Open(context.Background(), dsn, store.Options{Backends: backends})
		if err == nil || !strings.Contains(err.Error(), "ignores") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%s) = %v", store.Redact(dsn), err)
		}
	}
}
