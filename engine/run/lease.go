package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// Lease defaults: an orchestrator renews its run's lease every
// DefaultLeaseTTL / 5 and steps down when no renewal succeeded for
// DefaultLeaseTTL minus a margin; workers stop on their own when the lease
// has been expired (on the database's clock) for longer than
// DefaultOrchestratorGrace; a standby takes over as soon as it expired.
const (
	DefaultLeaseTTL          = 15 * time.Second
	DefaultOrchestratorGrace = 30 * time.Second
)

// ErrOrchestratorLost is returned by a worker (JoinWorker) that stopped
// because its run's orchestrator stopped renewing its lease for longer
// than the grace, and by Apply for an orchestrator that lost its lease.
var ErrOrchestratorLost = errors.New("orchestrator lost")

// leadership is an orchestrator's hold on its run: the lease, its epoch
// (which every write to RUN_STATUS and RUN_CONTROL_EVENTS carries) and
// whether it was lost.
type leadership struct {
	lease *store.RunLease
	once  sync.Once
	lost  chan struct{} // closed when the lease is lost
	why   error
	stop  context.CancelFunc
	done  chan struct{}
}

// epoch is the orchestrator's fencing token.
func (o *orch) epoch() int64 { return o.lead.lease.Epoch }

// takeLease acquires the run's lease (taking it over from a dead holder;
// from a live one only with takeOver) and keeps it renewed until
// releaseLease.
func (o *orch) takeLease(takeOver bool) error {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("orchestrator %s pid %d", host, os.Getpid())
	if o.opts.Holder != "" {
		holder = o.opts.Holder
	}
	l, err := o.st.AcquireRunLease(o.bg, o.runID, holder, o.opts.LeaseTTL, takeOver)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(o.bg)
	o.lead = &leadership{lease: l, lost: make(chan struct{}), stop: cancel, done: make(chan struct{})}
	o.log.Info("run lease acquired", "epoch", l.Epoch, "ttl", o.opts.LeaseTTL)
	go o.keepLease(ctx)
	return nil
}

// keepLease renews the lease every TTL/5 on its own connection. When a
// renewal is refused (a newer epoch holds the run) or none succeeded for
// the TTL minus a margin (this process cannot reach the store, so another
// orchestrator may already have taken over), the orchestrator steps down.
func (o *orch) keepLease(ctx context.Context) {
	defer close(o.lead.done)
	ttl := o.opts.LeaseTTL
	every := max(ttl/5, 10*time.Millisecond)
	margin := min(2*every, ttl/3)
	lastOK := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		err := o.lead.lease.Renew(ctx)
		switch {
		case err == nil:
			lastOK = sent
		case errors.Is(err, store.ErrLeaseLost):
			o.stepDown(fmt.Errorf("the run's lease was taken over: %w", err))
			return
		case ctx.Err() != nil:
			return
		case releaseOnFull(o.st, err):
			if o.lead.lease.Renew(ctx) == nil {
				lastOK = sent
			}
		default:
			o.log.Warn("lease renewal failed; retrying", "error", err, "last_renewal", time.Since(lastOK).Round(time.Millisecond))
		}
		if since := time.Since(lastOK); since > ttl-margin {
			why := fmt.Sprintf("the last lease renewal that succeeded was sent %s ago (lease %s): the lease may expire before the next one", since.Round(time.Millisecond), ttl)
			if err != nil {
				why += ": " + err.Error()
			}
			o.stepDown(errors.New(why))
			return
		}
	}
}

// stepDown marks the lease lost: the orchestrator stops every leader
// action at once and writes nothing more to the run.
func (o *orch) stepDown(why error) {
	o.lead.once.Do(func() {
		o.lead.why = why
		o.log.Error("stepping down: this orchestrator no longer drives the run", "error", why)
		close(o.lead.lost)
	})
}

// leaseLost reports whether the orchestrator stepped down.
func (o *orch) leaseLost() bool {
	select {
	case <-o.lead.lost:
		return true
	default:
		return false
	}
}

// releaseLease stops the renewals and gives the lease up.
func (o *orch) releaseLease() {
	o.lead.stop()
	<-o.lead.done
	if o.leaseLost() {
		o.lead.lease.Close()
		return
	}
	if err := o.lead.lease.Release(o.bg); err != nil {
		o.log.Warn("run lease not released; it expires on its own", "error", err)
	}
}

// fenced steps down when err says a newer epoch drives the run, and
// returns err.
func (o *orch) fenced(err error) error {
	if errors.Is(err, store.ErrFenced) {
		o.stepDown(err)
	}
	return err
}

// update writes u to RUN_STATUS under the orchestrator's epoch.
func (o *orch) update(u store.RunUpdate) error {
	if o.leaseLost() {
		return o.lead.why
	}
	u.Epoch = o.epoch()
	return o.fenced(o.st.UpdateRun(o.bg, o.runID, u))
}

// appendEvent appends a control event under the orchestrator's epoch.
func (o *orch) appendEvent(typ store.EventType, payload []byte) (store.Event, error) {
	if o.leaseLost() {
		return store.Event{}, o.lead.why
	}
	ev, err := o.st.AppendEvent(o.bg, o.runID, o.epoch(), typ, payload)
	return ev, o.fenced(err)
}
