package sfserver_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/flakebench/fbctl/internal/sfserver"
)

// TestConcurrentReadThenWriteTransactions runs read-modify-write
// transactions from several sessions at once; they must serialise (no lost
// update, no spurious lock error), as row locks would on a hybrid table.
func TestConcurrentReadThenWriteTransactions(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, "CREATE HYBRID TABLE COUNTER (ID INT PRIMARY KEY, N NUMBER(38,0))")
	mustExec(t, db, "INSERT INTO COUNTER VALUES (1, 0)")
	const workers, rounds = 6, 10
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				var n int64
				if err := tx.QueryRowContext(ctx, "SELECT N FROM COUNTER WHERE ID = 1").Scan(&n); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if _, err := tx.ExecContext(ctx, "UPDATE COUNTER SET N = ? WHERE ID = 1", n+1); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int64
	if err := db.QueryRow("SELECT N FROM COUNTER WHERE ID = 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers*rounds {
		t.Errorf("counter = %d, want %d (lost updates)", n, workers*rounds)
	}
}

// TestUnionAllInsertBeyondSQLiteCompoundLimit inserts 600 rows with the
// INSERT … SELECT … UNION ALL SELECT … form the store uses for JSON columns.
func TestUnionAllInsertBeyondSQLiteCompoundLimit(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, "CREATE TABLE EV (ID NUMBER(38,0), PAYLOAD VARIANT)")
	const rows = 600
	parts := make([]string, rows)
	args := make([]any, 0, 2*rows)
	for i := range parts {
		parts[i] = "SELECT ?, PARSE_JSON(?)"
		args = append(args, int64(i), fmt.Sprintf(`{"i":%d}`, i))
	}
	res := mustExec(t, db, "INSERT INTO EV (ID, PAYLOAD) "+strings.Join(parts, " UNION ALL "), args...)
	if n, err := res.RowsAffected(); err != nil || n != rows {
		t.Fatalf("RowsAffected = %d, %v", n, err)
	}
	var payload string
	if err := db.QueryRow("SELECT PAYLOAD FROM EV WHERE ID = 599").Scan(&payload); err != nil || payload != `{"i":599}` {
		t.Errorf("payload = %q, %v", payload, err)
	}
	var tables int64
	err := db.QueryRow("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = ?", "EV").Scan(&tables)
	if err != nil || tables != 1 {
		t.Errorf("INFORMATION_SCHEMA.TABLES count for EV = %d, %v", tables, err)
	}
}

// TestClosedSessionLeavesNoTransaction closes a session in the middle of a
// transaction: its writes are rolled back, its lock and TEMP tables are gone.
func TestClosedSessionLeavesNoTransaction(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	first := openDB(t, s)
	mustExec(t, first, "CREATE TABLE T (ID INT)")
	ctx := context.Background()
	conn, err := first.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, "CREATE TEMPORARY TABLE SCRATCH (X INT)")
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO T VALUES (1)")
	conn.Close()
	first.Close() // ends the Snowflake sessions (POST /session?delete=true)
	if n := s.Stats().Sessions; n != 0 {
		t.Fatalf("%d sessions open after the client closed", n)
	}
	second := openDB(t, s)
	mustExec(t, second, "INSERT INTO T VALUES (2)") // would wait for the lock if it leaked
	var n int64
	if err := second.QueryRow("SELECT COUNT(*) FROM T").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows after the other session closed mid-transaction = %d, %v; want 1", n, err)
	}
	if _, err := second.Exec("SELECT * FROM SCRATCH"); err == nil {
		t.Error("TEMP table of a closed session is visible to a new session")
	}
}
