package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/sql/schema"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// runContract is the behaviour every results-store backend must have. open
// returns a store with the schema applied; it is called once per subtest
// and should give each call a clean store (a fresh file or database).
//
// Another backend plugs in with its own opener, e.g. for the local
// Snowflake-protocol server (the test imports gosnowflake and sets
// SNOWFLAKE_DISABLE_PLATFORM_DETECTION / SF_DISABLE_MINICORE first):
//
//	runContract(t, func(t *testing.T) *store.Store {
//		srv := ... // sfserver.New + Start, t.Cleanup(srv.Close)
//		s, err := store.Open(ctx, "snowflake://"+srv.DSN("u", "p", "FB", "RESULTS", "WH"), store.Options{})
//		... // t.Cleanup(s.Close); s.ApplySchema(ctx)
//		return s
//	})
func runContract(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("SchemaApplyIsIdempotent", func(t *testing.T) { contractSchema(t, open(t)) })
	t.Run("Templates", func(t *testing.T) { contractTemplates(t, open(t)) })
	t.Run("Lease", func(t *testing.T) { contractLease(t, open(t)) })
	t.Run("EventSequenceUnderConcurrency", func(t *testing.T) { contractEvents(t, open(t)) })
	t.Run("ClaimWorkerGroupUnderConcurrency", func(t *testing.T) { contractClaim(t, open(t)) })
	t.Run("RunTransitions", func(t *testing.T) { contractRuns(t, open(t)) })
	t.Run("ResultsRoundTrip", func(t *testing.T) { contractResults(t, open(t)) })
	t.Run("QueryExecutionsBatch", func(t *testing.T) { contractExecutions(t, open(t)) })
	t.Run("MetricsSnapshots", func(t *testing.T) { contractSnapshots(t, open(t)) })
	t.Run("RunLeaseAndFencing", func(t *testing.T) { contractRunLease(t, open(t)) })
	t.Run("Scenarios", func(t *testing.T) { contractScenarios(t, open(t)) })
	t.Run("DeleteAndPruneRuns", func(t *testing.T) { contractDeleteRuns(t, open(t)) })
	t.Run("Tags", func(t *testing.T) { contractTags(t, open(t)) })
	t.Run("ServerTruth", func(t *testing.T) { contractServerTruth(t, open(t)) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// numberOpt compares floats as a fixed-scale NUMBER column keeps them:
// Snowflake stores rates with 12 decimals and QPS with 6.
var numberOpt = cmpopts.EquateApprox(1e-6, 1e-12)

func jsonEqual(t *testing.T, what string, want, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: bad want JSON: %v", what, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: stored JSON does not parse: %v (%s)", what, err, got)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s JSON (-want +got):\n%s", what, diff)
	}
}

func contractSchema(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	latest := schema.Latest(s.Dialect().Name())
	if latest < 1 {
		t.Fatalf("no migrations for %s", s.Dialect().Name())
	}
	for i := 0; i < 2; i++ {
		applied, err := s.ApplySchema(ctx)
		if err != nil {
			t.Fatalf("ApplySchema #%d: %v", i+1, err)
		}
		if len(applied) != 0 {
			t.Fatalf("ApplySchema on an up-to-date store applied %v", applied)
		}
	}
	cur, lat, pending, err := s.SchemaStatus(ctx)
	if err != nil || cur != latest || lat != latest || len(pending) != 0 {
		t.Fatalf("SchemaStatus = %d, %d, %v, %v; want %d, %d, none", cur, lat, pending, err, latest, latest)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema: %v", err)
	}
}

func contractTemplates(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	clk := newClock()
	s = s.WithClock(clk.Now)

	cfg1 := []byte(`{"table": "ORDERS", "queries": [{"name": "lookup", "weight": 60}]}`)
	tpl, change, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "orders_oltp", Description: "OLTP", Config: cfg1,
		Tags: map[string]string{"team": "perf"}, Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	hash1, _ := store.HashConfig(cfg1)
	if change != store.TemplateCreated || tpl.Version != 1 || tpl.ConfigHash != hash1 || tpl.CreatedBy != "alice" ||
		!tpl.CreatedAt.Equal(clk.Now()) || tpl.ID == "" || tpl.Tags["team"] != "perf" {
		t.Fatalf("created template = %+v, change %s", tpl, change)
	}
	jsonEqual(t, "CONFIG", cfg1, tpl.Config)

	// Same content (different whitespace): unchanged, no version bump.
	clk.Advance(time.Minute)
	tpl2, change, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "orders_oltp", Description: "OLTP",
		Config: []byte(`{"table":"ORDERS","queries":[{"name":"lookup","weight":60}]}`), Tags: map[string]string{"team": "perf"}, Actor: "bob"})
	if err != nil || change != store.TemplateUnchanged || tpl2.Version != 1 || !tpl2.UpdatedAt.Equal(tpl.UpdatedAt) {
		t.Fatalf("unchanged upsert = %+v, %s, %v", tpl2, change, err)
	}

	// Edited weight: version 2, new hash, updated at/by.
	clk.Advance(time.Minute)
	cfg2 := []byte(`{"table": "ORDERS", "queries": [{"name": "lookup", "weight": 70}]}`)
	tpl3, change, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "orders_oltp", Description: "OLTP", Config: cfg2,
		Tags: map[string]string{"team": "perf"}, Actor: "bob"})
	if err != nil || change != store.TemplateUpdated || tpl3.Version != 2 || tpl3.ConfigHash == hash1 ||
		tpl3.UpdatedBy != "bob" || tpl3.CreatedBy != "alice" || !tpl3.UpdatedAt.Equal(clk.Now()) || !tpl3.CreatedAt.Equal(tpl.CreatedAt) ||
		tpl3.ID != tpl.ID {
		t.Fatalf("updated upsert = %+v, %s, %v", tpl3, change, err)
	}
	jsonEqual(t, "CONFIG v2", cfg2, tpl3.Config)

	// A tag change alone is a change too.
	_, change, err = s.UpsertTemplate(ctx, store.TemplateInput{Name: "orders_oltp", Description: "OLTP", Config: cfg2,
		Tags: map[string]string{"team": "db"}, Actor: "bob"})
	if err != nil || change != store.TemplateUpdated {
		t.Fatalf("tag change: %s, %v", change, err)
	}
	if _, _, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "bad", Config: []byte(`{not json`)}); err == nil {
		t.Fatal("invalid CONFIG JSON accepted")
	}

	if _, _, err := s.UpsertTemplate(ctx, store.TemplateInput{Name: "analytics", Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListTemplates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range list {
		names = append(names, x.Name)
	}
	if diff := cmp.Diff([]string{"analytics", "orders_oltp"}, names); diff != "" {
		t.Fatalf("ListTemplates names (-want +got):\n%s", diff)
	}
	if list[1].Version != 3 {
		t.Fatalf("orders_oltp version %d, want 3", list[1].Version)
	}

	clk.Advance(time.Minute)
	if err := s.MarkTemplateUsed(ctx, "orders_oltp"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTemplate(ctx, "orders_oltp")
	if err != nil || got.UsageCount != 1 || got.LastUsedAt == nil || !got.LastUsedAt.Equal(clk.Now()) || got.Version != 3 {
		t.Fatalf("after MarkTemplateUsed: %+v, %v", got, err)
	}
	if err := s.MarkTemplateUsed(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MarkTemplateUsed(nope) = %v", err)
	}

	if err := s.DeleteTemplate(ctx, "analytics"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTemplate(ctx, "analytics"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTemplate after delete = %v", err)
	}
	if err := s.DeleteTemplate(ctx, "analytics"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
}

func contractLease(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	clk := newClock()
	s = s.WithClock(clk.Now)

	a, err := s.AcquireLease(ctx, store.ApplyLockName, "alice@ci pid 1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	_, err = s.AcquireLease(ctx, store.ApplyLockName, "bob@laptop pid 2", time.Minute)
	var held *store.LeaseHeldError
	if !errors.As(err, &held) {
		t.Fatalf("second acquire = %v, want LeaseHeldError", err)
	}
	if held.Holder != "alice@ci pid 1" || held.LockID != a.LockID || held.Age != 30*time.Second || held.ExpiresIn != 30*time.Second {
		t.Fatalf("LeaseHeldError = %+v", held)
	}
	if msg := held.Error(); !strings.Contains(msg, "alice@ci pid 1") || !strings.Contains(msg, "fbctl force-unlock "+a.LockID) {
		t.Fatalf("message %q lacks holder or force-unlock hint", msg)
	}
	// A different lock name is independent.
	other, err := s.AcquireLease(ctx, "other", "bob", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// Renewal keeps it held past the original expiry.
	if err := a.Renew(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(45 * time.Second)
	if _, err := s.AcquireLease(ctx, store.ApplyLockName, "bob", time.Minute); !errors.As(err, &held) {
		t.Fatalf("acquire of a renewed lease = %v", err)
	}

	// Expired: bob takes over; alice has lost it.
	clk.Advance(time.Minute)
	b, err := s.AcquireLease(ctx, store.ApplyLockName, "bob", time.Minute)
	if err != nil {
		t.Fatalf("acquire of an expired lease: %v", err)
	}
	if err := a.Renew(ctx, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renew of a lost lease = %v", err)
	}
	if err := a.Release(ctx); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("release of a lost lease = %v", err)
	}

	// Force-unlock by ID frees it at once.
	if err := s.ForceUnlock(ctx, b.LockID); err != nil {
		t.Fatal(err)
	}
	if err := s.ForceUnlock(ctx, b.LockID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second force-unlock = %v", err)
	}
	c, err := s.AcquireLease(ctx, store.ApplyLockName, "carol", time.Minute)
	if err != nil {
		t.Fatalf("acquire after force-unlock: %v", err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func newRun(t *testing.T, s *store.Store, workers int) store.Run {
	t.Helper()
	r, err := s.CreateRun(ctxT(t), store.Run{ScenarioName: "nightly", TemplateName: "orders_oltp", WorkersExpected: workers,
		Seed: 42, SampleRate: 0.25, Plan: []byte(`{"format_version": 1}`)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func contractEvents(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	run := newRun(t, s, 1)
	const appenders, each = 8, 20
	var (
		mu   sync.Mutex
		seqs []int64
		wg   sync.WaitGroup
	)
	errs := make(chan error, appenders)
	for g := 0; g < appenders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ev, err := s.AppendEvent(ctx, run.ID, 0, store.EventSetWorkerTarget, []byte(fmt.Sprintf(`{"g": %d, "i": %d}`, g, i)))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seqs = append(seqs, ev.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(seqs)
	for i, q := range seqs {
		if q != int64(i+1) {
			t.Fatalf("sequence ids are not 1..%d without gaps or duplicates: position %d has %d", appenders*each, i, q)
		}
	}
	all, err := s.EventsAfter(ctx, run.ID, 0, 0)
	if err != nil || len(all) != appenders*each {
		t.Fatalf("EventsAfter(0) = %d events, %v", len(all), err)
	}
	page, err := s.EventsAfter(ctx, run.ID, 150, 10)
	if err != nil || len(page) != 10 || page[0].Seq != 151 || page[9].Seq != 160 {
		t.Fatalf("EventsAfter(150, 10) = %+v, %v", page, err)
	}
	var payload map[string]int
	if err := json.Unmarshal(page[0].Payload, &payload); err != nil || page[0].Type != store.EventSetWorkerTarget || page[0].CreatedAt.IsZero() {
		t.Fatalf("event round trip: %+v, %v", page[0], err)
	}
	r, _ := s.GetRun(ctx, run.ID)
	if r.NextSequenceID != appenders*each+1 {
		t.Fatalf("NEXT_SEQUENCE_ID = %d", r.NextSequenceID)
	}
	if _, err := s.AppendEvent(ctx, "no-such-run", 0, store.EventStop, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("append to unknown run = %v", err)
	}
}

func contractClaim(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	run := newRun(t, s, 5)
	const claimers = 12
	groups := make([]int, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for i := 0; i < claimers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half of them carry a scheduler's index hint, some the same.
			hint := -1
			if i%2 == 0 {
				hint = i % 3
			}
			groups[i], errs[i] = s.ClaimWorkerGroup(ctx, run.ID, fmt.Sprintf("ext-%d", i), "host", 1000+i, hint)
		}()
	}
	wg.Wait()
	var got []int
	winner := -1
	for i := range claimers {
		switch {
		case errs[i] == nil:
			got = append(got, groups[i])
			winner = i
		case !errors.Is(errs[i], store.ErrNoFreeWorkerGroup):
			t.Fatalf("claimer %d: %v", i, errs[i])
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, got); diff != "" {
		t.Fatalf("claimed groups (-want +got):\n%s", diff)
	}
	again, err := s.ClaimWorkerGroup(ctx, run.ID, fmt.Sprintf("ext-%d", winner), "host", 1, -1)
	if err != nil || again != groups[winner] {
		t.Fatalf("re-claim = %d, %v; want %d", again, err, groups[winner])
	}
	// An index hint is taken when free; a duplicated replica with the same
	// hint gets the lowest free group instead.
	hinted := newRun(t, s, 3)
	if g, err := s.ClaimWorkerGroup(ctx, hinted.ID, "pod-2", "host", 1, 2); err != nil || g != 2 {
		t.Fatalf("hint 2 = %d, %v", g, err)
	}
	if g, err := s.ClaimWorkerGroup(ctx, hinted.ID, "pod-2-again", "host", 2, 2); err != nil || g != 0 {
		t.Fatalf("duplicate hint 2 = %d, %v; want 0", g, err)
	}
	hbs, err := s.ListHeartbeats(ctx, run.ID)
	if err != nil || len(hbs) != 5 {
		t.Fatalf("ListHeartbeats = %d, %v", len(hbs), err)
	}
	for i, hb := range hbs {
		if hb.WorkerGroupID != i || hb.Status != store.WorkerStarting || hb.Host != "host" {
			t.Fatalf("heartbeat %d = %+v", i, hb)
		}
	}
	r, _ := s.GetRun(ctx, run.ID)
	if r.WorkersRegistered != 5 {
		t.Fatalf("WORKERS_REGISTERED = %d", r.WorkersRegistered)
	}

	// Heartbeats update in place and count.
	hb := hbs[0]
	hb.Status, hb.Operations, hb.LastError = store.WorkerRunning, 1234, "boom"
	hb.LastHeartbeat = time.Time{}
	for range 3 {
		if err := s.UpsertHeartbeat(ctx, hb); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertHeartbeat(ctx, store.Heartbeat{RunID: run.ID, WorkerID: "inproc-9", WorkerGroupID: 9, Status: store.WorkerReady}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWorkerStatus(ctx, run.ID, hbs[1].WorkerID, store.WorkerDead, "no heartbeat for 60s"); err != nil {
		t.Fatal(err)
	}
	hbs, _ = s.ListHeartbeats(ctx, run.ID)
	if len(hbs) != 6 || hbs[0].HeartbeatCount != 4 || hbs[0].Operations != 1234 || hbs[0].Status != store.WorkerRunning ||
		hbs[0].LastError != "boom" || hbs[1].Status != store.WorkerDead || hbs[1].LastError != "no heartbeat for 60s" ||
		hbs[5].WorkerID != "inproc-9" || hbs[5].HeartbeatCount != 1 {
		t.Fatalf("heartbeats after updates: %+v", hbs)
	}
}

func contractRuns(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	clk := newClock()
	s = s.WithClock(clk.Now)
	run := newRun(t, s, 2)
	if run.Status != store.RunPrepared || run.SampleRate != 0.25 || run.Seed != 42 || run.WorkersExpected != 2 ||
		!run.CreatedAt.Equal(clk.Now()) || run.CreatedAt.Location() != time.UTC {
		t.Fatalf("created run = %+v", run)
	}
	jsonEqual(t, "PLAN", []byte(`{"format_version": 1}`), run.Plan)

	_, err := s.TransitionRun(ctx, run.ID, store.RunRunning, store.RunUpdate{})
	var ill *store.IllegalTransitionError
	if !errors.As(err, &ill) || ill.From != store.RunPrepared || ill.To != store.RunRunning {
		t.Fatalf("PREPARED -> RUNNING = %v", err)
	}
	clk.Advance(time.Second)
	r, err := s.TransitionRun(ctx, run.ID, store.RunStarting, store.RunUpdate{})
	if err != nil || r.Status != store.RunStarting || r.StartTime == nil || !r.StartTime.Equal(clk.Now()) {
		t.Fatalf("-> STARTING = %+v, %v", r, err)
	}
	// Timestamps given in another zone come back as the same instant in UTC.
	warm := time.Date(2026, 11, 28, 6, 0, 1, 123456000, time.FixedZone("CET", 3600)) // 05:00:01.123456Z
	phase, kind := "WARMUP", store.PhaseWarmup
	r, err = s.TransitionRun(ctx, run.ID, store.RunRunning, store.RunUpdate{Phase: &phase, PhaseKind: &kind, WarmupStart: &warm})
	if err != nil || r.Status != store.RunRunning || r.Phase != "WARMUP" || r.PhaseKind != store.PhaseWarmup {
		t.Fatalf("-> RUNNING = %+v, %v", r, err)
	}
	if r.WarmupStart == nil || !r.WarmupStart.Equal(warm) || r.WarmupStart.Location() != time.UTC ||
		r.WarmupStart.Format(time.RFC3339Nano) != "2026-11-28T05:00:01.123456Z" {
		t.Fatalf("WARMUP_START_TIME round trip: %v", r.WarmupStart)
	}
	if _, err := s.TransitionRun(ctx, run.ID, store.RunRunning, store.RunUpdate{}); !errors.As(err, &ill) {
		t.Fatalf("RUNNING -> RUNNING = %v", err)
	}
	mstart := warm.Add(30 * time.Second)
	phase, kind = "steady", store.PhaseMeasurement
	active := 2
	if err := s.UpdateRun(ctx, run.ID, store.RunUpdate{Phase: &phase, PhaseKind: &kind, WarmupEnd: &mstart,
		MeasurementStart: &mstart, WorkersActive: &active}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	reason := "worker-1 DEAD: no heartbeat for 60s"
	r, err = s.TransitionRun(ctx, run.ID, store.RunFailed, store.RunUpdate{FailureReason: &reason})
	if err != nil || r.Status != store.RunFailed || r.EndTime == nil || !r.EndTime.Equal(clk.Now()) || r.FailureReason != reason ||
		r.Phase != "steady" || r.PhaseKind != "" || r.WorkersActive != 2 || !r.MeasurementStart.Equal(mstart) {
		t.Fatalf("-> FAILED = %+v, %v", r, err)
	}
	for _, to := range []store.RunStatus{store.RunRunning, store.RunCompleted, store.RunCancelled, store.RunPrepared} {
		if _, err := s.TransitionRun(ctx, run.ID, to, store.RunUpdate{}); !errors.As(err, &ill) {
			t.Fatalf("FAILED -> %s = %v", to, err)
		}
	}
	if _, err := s.TransitionRun(ctx, "nope", store.RunStarting, store.RunUpdate{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("transition of unknown run = %v", err)
	}
	if err := s.UpdateRun(ctx, "nope", store.RunUpdate{Phase: &phase}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of unknown run = %v", err)
	}

	clk.Advance(time.Second)
	second := newRun(t, s, 1)
	runs, err := s.ListRuns(ctx, store.ListRunsOptions{})
	if err != nil || len(runs) != 2 || runs[0].ID != second.ID {
		t.Fatalf("ListRuns = %+v, %v", runs, err)
	}
	runs, err = s.ListRuns(ctx, store.ListRunsOptions{Status: []store.RunStatus{store.RunFailed}})
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID {
		t.Fatalf("ListRuns(FAILED) = %+v, %v", runs, err)
	}
}

func contractResults(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	run := newRun(t, s, 2)
	start := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	end := start.Add(5 * time.Minute)
	parent := store.TestResult{
		TestID: run.ID, RunID: run.ID, ScenarioName: "nightly", TemplateName: "orders_oltp", Status: "COMPLETED",
		StartTime: &start, EndTime: &end, MeasurementStart: &start, MeasurementEnd: &end,
		Total: 300000, OK: 299990, Errors: 10, Reads: 240000, Writes: 60000, Dropped: 3, QPS: 1000.125,
		P50US: 800, P90US: 1500, P95US: 2100, P99US: 4800, P999US: 12000, MaxUS: 95000, MeanUS: 910,
		ErrorRate: 10.0 / 300000, SampleRate: 0.25, OpsIssued: 300003, RowsStored: 75010,
		QueryResults: []byte(`{"lookup": {"p99_us": 4000}}`), PhaseResults: []byte(`[{"phase": "steady"}]`),
		ErrorsJSON: []byte(`[{"sqlstate": "40001", "count": 10, "samples": ["serialization failure"]}]`),
		Histograms: []byte(`{"lookup/ok": "HISTFAAAA"}`), ScenarioSnapshot: []byte(`{"name": "nightly"}`),
	}
	if err := s.WriteTestResult(ctx, parent); err != nil {
		t.Fatal(err)
	}
	var children []store.TestResult
	for g := 1; g >= 0; g-- {
		group := g
		c := parent
		c.TestID, c.WorkerID, c.WorkerGroupID = fmt.Sprintf("%s-w%d", run.ID, g), fmt.Sprintf("worker-%d", g), &group
		c.Total, c.QPS = 150000, 500.0625
		if err := s.WriteTestResult(ctx, c); err != nil {
			t.Fatal(err)
		}
		children = append([]store.TestResult{c}, children...)
	}
	// Rewriting the parent (a rollup) replaces it.
	parent.Status, parent.P99US = "FAILED", 5000
	parent.FailureReason = "threshold lookup_p99 failed"
	if err := s.WriteTestResult(ctx, parent); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListResults(ctx, run.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("ListResults = %d rows, %v", len(got), err)
	}
	want := append([]store.TestResult{parent}, children...)
	for i := range want {
		g := got[i]
		for _, js := range []struct {
			name       string
			want, have []byte
		}{{"QUERY_RESULTS", want[i].QueryResults, g.QueryResults}, {"PHASE_RESULTS", want[i].PhaseResults, g.PhaseResults},
			{"ERRORS", want[i].ErrorsJSON, g.ErrorsJSON}, {"HISTOGRAMS", want[i].Histograms, g.Histograms},
			{"SCENARIO_SNAPSHOT", want[i].ScenarioSnapshot, g.ScenarioSnapshot}} {
			jsonEqual(t, js.name, js.want, js.have)
		}
		if g.CreatedAt.IsZero() || g.UpdatedAt.Before(g.CreatedAt) {
			t.Errorf("row %d: CREATED_AT %v UPDATED_AT %v", i, g.CreatedAt, g.UpdatedAt)
		}
		w := want[i]
		w.QueryResults, w.PhaseResults, w.ErrorsJSON, w.Histograms, w.ScenarioSnapshot = nil, nil, nil, nil, nil
		g.QueryResults, g.PhaseResults, g.ErrorsJSON, g.Histograms, g.ScenarioSnapshot = nil, nil, nil, nil, nil
		w.CreatedAt, w.UpdatedAt, g.CreatedAt, g.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if diff := cmp.Diff(w, g, numberOpt); diff != "" {
			t.Errorf("result row %d (-want +got):\n%s", i, diff)
		}
	}
	if !got[0].IsParent() || got[1].IsParent() {
		t.Fatal("parent row is not first")
	}
	bad := parent
	bad.WorkerID = "worker-0"
	if err := s.WriteTestResult(ctx, bad); err == nil {
		t.Fatal("parent row with a worker accepted")
	}
	bad = children[0]
	bad.WorkerGroupID = nil
	if err := s.WriteTestResult(ctx, bad); err == nil {
		t.Fatal("child row without a worker group accepted")
	}
	if _, err := s.GetTestResult(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTestResult(nope) = %v", err)
	}
}

// makeExecutions builds n rows: every 10th is warmup, every 100th an error.
func makeExecutions(runID string, n int, t0 time.Time) []store.QueryExecution {
	out := make([]store.QueryExecution, n)
	for i := range out {
		e := store.QueryExecution{
			ExecutionID: fmt.Sprintf("%s:worker-0:%d", runID, i), RunID: runID, TestID: runID + "-w0", WorkerID: "worker-0",
			Phase: "steady", Warmup: i%10 == 0, QueryName: "lookup", QueryKind: "READ",
			IntendedStart: t0.Add(time.Duration(i) * time.Millisecond), ActualStart: t0.Add(time.Duration(i)*time.Millisecond + 37*time.Microsecond),
			LatencyUS: int64(800 + i%500), ServiceUS: int64(760 + i%500), Success: i%100 != 0, SampleWeight: 4,
		}
		e.RowsAffected.Int64, e.RowsAffected.Valid = 1, true
		if !e.Success {
			e.ErrorCode, e.SQLState, e.ErrorMessage = "40001", "40001", "could not serialize access"
			e.RowsAffected = sql.NullInt64{}
		}
		out[i] = e
	}
	return out
}

func contractExecutions(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	run := newRun(t, s, 1)
	t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	rows := makeExecutions(run.ID, 10000, t0)
	rows[1].TargetQueryID = "01b2c3d4-0000-1111-0000-000000000001"
	rows[1].CompileUS.Int64, rows[1].CompileUS.Valid = 120, true
	rows[1].BytesScanned.Int64, rows[1].BytesScanned.Valid = 1<<40, true
	rows[1].ErrorMessage = ""
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'x'
	}
	rows[100].ErrorMessage = string(long)
	if err := s.InsertQueryExecutions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	count := func(f store.QueryExecutionFilter) int64 {
		t.Helper()
		n, err := s.CountQueryExecutions(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	yes, no := true, false
	if n := count(store.QueryExecutionFilter{RunID: run.ID}); n != 10000 {
		t.Fatalf("count = %d, want 10000", n)
	}
	// A retried batch (the first write committed but its answer was lost)
	// stores nothing twice where the store enforces the key.
	if s.Dialect().Name() != "snowflake" {
		retry := append(append([]store.QueryExecution(nil), rows[9990:]...), makeExecutions(run.ID+"-retry", 5, t0)...)
		if err := s.InsertQueryExecutions(ctx, retry); err != nil {
			t.Fatalf("writing a batch again: %v", err)
		}
		if n := count(store.QueryExecutionFilter{RunID: run.ID}); n != 10000 {
			t.Fatalf("count after a repeated batch = %d, want 10000", n)
		}
		if n := count(store.QueryExecutionFilter{RunID: run.ID + "-retry"}); n != 5 {
			t.Fatalf("new rows of a repeated batch = %d, want 5", n)
		}
	}
	// Rows written again through InsertQueryExecutionsOnce (a replayed
	// spill journal) are stored once on every store, Snowflake included.
	again := append(append([]store.QueryExecution(nil), rows[8800:]...), makeExecutions(run.ID+"-once", 7, t0)...)
	if err := s.InsertQueryExecutionsOnce(ctx, again); err != nil {
		t.Fatalf("writing stored rows once: %v", err)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID}); n != 10000 {
		t.Fatalf("count after writing stored rows once = %d, want 10000", n)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID + "-once"}); n != 7 {
		t.Fatalf("new rows written once = %d, want 7", n)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID, Warmup: &yes}); n != 1000 {
		t.Fatalf("warmup count = %d, want 1000", n)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID, Warmup: &no, Success: &no}); n != 0 {
		// errors are at multiples of 100, which are all warmup rows too
		t.Fatalf("measurement error count = %d, want 0", n)
	}
	if n := count(store.QueryExecutionFilter{TestID: run.ID + "-w0", Success: &no}); n != 100 {
		t.Fatalf("error count = %d, want 100", n)
	}
	got, err := s.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: run.ID}, 101)
	if err != nil || len(got) != 101 {
		t.Fatalf("ListQueryExecutions = %d, %v", len(got), err)
	}
	rows[100].ErrorMessage = rows[100].ErrorMessage[:store.MaxErrorMessage]
	if diff := cmp.Diff(rows[:101], got, numberOpt); diff != "" {
		t.Fatalf("query execution round trip (-want +got):\n%s", diff)
	}
	// A batch holding an already stored id keeps the stored row as it was
	// and writes the batch's new rows. Snowflake does not enforce the key
	// of this standard table (the local server does), so it is left out.
	if s.Dialect().Name() == "snowflake" {
		return
	}
	more := makeExecutions(run.ID+"-b", 700, t0)
	more[650] = rows[5]
	more[650].LatencyUS = 999_999
	if err := s.InsertQueryExecutions(ctx, more); err != nil {
		t.Fatalf("batch with a stored id: %v", err)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID + "-b"}); n != 699 {
		t.Fatalf("second batch count = %d, want 699", n)
	}
	if n := count(store.QueryExecutionFilter{RunID: run.ID}); n != 10000 {
		t.Fatalf("first batch count after the repeat = %d, want 10000", n)
	}
	got, err = s.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: run.ID}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if g.ExecutionID == rows[5].ExecutionID && g.LatencyUS != rows[5].LatencyUS {
			t.Fatalf("stored row was overwritten: latency %d, want %d", g.LatencyUS, rows[5].LatencyUS)
		}
	}
}

func contractSnapshots(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	run := newRun(t, s, 2)
	t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	var batch []store.MetricsSnapshot
	for w := 0; w < 2; w++ {
		for sec := 0; sec < 3; sec++ {
			batch = append(batch, store.MetricsSnapshot{RunID: run.ID, TestID: fmt.Sprintf("%s-w%d", run.ID, w),
				WorkerID: fmt.Sprintf("worker-%d", w), WorkerGroupID: w, TS: t0.Add(time.Duration(sec) * time.Second),
				ElapsedMS: int64(sec * 1000), Phase: "steady", PhaseKind: store.PhaseMeasurement, Operations: int64(sec * 100),
				Errors: 1, QPS: 99.5, P50US: 700, P95US: 1500, P99US: 3000, ActiveConnections: 8, Extra: []byte(`{"rows_buffered": 12}`)})
		}
	}
	if err := s.WriteMetricsSnapshots(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListMetricsSnapshots(ctx, run.ID)
	if err != nil || len(got) != len(batch) {
		t.Fatalf("ListMetricsSnapshots = %d, %v", len(got), err)
	}
	for i := range got {
		jsonEqual(t, "EXTRA", batch[i].Extra, got[i].Extra)
		got[i].Extra, batch[i].Extra = nil, nil
	}
	if diff := cmp.Diff(batch, got, numberOpt); diff != "" {
		t.Fatalf("snapshots (-want +got):\n%s", diff)
	}
}
