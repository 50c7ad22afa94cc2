package pgtarget

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/sqlite"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
)

var (
	_ store.Backend    = Store{}
	_ store.BulkWriter = Store{}
)

// A connection string pgx cannot parse is refused without its password.
func TestStoreOpenDBNeverQuotesTheDSN(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:hunter2@db:notaport/x",
		"host=db port=notaport password=hunter2 dbname=bench",
		"host='db password=hunter2",
	} {
		db, err := Store{}.OpenDB(dsn)
		if err == nil {
			db.Close()
			t.Errorf("OpenDB accepted an invalid connection string")
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenDB error quotes the password: %v", err)
		}
	}
}

// CopyRows writes every row through COPY on a pgx connection and says
// ErrUnsupported, having written nothing, on another driver's.
func TestStoreCopyRows(t *testing.T) {
	ctx := context.Background()
	db, err := Store{}.OpenDB(pgtest.FreshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id int PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		id   int
		name string
	}{{1, "a"}, {2, "b"}, {3, "c"}}
	copyAll := func(db *sql.DB) error {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return Store{}.CopyRows(ctx, conn, "t", []string{"id", "name"}, len(rows), func(dst []any, i int) []any {
			return append(dst, rows[i].id, rows[i].name)
		})
	}
	if err := copyAll(db); err != nil {
		t.Fatal(err)
	}
	var n int
	var names string
	if err := db.QueryRowContext(ctx, "SELECT count(*), string_agg(name, '' ORDER BY id) FROM t").Scan(&n, &names); err != nil || n != 3 || names != "abc" {
		t.Fatalf("after COPY: %d rows %q, %v", n, names, err)
	}
	// The same rows again: the key is taken, the driver's error says 23505.
	err = copyAll(db)
	var state interface{ SQLState() string }
	if !errors.As(err, &state) || state.SQLState() != "23505" {
		t.Fatalf("COPY of stored keys = %v, want SQLSTATE 23505", err)
	}

	lite, err := sql.Open(sqlite.DriverName, sqlite.DSN(filepath.Join(t.TempDir(), "x.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, err := lite.ExecContext(ctx, "CREATE TABLE t (id int PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	if err := copyAll(lite); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CopyRows on SQLite = %v, want ErrUnsupported", err)
	}
	if err := lite.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("SQLite rows after the refused COPY: %d, %v", n, err)
	}
}
