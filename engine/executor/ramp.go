package executor

import (
	"math"
	"time"
)

// RampRate is the schedule of an arrival rate changing linearly from From
// to To over Over, then staying at To until Duration (0: Over). Arrival i
// is at the time t where the integral of the rate from 0 to t reaches i.
type RampRate struct {
	From, To float64 // arrivals per second, >= 0
	Over     time.Duration
	Duration time.Duration
}

// At implements Schedule.
func (r RampRate) At(i int64) (time.Duration, bool) {
	over := r.Over.Seconds()
	end := r.Duration
	if end <= 0 {
		end = r.Over
	}
	n := float64(i)
	var t float64
	nOver := (r.From + r.To) / 2 * over // arrivals during the ramp
	switch {
	case over > 0 && n < nOver:
		// Solve From·t + k·t²/2 = n with k = (To−From)/Over, in the form
		// that stays exact when k is 0 or From is 0.
		k := (r.To - r.From) / over
		den := r.From + math.Sqrt(r.From*r.From+2*k*n)
		if den == 0 {
			t = 0
		} else {
			t = 2 * n / den
		}
	case r.To > 0:
		t = over + (n-nOver)/r.To
	default:
		return 0, false
	}
	d := time.Duration(math.Round(t * 1e9))
	return d, d < end
}

// NewRamp returns the open model whose rate (this worker's share) ramps
// from..to over `over` and runs for duration (0: over).
func NewRamp(from, to float64, over, duration time.Duration, sessions, maxSessions int) *Open {
	if duration <= 0 {
		duration = over
	}
	return &Open{Schedule: RampRate{From: from, To: to, Over: over, Duration: duration}, Sessions: sessions, MaxSessions: maxSessions, Duration: duration}
}
