package executor_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/snowflake" // driver "snowflake" and its query-id hook
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

type bound int

func (b bound) BoundSlot() int { return int(b) }

// A transaction on SQLTarget runs its statements in one transaction and
// binds an into value for a later statement; a failing statement (a
// duplicate key in the last one) rolls back the earlier ones, and the
// session's next operations succeed. Run on real SQLite and on the real
// gosnowflake driver against the local Snowflake server (a hybrid table).
func TestSQLTargetTransaction(t *testing.T) {
	for _, backend := range []string{"sqlite", "snowflake"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var db *sql.DB
			var err error
			create := []string{"CREATE TABLE fb_tx (id INT PRIMARY KEY, n INT NOT NULL)", "CREATE TABLE fb_log (id INT PRIMARY KEY, n INT)"}
			switch backend {
			case "sqlite":
				db, err = sql.Open("sqlite", "file:"+t.TempDir()+"/t.db?_pragma=busy_timeout(5000)&_txlock=immediate")
			case "snowflake":
				os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
				os.Setenv("SF_DISABLE_MINICORE", "true")
				srv := sftest.Start(t, sfserver.Options{})
				db, err = sql.Open("snowflake", srv.DSN("bench", "pw", "BENCH", "PUBLIC", "BENCH_WH"))
				create = []string{"CREATE HYBRID TABLE fb_tx (id INT PRIMARY KEY, n INT NOT NULL)", "CREATE HYBRID TABLE fb_log (id INT PRIMARY KEY, n INT)"}
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range append(create, "INSERT INTO fb_tx VALUES (1, 0)") {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			tx := &executor.TxSpec{Slots: 1, Statements: []executor.StmtSpec{
				{SQL: "UPDATE fb_tx SET n = n + 1 WHERE id = 1", Write: true, Into: -1},
				{SQL: "SELECT n FROM fb_tx WHERE id = 1", Into: 0},
				{SQL: "INSERT INTO fb_log (id, n) VALUES (?, ?)", Write: true, Args: 2, Into: -1},
			}}
			tgt := &executor.SQLTarget{DB: db, Queries: []executor.QuerySpec{{Write: true, Tx: tx}}}
			if backend == "snowflake" {
				// The query-id hook fbctl uses (a channel of one id per
				// wrapped context): a transaction must wrap each statement,
				// or the driver blocks sending its second id.
				tgt.QueryID = snowflake.QueryID
			}
			s, err := tgt.Open(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var failed int
			for _, id := range []int64{10, 20, 20, 30} {
				rows, qid, err := s.Exec(ctx, 0, []any{id, bound(0)})
				if err != nil {
					failed++
					continue
				}
				if backend == "snowflake" && qid == "" {
					t.Error("a committed transaction has no target query id")
				}
				if rows != 3 {
					t.Errorf("rows = %d, want 3 (1 updated, 1 read, 1 inserted)", rows)
				}
			}
			if failed != 1 {
				t.Fatalf("%d operations failed, want the duplicate key only", failed)
			}
			var n int64
			if err := db.QueryRowContext(ctx, "SELECT n FROM fb_tx WHERE id = 1").Scan(&n); err != nil || n != 3 {
				t.Fatalf("n = %d (%v), want 3: the failed transaction's update must be rolled back", n, err)
			}
			rows, err := db.QueryContext(ctx, "SELECT id, n FROM fb_log ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var id, v int64
				if err := rows.Scan(&id, &v); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d:%d", id, v))
			}
			rows.Close()
			if fmt.Sprint(got) != "[10:1 20:2 30:3]" {
				t.Errorf("log %v, want [10:1 20:2 30:3] (each committed transaction logs the n it read)", got)
			}
		})
	}
}
