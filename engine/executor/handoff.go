package executor

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Bounds of the hand-off lead (see handoff).
const (
	minHandoffLead  = 5 * time.Microsecond
	maxHandoffLead  = 200 * time.Microsecond
	initHandoffLead = 30 * time.Microsecond
	// After an arrival that reached its session early the lead shrinks by
	// handoffShrink, after one that came late it grows by handoffGrow, so
	// it settles where handoffShrink/(handoffShrink+handoffGrow) of the
	// hand-offs come late: two in three, the lead tracking the lower third
	// of the time a hand-off takes (the pacer's own wake-up plus the
	// session's). A lower share late buys a lower median lag with more
	// spinning: on a loaded 2-CPU machine hand-offs spread over tens of
	// µs, and a session spinning that long per operation takes CPU from
	// the others. Those that come late are late by less than without the
	// lead (by the hand-off's time minus the lead).
	handoffGrow   = 1 * time.Microsecond
	handoffShrink = 2 * time.Microsecond
	// spinYield: while more than this is left to wait, the spinning
	// session yields its P between clock reads, so sessions with work
	// (returning their token, say) are not held up by it.
	spinYield = 5 * time.Microsecond
)

// handoff is the open model's hand-off ahead of time. Waking a parked
// session goroutine costs a futex wake-up of an OS thread and a pass
// through the Go scheduler, tens of µs on a loaded VM and milliseconds in
// the tail: measured from the intended start that is schedule lag. So
// the pacer hands arrival i to a free session lead before it is due; the
// session, awake by then, spins on the clock until the due time and sends
// at once. The lead adapts to what hand-offs take on this machine (it
// tracks their lower third), so the spin, which is CPU, stays short.
//
// A stop is decided at one instant, the first time the pacer or a session
// sees the phase's issue window closed (stopAt): an arrival due before it
// is issued or dropped, one due after it is neither, as without the lead.
type handoff struct {
	lead   atomic.Int64 // ns
	stopAt atomic.Int64 // recorder-clock offset + 1; 0: not stopped
}

func newHandoff() *handoff {
	h := &handoff{}
	h.lead.Store(int64(initHandoffLead))
	return h
}

// leadFor is the lead of an arrival gap after the one before it: never
// more than that gap, so at most about one session spins at a time.
func (h *handoff) leadFor(gap time.Duration) time.Duration {
	return max(min(time.Duration(h.lead.Load()), gap), 0)
}

// adapt moves the lead after an arrival reached its session early (> 0)
// or late.
func (h *handoff) adapt(early time.Duration) {
	var d time.Duration
	switch {
	case early < 0:
		d = handoffGrow
	case early > handoffShrink:
		d = -handoffShrink
	default:
		return
	}
	l := min(max(time.Duration(h.lead.Load())+d, minHandoffLead), maxHandoffLead)
	h.lead.Store(int64(l))
}

// stopped records now as the stop instant unless one is recorded, and
// returns the stop instant.
func (h *handoff) stopped(now time.Duration) time.Duration {
	h.stopAt.CompareAndSwap(0, int64(now)+1)
	return time.Duration(h.stopAt.Load() - 1)
}

// await waits on the clock of p until due, the intended start of an
// arrival handed over ahead, and returns the moment it sent (the actual
// start) and false when the arrival is due after the phase stopped
// (done closed): it is then not issued. It spins: the wait is at most
// the lead.
func (h *handoff) await(p *PhaseRecorder, due time.Duration, done <-chan struct{}) (time.Duration, bool) {
	now := p.Now()
	h.adapt(due - now)
	for now < due {
		if due-now > spinYield {
			runtime.Gosched()
		}
		now = p.Now()
	}
	select {
	case <-done:
		return now, h.stopped(now) >= due
	default:
		return now, true
	}
}
