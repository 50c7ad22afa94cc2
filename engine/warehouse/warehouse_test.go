package warehouse_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/snowflakedb/gosnowflake" // driver "snowflake"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/warehouse"
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	os.Exit(m.Run())
}

func start(t *testing.T, whs ...sfserver.Warehouse) (*sfserver.Server, *sql.DB) {
	t.Helper()
	srv := sftest.Start(t, sfserver.Options{Warehouses: whs})
	db, err := sql.Open("snowflake", srv.DSN("bench", "pw", "BENCH", "PUBLIC", "ADMIN_WH"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return srv, db
}

func TestShow(t *testing.T) {
	ctx := context.Background()
	_, db := start(t, sfserver.Warehouse{Name: "BENCH_WH", Size: "Small", MinClusters: 1, MaxClusters: 3,
		StartedClusters: 2, Queued: 4, Running: 2}, sfserver.Warehouse{Name: "BENCHXWH"})
	s, err := warehouse.Show(ctx, db, "BENCH_WH")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "BENCH_WH" || s.State != "STARTED" || s.Size != "Small" || s.Queued != 4 || s.Running != 2 ||
		s.StartedClusters != 2 || s.MinClusters != 1 || s.MaxClusters != 3 || s.At.IsZero() {
		t.Fatalf("sample %+v", s)
	}
	if _, err := warehouse.Show(ctx, db, "NOPE_WH"); !errors.Is(err, warehouse.ErrNotFound) {
		t.Fatalf("missing warehouse: %v", err)
	}
	if _, err := warehouse.Show(ctx, db, "X'; DROP TABLE T; --"); err == nil {
		t.Fatal("a name that is not a plain identifier was put into SQL")
	}
}

// A suspended warehouse without auto-resume fails statements with 000606;
// Resume wakes it once and is a no-op when it runs.
func TestResume(t *testing.T) {
	ctx := context.Background()
	srv, db := start(t, sfserver.Warehouse{Name: "BENCH_WH", State: "SUSPENDED"})
	bench, err := sql.Open("snowflake", srv.DSN("bench", "pw", "BENCH", "PUBLIC", "BENCH_WH"))
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE T (ID NUMBER)"); err != nil {
		t.Fatal(err)
	}
	var one int64
	if err := bench.QueryRowContext(ctx, "SELECT COUNT(*) + 1 FROM T").Scan(&one); err == nil || !strings.Contains(err.Error(), "000606") {
		t.Fatalf("statement on a suspended warehouse: %v", err)
	}
	resumed, err := warehouse.Resume(ctx, db, "BENCH_WH", 10*time.Millisecond)
	if err != nil || !resumed {
		t.Fatalf("Resume = %v, %v", resumed, err)
	}
	if w, _ := srv.Warehouse("BENCH_WH"); w.State != "STARTED" {
		t.Fatalf("state after resume: %s", w.State)
	}
	if err := bench.QueryRowContext(ctx, "SELECT COUNT(*) + 1 FROM T").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after resume: %d, %v", one, err)
	}
	before := len(srv.QueryHistory())
	resumed, err = warehouse.Resume(ctx, db, "BENCH_WH", 10*time.Millisecond)
	if err != nil || resumed {
		t.Fatalf("second Resume = %v, %v", resumed, err)
	}
	for _, r := range srv.QueryHistory()[before:] {
		if strings.HasPrefix(r.QueryText, "ALTER WAREHOUSE") {
			t.Errorf("a running warehouse was altered: %s", r.QueryText)
		}
	}
}

// The poller hands every sample to OnSample, sees changes the server makes
// between polls, and stops with its context.
func TestPoller(t *testing.T) {
	srv, db := start(t, sfserver.Warehouse{Name: "BENCH_WH"})
	got := make(chan warehouse.Sample, 100)
	p := &warehouse.Poller{Q: db, Name: "BENCH_WH", Every: 5 * time.Millisecond, OnSample: func(s warehouse.Sample) { got <- s }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	first := <-got
	if first.Queued != 0 || first.State != "STARTED" {
		t.Fatalf("first sample %+v", first)
	}
	srv.SetWarehouse(sfserver.Warehouse{Name: "BENCH_WH", Queued: 7, MaxClusters: 2, StartedClusters: 2})
	deadline := time.After(30 * time.Second)
	for s := first; s.Queued != 7 || s.StartedClusters != 2; {
		select {
		case s = <-got:
		case <-deadline:
			t.Fatalf("the poller never saw the queue; last %+v", s)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if last, failed := p.Last(); last.Name != "BENCH_WH" || failed != 0 {
		t.Errorf("Last = %+v, %d failed", last, failed)
	}
}

func TestQueueSignal(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	q := &warehouse.QueueSignal{MinSamples: 2}
	for s, queued := range []int64{0, 0, 0, 1, 0, 3, 5, 0} {
		q.Observe(warehouse.Sample{At: at(s), Queued: queued})
	}
	step := func(from, to, conc int) executor.Step {
		return executor.Step{Concurrency: conc, Started: at(from), Ended: at(to)}
	}
	if stop, _ := q.Signal(context.Background(), step(0, 2, 4)); stop {
		t.Error("stopped on a step without queueing")
	}
	if stop, _ := q.Signal(context.Background(), step(2, 4, 8)); stop {
		t.Error("stopped on one queued sample with MinSamples 2")
	}
	stop, why := q.Signal(context.Background(), step(4, 7, 16))
	if !stop || !strings.Contains(why, "up to 5 statements queued at concurrency 16") {
		t.Errorf("step with queueing: %v %q", stop, why)
	}
	var one warehouse.QueueSignal
	one.Observe(warehouse.Sample{At: at(3), Queued: 1})
	if stop, _ := one.Signal(context.Background(), step(2, 4, 8)); !stop {
		t.Error("default MinSamples is 1")
	}
}
