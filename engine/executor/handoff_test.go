package executor

import (
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

func TestHandoffLeadFollowsLateAndEarlyArrivals(t *testing.T) {
	h := newHandoff()
	for range 1000 {
		h.adapt(-time.Millisecond) // every hand-off late
	}
	if l := time.Duration(h.lead.Load()); l != maxHandoffLead {
		t.Fatalf("lead after late hand-offs %v, want the bound %v", l, maxHandoffLead)
	}
	for range 1000 {
		h.adapt(time.Millisecond) // every hand-off early
	}
	if l := time.Duration(h.lead.Load()); l != minHandoffLead {
		t.Fatalf("lead after early hand-offs %v, want the bound %v", l, minHandoffLead)
	}
	// Two late for one early: the lead stays put (it settles where two
	// hand-offs in three are late).
	h.lead.Store(int64(100 * time.Microsecond))
	for range 100 {
		h.adapt(-time.Microsecond)
		h.adapt(-time.Microsecond)
		h.adapt(10 * time.Microsecond)
	}
	if l := time.Duration(h.lead.Load()); l != 100*time.Microsecond {
		t.Fatalf("lead %v, want 100µs", l)
	}
	if l := h.leadFor(20 * time.Microsecond); l != 20*time.Microsecond {
		t.Fatalf("lead for a 20 µs gap %v: never more than the gap", l)
	}
}

func TestHandoffStopDecidesAtOneInstant(t *testing.T) {
	p := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{}).Phase("main", false)
	closed := make(chan struct{})
	close(closed)
	open := make(chan struct{})

	// Not stopped: an arrival due now is sent.
	h := newHandoff()
	due := p.Now()
	if at, ok := h.await(p, due, open); !ok || at < due {
		t.Fatalf("await = %v, %v; want sent at or after %v", at, ok, due)
	}
	// The first to see the stop fixes the instant: the session at an
	// arrival already due sends it (due before the stop)...
	if _, ok := h.await(p, due, closed); !ok {
		t.Fatal("an arrival due before the stop was not sent")
	}
	stop := h.stopped(p.Now() + time.Hour) // a later observer gets the same instant
	if stop < due || stop > p.Now() {
		t.Fatalf("stop instant %v, want between %v and now", stop, due)
	}
	// ...and one handed over ahead but due after the stop is not issued.
	if _, ok := h.await(p, p.Now()+20*time.Microsecond, closed); ok {
		t.Fatal("an arrival due after the stop was sent")
	}
}
