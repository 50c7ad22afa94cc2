package stream

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/hashicorp/go-hclog"
)

type backend struct {
	name string
	open func(testing.TB) *store.Store
}

var backends = []backend{{"SQLite", openSQLite}, {"Postgres", openPostgres}}

func openSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "fb.db"), store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.FreshDatabase(tb), store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.ApplySchema(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

func forEachBackend(t *testing.T, f func(t *testing.T, st *store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.open(t)) })
	}
}

func boolp(b bool) *bool { return &b }

func count(t *testing.T, st *store.Store, f store.QueryExecutionFilter) int64 {
	t.Helper()
	f.RunID = "run1"
	n, err := st.CountQueryExecutions(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Stored rows are exactly errors + warmup + sampled measurement rows, and
// the measurement count scaled by SAMPLE_WEIGHT is within statistical
// tolerance of the true count.
func TestStoredRowsAreExactAndScale(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		const n, warm, rate = 40000, 4000, 0.2
		o := testOptions(st, t)
		o.FlushRows, o.BufferRows, o.FlushEvery = 1000, 4000, 20*time.Millisecond
		s := New(o)
		errc := make(chan error, 1)
		go func() { errc <- s.Run(context.Background()) }()
		for seq := int64(1); seq <= warm; seq++ {
			r, _ := gen(seq, warm)
			s.Offer(r)
		}
		if err := s.SetRate(AutoRate(rate*5000, 5000)); err != nil { // "auto" at the end of warmup
			t.Fatal(err)
		}
		var errs, warmups, measures int64
		for seq := int64(1); seq <= n; seq++ {
			r, k := gen(seq, warm)
			if seq > warm {
				s.Offer(r)
			}
			switch {
			case k == kindWarmup:
				warmups++
			case k == kindError:
				errs++
			default:
				measures++
			}
			if seq%500 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		f, err := s.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		ids := want(n, warm, rate)
		if got := count(t, st, store.QueryExecutionFilter{}); got != int64(len(ids)) || f.Written != got {
			t.Fatalf("stored %d rows (final %+v), want %d", got, f, len(ids))
		}
		// Warmup errors count as warmup here; errors in measurement:
		if got := count(t, st, store.QueryExecutionFilter{Warmup: boolp(true)}); got != warmups+warm/10 {
			t.Fatalf("warmup rows %d, want %d", got, warmups+warm/10)
		}
		if got := count(t, st, store.QueryExecutionFilter{Success: boolp(false)}); got != n/10 {
			t.Fatalf("error rows %d, want %d", got, n/10)
		}
		rows, err := st.ListQueryExecutions(context.Background(), store.QueryExecutionFilter{RunID: "run1"}, n)
		if err != nil {
			t.Fatal(err)
		}
		var scaled float64
		for _, r := range rows {
			if !ids[r.ExecutionID] {
				t.Fatalf("row %s should not be stored", r.ExecutionID)
			}
			measurement := r.Success && !r.Warmup
			wantW := 1.0
			if measurement {
				wantW = 1 / rate
				scaled += r.SampleWeight
			}
			if math.Abs(r.SampleWeight-wantW) > 1e-9 {
				t.Fatalf("row %s weight %v, want %v", r.ExecutionID, r.SampleWeight, wantW)
			}
		}
		// Kept ~ Binomial(measures, rate): sd of the scaled count is
		// sqrt(measures·(1−rate)/rate).
		sd := math.Sqrt(float64(measures) * (1 - rate) / rate)
		if math.Abs(scaled-float64(measures)) > 4*sd {
			t.Fatalf("scaled measurement count %.0f, true %d (sd %.0f)", scaled, measures, sd)
		}
		t.Logf("measurement ops %d, scaled from %d stored rows: %.0f (sd %.0f)", measures,
			len(ids)-int(warmups)-int(n/10), scaled, sd)
		// One row in full.
		r7, _ := gen(warm+7, warm)
		var got store.QueryExecution
		for _, r := range rows {
			if r.ExecutionID == ExecutionID("run1", "worker-0", warm+7) {
				got = r
			}
		}
		if got.ExecutionID != "" { // sampled in
			if got.TestID != "test1" || got.WorkerID != "worker-0" || got.Phase != r7.Phase || got.QueryName != r7.Query ||
				got.QueryKind != r7.Kind || got.LatencyUS != r7.LatencyUS || got.ServiceUS != r7.ServiceUS ||
				got.ActualStart.UnixMicro() != r7.ActualStart || got.IntendedStart.UnixMicro() != r7.IntendedStart ||
				got.RowsAffected.Int64 != 1 {
				t.Fatalf("row %+v does not match record %+v", got, r7)
			}
		}
	})
}

// The results store refuses writes for a while mid-run (a failing wrapper
// around the real store): records spill to the journal and every row is
// written once it is back.
func TestStoreOutageMidRunLosesNoRow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		fw := &failingWriter{inner: st}
		o := testOptions(fw, t)
		o.FlushEvery, o.RetryBudget = 10*time.Millisecond, time.Minute
		s := New(o)
		errc := make(chan error, 1)
		go func() { errc <- s.Run(context.Background()) }()
		const n, warm = 20000, 1000
		for seq := int64(1); seq <= n; seq++ {
			switch seq {
			case 5000:
				fw.setDown(true)
			case 15000:
				fw.setDown(false)
			}
			r, _ := gen(seq, warm)
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		f, err := s.Close(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if fw.fails == 0 {
			t.Fatal("the outage refused no write")
		}
		st2 := s.Stats()
		if st2.Spilled == 0 || st2.Dropped != 0 {
			t.Fatalf("stats %+v: the outage must spill and drop nothing", st2)
		}
		if got := count(t, st, store.QueryExecutionFilter{}); got != n || f.Written != n || f.NotWritten != 0 {
			t.Fatalf("stored %d rows, final %+v, want %d", got, f, n)
		}
	})
}

// A results store that never comes back: Run fails with a clear reason,
// rows written before stay, Close reports the rest.
func TestStoreNeverComesBackKeepsWrittenRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		fw := &failingWriter{inner: st}
		o := testOptions(fw, t)
		o.FlushEvery, o.RetryBudget, o.ShutdownTimeout = 10*time.Millisecond, 300*time.Millisecond, 200*time.Millisecond
		s := New(o)
		errc := make(chan error, 1)
		go func() { errc <- s.Run(context.Background()) }()
		for seq := int64(1); seq <= 3000; seq++ {
			r, _ := gen(seq, 0)
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		for end := time.Now().Add(time.Minute); s.Stats().Written < 3000; {
			if time.Now().After(end) {
				t.Fatalf("stats %+v: 3000 rows never written", s.Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
		fw.setDown(true)
		for seq := int64(3001); seq <= 5000; seq++ {
			r, _ := gen(seq, 0)
			s.Offer(r)
			if seq%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		err := <-errc
		if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, errDown) {
			t.Fatalf("Run: %v", err)
		}
		t.Logf("Run: %v", err)
		f, cerr := s.Close(context.Background())
		if !errors.Is(cerr, ErrStoreUnavailable) {
			t.Fatalf("Close: %v", cerr)
		}
		if got := count(t, st, store.QueryExecutionFilter{}); got != 3000 || f.Written != 3000 || f.NotWritten != 2000 || f.JournalPath == "" {
			t.Fatalf("stored %d rows, final %+v", got, f)
		}
	})
}
