package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/sqlite"
)

// The pragmas of DSN reach the driver: a pool opened with it reports them.
func TestDSNSettingsReachTheDriver(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a b's.db") // a space and a quote survive the URL form
	db, err := sql.Open(sqlite.DriverName, sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{
		"busy_timeout": "30000",
		"journal_mode": "wal",
		"synchronous":  "1", // NORMAL
		"foreign_keys": "1",
	} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE T (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("database file %q, want %q", file, path)
	}
}

// ReadOnlyDSN refuses writes.
func TestReadOnlyDSNRefusesWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.db")
	rw, err := sql.Open(sqlite.DriverName, sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.ExecContext(ctx, "CREATE TABLE T (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	ro, err := sql.Open(sqlite.DriverName, sqlite.ReadOnlyDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var n int
	if err := ro.QueryRowContext(ctx, "SELECT COUNT(*) FROM T").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.ExecContext(ctx, "INSERT INTO T VALUES (1)"); err == nil {
		t.Fatal("insert through the read-only DSN succeeded")
	}
}

// Pools opening a new file at the same moment all connect: the first
// opening puts the file into WAL mode under its exclusive lock, which
// SQLite takes without its busy handler, and the others retry instead of
// failing with SQLITE_BUSY (with a bare sql.Open about 1 in 100 openings
// failed here).
func TestPoolsOpeningANewFileTogetherAllConnect(t *testing.T) {
	ctx := context.Background()
	for round := range 150 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new%d.db", round))
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				db, err := sqlite.Open(path)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS T (id INTEGER)"); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// An opening that fails for another reason than a lock is not retried.
func TestOpenFailsAtOnceOnAMissingDirectory(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("ping of a file in a missing directory succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the failing opening took %v: it was retried", d)
	}
}
