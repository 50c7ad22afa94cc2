package executor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/workload"
	"github.com/flakebench/fbctl/internal/noopdb"
	_ "modernc.org/sqlite"
)

func TestClosedWithThinkTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 10 ms per op and 40 ms think: each connection starts an op every
		// 50 ms: 21 starts in 0..1000 ms.
		env, db := noopEnv(t, noopdb.Options{Latency: 10 * time.Millisecond})
		res, err := runNow(context.Background(), &Closed{Sessions: 4, Duration: 1025 * time.Millisecond, ThinkTime: 40 * time.Millisecond}, env)
		if err != nil {
			t.Fatal(err)
		}
		if res.Counts.Ops != 84 || db.Ops() != 84 {
			t.Fatalf("ops %d (target saw %d), want 84", res.Counts.Ops, db.Ops())
		}
		if d := res.Ended.Sub(res.Started); d != 1025*time.Millisecond {
			t.Fatalf("ran %v, want 1s", d)
		}
		lat := merged(env, histogram.MetricLatency)
		if !lat.ValuesAreEquivalent(lat.Max(), 10_000) || !lat.ValuesAreEquivalent(lat.Min(), 10_000) {
			t.Fatalf("latency min %d max %d, want 10 ms (think time excluded)", lat.Min(), lat.Max())
		}
	})
}

func TestClosedCountsErrorsBySQLState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, _ := noopEnv(t, noopdb.Options{Latency: time.Millisecond, ErrorEvery: 10})
		res, err := runNow(context.Background(), &Closed{Sessions: 2, Duration: time.Second}, env)
		if err != nil {
			t.Fatal(err)
		}
		errs := env.Recorder.Errors()
		if res.Counts.Errors != res.Counts.Ops/10 || len(errs) != 1 || errs[0].Code != "40001" || errs[0].Count != res.Counts.Errors || len(errs[0].Messages) != MaxErrorMessages {
			t.Fatalf("counts %+v, errors %+v", res.Counts, errs)
		}
		failed := env.Recorder.r.reg.Merged(func(k histogram.Key) bool { return !k.Success })
		if failed.TotalCount() != res.Counts.Errors {
			t.Fatalf("failure histogram holds %d, want %d", failed.TotalCount(), res.Counts.Errors)
		}
	})
}

type sliceSink struct {
	mu   sync.Mutex
	recs []Record
}

func (s *sliceSink) Offer(r Record) bool {
	s.mu.Lock()
	s.recs = append(s.recs, r)
	s.mu.Unlock()
	return true
}

