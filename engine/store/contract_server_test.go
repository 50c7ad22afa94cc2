package store_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/engine/store"
)

// What the server said about a run round-trips on every backend:
// aggregates (replaced on rerun), fingerprints (one per target, replaced),
// samples and lock waits.
func contractServerTruth(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	at := time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)
	agg := store.QueryAggregate{RunID: "r1", IntervalStart: at, IntervalEnd: at.Add(time.Minute), QueryHash: "h1",
		QueryTag: "t", Warehouse: "WH", QueryName: "lookup", QueryText: "SELECT 1", Calls: 1234, Errors: 2,
		ElapsedAvgUS: sql.NullInt64{Int64: 1500, Valid: true}, ElapsedMaxUS: sql.NullInt64{Int64: 9000, Valid: true},
		ErrorsJSON: json.RawMessage(`[{"code":"000625","count":2}]`), CollectedAt: at.Add(time.Hour)}
	other := agg
	other.QueryHash, other.QueryName, other.Calls = "h2", "", 5
	if err := s.ReplaceQueryAggregates(ctx, "r1", []store.QueryAggregate{agg, other}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceQueryAggregates(ctx, "r1", []store.QueryAggregate{agg}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListQueryAggregates(ctx, "r1")
	if err != nil || len(got) != 1 {
		t.Fatalf("aggregates %+v, %v", got, err)
	}
	var e1, e2 any
	json.Unmarshal(got[0].ErrorsJSON, &e1)
	json.Unmarshal(agg.ErrorsJSON, &e2)
	if !cmp.Equal(e1, e2) || got[0].Calls != 1234 || got[0].ElapsedAvgUS != agg.ElapsedAvgUS || got[0].ElapsedP99US.Valid ||
		!got[0].IntervalStart.Equal(at) || got[0].QueryName != "lookup" {
		t.Errorf("aggregate %+v", got[0])
	}

	fp := store.RunFingerprint{RunID: "r1", Target: "pg", Backend: "postgres",
		Settings: map[string]string{"server_version": "15.4", "shared_buffers": "128MB"}, CollectedAt: at}
	if err := s.PutRunFingerprint(ctx, fp); err != nil {
		t.Fatal(err)
	}
	fp.Settings["server_version"], fp.Actions = "15.5", []string{"resumed warehouse WH"}
	if err := s.PutRunFingerprint(ctx, fp); err != nil {
		t.Fatal(err)
	}
	fps, err := s.ListRunFingerprints(ctx, "r1")
	if err != nil || len(fps) != 1 || !cmp.Equal(fps[0].Settings, fp.Settings) || !cmp.Equal(fps[0].Actions, fp.Actions) {
		t.Fatalf("fingerprints %+v, %v", fps, err)
	}

	samples := []store.ServerSample{
		{RunID: "r1", Phase: "p", Target: "pg", SampledAt: at, State: "active", Kind: "", Sessions: 3},
		{RunID: "r1", Phase: "p", Target: "pg", SampledAt: at.Add(2 * time.Second), State: "waiting", Kind: "Lock:transactionid", Sessions: 2},
	}
	if err := s.InsertServerSamples(ctx, samples); err != nil {
		t.Fatal(err)
	}
	gs, err := s.ListServerSamples(ctx, "r1")
	if err != nil || len(gs) != 2 || gs[1].Kind != "Lock:transactionid" || gs[1].Sessions != 2 || !gs[1].SampledAt.Equal(at.Add(2*time.Second)) {
		t.Fatalf("samples %+v, %v", gs, err)
	}
	waits := []store.LockWait{{RunID: "r1", Phase: "p", Target: "pg", ObservedAt: at, Waiter: "123", WaiterQuery: "UPDATE t",
		Blocker: "456", LockType: "transactionid", LockObject: "t", WaitUS: 250000}}
	if err := s.InsertLockWaits(ctx, waits); err != nil {
		t.Fatal(err)
	}
	gw, err := s.ListLockWaits(ctx, "r1")
	if err != nil || len(gw) != 1 || !cmp.Equal(gw[0], waits[0], cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })) {
		t.Fatalf("lock waits %+v, %v", gw, err)
	}
}
