package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// ClockOffset is how this host's clock relates to the control plane's (the
// results database's own clock): control plane time = local time + Offset,
// within ± Uncertainty (half the fastest round trip of the measurement
// plus half the database clock's resolution).
type ClockOffset struct {
	Offset      time.Duration
	Uncertainty time.Duration
	RoundTrip   time.Duration // the fastest sample's
	MeasuredAt  time.Time     // local time of the measurement
}

// clockState is the offset a Store (and the copies WithClock makes)
// applies to its timestamps.
type clockState struct {
	mu  sync.Mutex
	off ClockOffset
}

func (c *clockState) get() ClockOffset {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.off
}

// clockSamples is how many round trips MeasureClock makes; the fastest
// one gives the estimate (NTP's rule: a short round trip bounds the error
// tightly).
const clockSamples = 5

// MeasureClock reads the database's clock a few times and returns its
// offset from this host's clock. It changes nothing.
func (s *Store) MeasureClock(ctx context.Context) (ClockOffset, error) {
	q, res := s.d.Clock()
	var best ClockOffset
	for i := 0; i < clockSamples; i++ {
		var db dialect.Time
		t0 := time.Now()
		if err := s.db.QueryRowContext(ctx, q).Scan(&db); err != nil {
			return ClockOffset{}, fmt.Errorf("results store %s: read its clock: %w", s.dsn, err)
		}
		rtt := time.Since(t0)
		if i > 0 && rtt >= best.RoundTrip {
			continue
		}
		// The database read its clock somewhere in the round trip, and
		// truncated it to its resolution.
		mid := t0.Add(rtt / 2)
		best = ClockOffset{Offset: db.Time.Add(res / 2).Sub(mid), Uncertainty: rtt/2 + res/2, RoundTrip: rtt, MeasuredAt: t0}
	}
	return best, nil
}

// SyncClock measures the offset (MeasureClock) and makes the store apply
// it: from then on every timestamp the store writes (heartbeats, events,
// run times) and Now are on the control plane's clock, so that hosts with
// skewed clocks agree.
func (s *Store) SyncClock(ctx context.Context) (ClockOffset, error) {
	off, err := s.MeasureClock(ctx)
	if err != nil {
		return off, err
	}
	s.clock.mu.Lock()
	s.clock.off = off
	s.clock.mu.Unlock()
	return off, nil
}

// Clock returns the offset the store applies (zero before SyncClock).
func (s *Store) Clock() ClockOffset { return s.clock.get() }

// Now returns the control plane's current time as this host estimates it:
// the local clock plus the offset of the last SyncClock, in UTC.
func (s *Store) Now() time.Time { return s.now().Add(s.clock.get().Offset).UTC() }

// Local converts a control-plane instant to this host's clock.
func (s *Store) Local(t time.Time) time.Time { return t.Add(-s.clock.get().Offset) }