// TestSQLTargetOnSQLite runs a closed phase with the real query mix and
// generators against SQLite: inserts from a sequence never collide and
// every record reaches the sink.
func TestSQLTargetOnSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/t.db?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO kv VALUES (1, 'seed'), (2, 'seed')`); err != nil {
		t.Fatal(err)
	}
	tmpl := &dsl.Template{
		QueryOrder: []string{"get", "put"},
		Queries: map[string]*dsl.Query{
			"get": {Name: "get", Kind: dsl.KindPointLookup, Weight: 1, SQL: "SELECT v FROM kv WHERE id = ?",
				Args: []dsl.Generator{{Kind: dsl.GenUniform, Min: 1, Max: 2}}},
			"put": {Name: "put", Kind: dsl.KindInsert, Weight: 1, SQL: "INSERT INTO kv (id, v) VALUES (?, ?)",
				Args: []dsl.Generator{{Kind: dsl.GenSequence, Column: "id"}, {Kind: dsl.GenRandomString, N: 8}}},
		},
	}
	specs := []QuerySpec{{SQL: tmpl.Queries["get"].SQL}, {SQL: tmpl.Queries["put"].SQL, Write: true}}
	infos := []QueryInfo{{Name: "get", Kind: dsl.KindPointLookup}, {Name: "put", Kind: dsl.KindInsert, Write: true}}
	sink := &sliceSink{}
	rec := NewRecorder(histogram.NewRegistry(), infos, RecorderOptions{Sink: sink})
	env := Env{
		Target: &SQLTarget{DB: db, Queries: specs},
		Ops: func(conn int) (OpSource, error) {
			return workload.NewConn(tmpl, workload.Env{Seed: 1, Workers: 1, Conn: conn, ConnsPerWorker: 1, SequenceMax: map[string]int64{"id": 2}})
		},
		Recorder: rec.Phase("main", false),
	}
	res, err := runNow(ctx, &Closed{Sessions: 1, Duration: 200 * time.Millisecond}, env)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Errors != 0 || res.Counts.Writes == 0 || res.Counts.Reads == 0 {
		t.Fatalf("counts %+v, errors %+v", res.Counts, env.Recorder.Errors())
	}
	var rows int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM kv`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2+res.Counts.Writes {
		t.Fatalf("table has %d rows, want %d", rows, 2+res.Counts.Writes)
	}
	if int64(len(sink.recs)) != res.Counts.Ops {
		t.Fatalf("sink got %d records, want %d", len(sink.recs), res.Counts.Ops)
	}
	for i, r := range sink.recs {
		if r.ExecutionSeq != int64(i+1) || r.Phase != "main" || !r.Success || r.LatencyUS != r.ServiceUS || r.IntendedStart != r.ActualStart {
			t.Fatalf("record %d: %+v", i, r)
		}
		if r.Query == "get" && r.Rows != 1 || r.Query == "put" && (r.Rows != 1 || r.Kind != dsl.KindInsert) {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

type numbered struct{ n int }

func (e numbered) Error() string { return fmt.Sprintf("error %d", e.n) }
func (e numbered) Number() int   { return e.n }

func TestClassifyError(t *testing.T) {
	for _, tc := range []struct {
		err        error
		code, sqls string
	}{
		{fmt.Errorf("wrapped: %w", &noopdb.Error{State: "23505"}), "23505", "23505"},
		{fmt.Errorf("sf: %w", numbered{390114}), "390114", ""},
		{context.DeadlineExceeded, "timeout", ""},
		{fmt.Errorf("x: %w", context.Canceled), "canceled", ""},
		{errors.New("boom"), "error", ""},
	} {
		got := ClassifyError(tc.err)
		if got.Code != tc.code || got.SQLState != tc.sqls || got.Message != tc.err.Error() {
			t.Errorf("%v: %+v", tc.err, got)
		}
	}
}

// TestRecordDoesNotAllocate checks the hot path of a recorded operation,
// without a sink, once its histogram buckets exist.
func TestRecordDoesNotAllocate(t *testing.T) {
	rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
	for _, open := range []bool{false, true} {
		s := rec.Phase("p", false).Session(open)
		for i := range 1000 {
			s.Record(0, 0, time.Duration(i)*time.Microsecond, time.Duration(i)*time.Millisecond, 1, "", nil)
		}
		rec.Registry().Flush()
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			s.Record(0, 0, time.Duration(i%1000)*time.Microsecond, time.Duration(i%1000)*time.Millisecond, 1, "", nil)
			i++
		})
		if allocs != 0 {
			t.Fatalf("open=%v: Record allocates %.2f times per operation", open, allocs)
		}
	}
}

type qidKey struct{}

func TestSQLTargetQueryIDHook(t *testing.T) {
	db := noopdb.Open(noopdb.Options{})
	defer db.Close()
	n := 0
	target := &SQLTarget{DB: db, Queries: []QuerySpec{{SQL: "SELECT 1"}, {SQL: "UPDATE", Write: true}},
		QueryID: func(ctx context.Context) (context.Context, func() string) {
			n++
			id := fmt.Sprintf("q-%d", n)
			ctx = context.WithValue(ctx, qidKey{}, id)
			return ctx, func() string { return ctx.Value(qidKey{}).(string) }
		}}
	s, err := target.Open(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, q := range []int{0, 1} {
		rows, id, err := s.Exec(context.Background(), q, nil)
		if err != nil || rows != 1 || id != fmt.Sprintf("q-%d", i+1) {
			t.Fatalf("query %d: rows %d id %q err %v", q, rows, id, err)
		}
	}
}
