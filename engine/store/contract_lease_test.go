package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// contractRunLease: one orchestrator at a time holds a run's lease, expiry
// is decided by the database's clock, every grant raises the epoch, and
// the writes of an older epoch are refused once a newer one wrote the run.
func contractRunLease(t *testing.T, s *store.Store) {
	ctx := ctxT(t)
	r, err := s.CreateRun(ctx, store.Run{ScenarioName: "ha", WorkersExpected: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.RunLeaseState(ctx, r.ID); err != nil || st.Exists || st.NowMS == 0 {
		t.Fatalf("lease of a new run: %+v, %v", st, err)
	}
	const ttl = 400 * time.Millisecond
	a, err := s.AcquireRunLease(ctx, r.ID, "a", ttl, false)
	if err != nil || a.Epoch != 1 {
		t.Fatalf("first acquire: %+v, %v", a, err)
	}
	defer a.Close()
	var held *store.RunLeaseHeldError
	if _, err := s.AcquireRunLease(ctx, r.ID, "b", ttl, false); !errors.As(err, &held) || held.Holder != "a" || held.Epoch != 1 {
		t.Fatalf("second acquire while a holds it: %v", err)
	}
	if err := a.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	u1 := store.RunUpdate{Epoch: 1}
	if err := s.UpdateRun(ctx, r.ID, u1); err != nil {
		t.Fatal(err)
	}
	if ev, err := s.AppendEvent(ctx, r.ID, 1, store.EventStart, nil); err != nil || ev.Epoch != 1 {
		t.Fatalf("epoch-1 event %+v, %v", ev, err)
	}

	// a stops renewing; once the database's clock passes its expiry,
	// candidates race and exactly one wins, with epoch 2.
	time.Sleep(ttl + 200*time.Millisecond)
	st, err := s.RunLeaseState(ctx, r.ID)
	if err != nil || !st.Expired() || st.ExpiredFor() <= 0 {
		t.Fatalf("lease after its ttl: %+v, %v", st, err)
	}
	var (
		mu      sync.Mutex
		winners []*store.RunLease
		wg      sync.WaitGroup
	)
	for i := range 6 {
		wg.Go(func() {
			l, err := s.AcquireRunLease(ctx, r.ID, string(rune('c'+i)), time.Minute, false)
			if err == nil {
				mu.Lock()
				winners = append(winners, l)
				mu.Unlock()
			} else if !errors.As(err, new(*store.RunLeaseHeldError)) {
				t.Errorf("candidate %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 || winners[0].Epoch != 2 {
		t.Fatalf("%d candidates won the expired lease: %+v", len(winners), winners)
	}
	b := winners[0]
	defer b.Close()
	if err := a.Renew(ctx); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("the old holder renewed: %v", err)
	}

	// The old epoch is fenced out of RUN_STATUS and RUN_CONTROL_EVENTS.
	phase := "steady"
	if err := s.UpdateRun(ctx, r.ID, store.RunUpdate{Phase: &phase, Epoch: 1}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("epoch-1 update after the take-over: %v", err)
	}
	if _, err := s.AppendEvent(ctx, r.ID, 1, store.EventStop, nil); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("epoch-1 event after the take-over: %v", err)
	}
	if _, err := s.TransitionRun(ctx, r.ID, store.RunStarting, store.RunUpdate{Epoch: 1}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("epoch-1 transition after the take-over: %v", err)
	}
	if _, err := s.TransitionRun(ctx, r.ID, store.RunStarting, store.RunUpdate{Epoch: 2}); err != nil {
		t.Fatal(err)
	}
	if ev, err := s.AppendEvent(ctx, r.ID, 2, store.EventStop, nil); err != nil || ev.Epoch != 2 {
		t.Fatalf("epoch-2 event %+v, %v", ev, err)
	}
	evs, err := s.EventsAfter(ctx, r.ID, 0, 0)
	if err != nil || len(evs) != 2 || evs[0].Epoch != 1 || evs[1].Epoch != 2 {
		t.Fatalf("events %+v, %v", evs, err)
	}
	got, err := s.GetRun(ctx, r.ID)
	if err != nil || got.LeaderEpoch != 2 || got.Phase != "" {
		t.Fatalf("run after fenced writes: epoch %d, phase %q, %v", got.LeaderEpoch, got.Phase, err)
	}

	// A forced take-over (fbctl cancel) gets the next epoch from a live
	// holder; releasing frees the lease for anyone.
	c, err := s.AcquireRunLease(ctx, r.ID, "cancel", time.Minute, true)
	if err != nil || c.Epoch != 3 {
		t.Fatalf("take-over: %+v, %v", c, err)
	}
	if err := b.Renew(ctx); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("the live holder renewed after a take-over: %v", err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := s.RunLeaseState(ctx, r.ID); err != nil || !st.Expired() || st.Holder != "" || st.Epoch != 3 {
		t.Fatalf("released lease: %+v, %v", st, err)
	}

	// The apply lock of a lost run can be released by its id.
	l, err := s.AcquireLease(ctx, store.ApplyLockName, "apply", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseApplyLock(ctx, l.LockID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, store.ApplyLockName, "next apply", time.Minute); err != nil {
		t.Fatalf("the apply lock was not released: %v", err)
	}
}
