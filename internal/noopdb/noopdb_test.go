package noopdb

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestQueryAndExec(t *testing.T) {
	c := NewConnector(Options{Rows: 3})
	db := OpenConnector(c)
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT anything", 1, "x")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil || v != 1 {
			t.Fatalf("scan: %v %d", err, v)
		}
		n++
	}
	rows.Close()
	if n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	res, err := db.ExecContext(ctx, "INSERT", 5)
	if err != nil {
		t.Fatal(err)
	}
	if ra, _ := res.RowsAffected(); ra != 1 {
		t.Fatalf("rows affected %d", ra)
	}
	if c.Ops() != 2 {
		t.Fatalf("ops = %d, want 2", c.Ops())
	}
}

func TestErrorInjection(t *testing.T) {
	db := Open(Options{ErrorEvery: 3})
	defer db.Close()
	st, err := db.Prepare("X")
	if err != nil {
		t.Fatal(err)
	}
	var fails []int
	for i := 1; i <= 9; i++ {
		if _, err := st.Exec(); err != nil {
			var s interface{ SQLState() string }
			if !errors.As(err, &s) || s.SQLState() != "40001" {
				t.Fatalf("error %v has no SQLSTATE 40001", err)
			}
			fails = append(fails, i)
		}
	}
	if len(fails) != 3 || fails[0] != 3 || fails[2] != 9 {
		t.Fatalf("failed ops %v, want 3 6 9", fails)
	}
}

func TestLatencyAndStallAtOpCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := Open(Options{Latency: time.Millisecond, StallAfterOps: 5, StallFor: time.Second})
		defer db.Close()
		db.SetMaxIdleConns(4)
		ctx := context.Background()
		took := func() time.Duration {
			start := time.Now()
			if _, err := db.ExecContext(ctx, "X"); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}
		for i := range 4 {
			if d := took(); d != time.Millisecond {
				t.Fatalf("op %d took %v, want 1ms", i+1, d)
			}
		}
		// Op 5 starts the stall; ops started during it end with it.
		var wg sync.WaitGroup
		start := time.Now()
		var d5 time.Duration
		wg.Go(func() { d5 = took() })
		time.Sleep(300 * time.Millisecond)
		d6 := took()
		wg.Wait()
		if d5 != time.Second || time.Since(start) != time.Second || d6 != 700*time.Millisecond {
			t.Fatalf("stall: op5 %v, op6 %v, total %v", d5, d6, time.Since(start))
		}
		if d := took(); d != time.Millisecond {
			t.Fatalf("after the stall an op took %v", d)
		}
	})
}

func TestStallAtTimeHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := Open(Options{StallAt: time.Second, StallFor: time.Minute})
		defer db.Close()
		if _, err := db.Exec("X"); err != nil { // first op starts the clock
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := db.ExecContext(ctx, "X")
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 2*time.Second {
			t.Fatalf("stalled op: err %v after %v", err, time.Since(start))
		}
	})
}

func TestRegisterByName(t *testing.T) {
	name := "noopdb-" + t.Name()
	if err := Register(name, Options{Rows: 2}); err != nil {
		t.Fatal(err)
	}
	if err := Register(name, Options{}); err == nil {
		t.Fatal("registering a name twice gave no error")
	}
	db, err := sql.Open(name, "anything")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	rows, err := db.Query("SELECT")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		n++
	}
	if n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
}
