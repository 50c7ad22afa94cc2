package results

import (
	"fmt"
	"slices"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/store"
)

// Recovered says what WithSnapshots added to a dead worker's row: one
// phase it measured but never wrote a result for, rebuilt from its
// metrics snapshots.
type Recovered struct {
	Phase string
	Ops   int64
	// Until is the end of the last interval the worker stored: what it
	// measured after that died with it.
	Until time.Time
}

// WithSnapshots completes the child row of a worker that died with the
// measurement phases it ran but never wrote a result for (the worker
// writes its row when a node ends; a worker killed in a phase leaves the
// row of the phases before). Each such phase is rebuilt from the
// worker's WORKER_METRICS_SNAPSHOTS rows, the exact interval histograms
// it stored at every heartbeat: latencies merge bucket by bucket, counts
// come from the histograms (every operation is recorded, whatever the
// sampling of stored rows), dropped arrivals and peak sessions from the
// counters of the last interval, and the phase's window runs from its
// common start to the end of the last interval stored, so QPS divides
// by the time the worker was measured. models gives each phase's load
// model; order is the run's phase order. The row's identity, status,
// reason and stream counters are kept; OpsIssued grows by the operations
// added.
func WithSnapshots(child store.TestResult, snaps []store.MetricsSnapshot, models map[string]load.Model, order []string) (store.TestResult, []Recovered, error) {
	set, err := Merge([]store.TestResult{child}, order)
	if err != nil {
		return child, nil, err
	}
	have := map[string]bool{}
	for _, p := range set.Phases {
		have[p.Phase] = true
	}
	byPhase := map[string][]store.MetricsSnapshot{}
	for _, m := range snaps {
		if m.WorkerID == child.WorkerID && m.PhaseKind == store.PhaseMeasurement && !have[m.Phase] && len(m.Histograms) > 0 {
			byPhase[m.Phase] = append(byPhase[m.Phase], m)
		}
	}
	var added []Recovered
	for _, phase := range order {
		ms := byPhase[phase]
		if len(ms) == 0 {
			continue
		}
		n, err := set.addSnapshots(phase, models[phase], ms)
		if err != nil {
			return child, nil, fmt.Errorf("worker %s, phase %s: %w", child.WorkerID, phase, err)
		}
		added = append(added, Recovered{Phase: phase, Ops: n.Counts.Total, Until: n.Ended})
	}
	if len(added) == 0 {
		return child, nil, nil
	}
	rank := func(phase string) int { return slices.Index(order, phase) }
	slices.SortStableFunc(set.Phases, func(a, b NodeResult) int { return rank(a.Phase) - rank(b.Phase) })
	out := child
	out.MeasurementStart, out.MeasurementEnd = nil, nil
	if _, err := set.Fill(&out); err != nil {
		return child, nil, err
	}
	out.OpsIssued = child.OpsIssued
	for _, a := range added {
		out.OpsIssued += a.Ops
	}
	return out, added, nil
}

// addSnapshots adds one phase rebuilt from one worker's snapshot rows of
// it, and returns the phase.
func (s *Set) addSnapshots(phase string, model load.Model, ms []store.MetricsSnapshot) (NodeResult, error) {
	slices.SortFunc(ms, func(a, b store.MetricsSnapshot) int { return int(a.IntervalIndex - b.IntervalIndex) })
	first := ms[0]
	n := NodeResult{Phase: phase, Model: model,
		Started: first.IntervalStart.Add(-time.Duration(first.IntervalIndex*first.IntervalMS) * time.Millisecond)}
	seen := map[int64]bool{}
	for _, m := range ms {
		if seen[m.IntervalIndex] {
			continue // the same interval written twice (a retried write)
		}
		seen[m.IntervalIndex] = true
		hs, meta, err := DecodeHistograms(m.Histograms)
		if err != nil {
			return n, fmt.Errorf("snapshot interval %d: %w", m.IntervalIndex, err)
		}
		for k, h := range hs {
			if dst := s.Hists[k]; dst != nil {
				if err := histogram.Merge(dst, h); err != nil {
					return n, err
				}
			} else {
				s.Hists[k] = h
			}
		}
		for k, v := range meta {
			s.Queries[k] = v
		}
		if end := m.IntervalStart.Add(time.Duration(m.IntervalMS) * time.Millisecond); end.After(n.Ended) {
			n.Ended = end
		}
		n.Counts.Dropped = max(n.Counts.Dropped, m.Dropped)
		n.PeakSessions = max(n.PeakSessions, int(m.ActiveConnections))
	}
	n.Drained = n.Ended
	for k, h := range s.Hists {
		if k.Phase != phase || k.Metric != histogram.MetricLatency {
			continue
		}
		c := h.TotalCount()
		n.Counts.Total += c
		if !k.Success {
			n.Counts.Errors += c
		} else {
			n.Counts.OK += c
		}
		if s.Queries[QueryKey{k.Template, k.Query}].Write {
			n.Counts.Writes += c
		} else {
			n.Counts.Reads += c
		}
	}
	s.Phases = append(s.Phases, n)
	s.workers[phase] = 1
	return n, nil
}
