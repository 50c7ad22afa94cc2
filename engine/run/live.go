package run

import (
	"encoding/json"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// live is the orchestrator's live view: for every running node it reads
// the workers' new interval snapshots and merges each interval exactly once
// every worker with a share of the node reported it (never partly),
// keeping the node's cumulative histogram as the sum of its intervals.
type live struct {
	o      *orch
	mu     sync.Mutex
	phases []*livePhase // running nodes, in start order
}

type livePhase struct {
	name    string
	kind    store.PhaseKind
	start   time.Time // the node's start instant (control plane)
	planned time.Duration
	workers int  // workers with a share of the node
	ended   bool // the node finished
	// reportsLeft counts down the reports an ended node is still followed
	// for, so that snapshots written after its end still complete its last
	// intervals.
	reportsLeft int
	// complete is the highest interval index merged into cum; pending
	// holds later intervals, by index, with the workers merged so far.
	complete int64
	pending  map[int64]*pendingInterval
	cum      *hdr.Histogram
	last     *results.Interval
	counters map[string]store.MetricsSnapshot // latest row per worker
}

type pendingInterval struct {
	iv   *results.Interval
	seen map[string]bool
}

func newLive(o *orch) *live { return &live{o: o} }

// begin starts following node n (recorded under phase).
func (l *live) begin(n engine.Node, phase string, kind store.PhaseKind, start time.Time) {
	lp := &livePhase{name: phase, kind: kind, start: start, complete: -1, pending: map[int64]*pendingInterval{},
		cum: histogram.New(), counters: map[string]store.MetricsSnapshot{}}
	var as []engine.WorkerAssignment
	switch {
	case n.Warmup != nil:
		lp.planned, as = n.Warmup.Duration.Std(), n.Warmup.Assignments
	case n.Phase != nil:
		lp.planned, as = n.Phase.Duration.Std(), n.Phase.Assignments
	}
	for _, a := range as {
		if !a.Idle() {
			lp.workers++
		}
	}
	l.mu.Lock()
	l.phases = append(l.phases, lp)
	l.mu.Unlock()
}

// endReports is how many reports an ended node is followed for while
// some of its intervals still miss a worker's snapshot (a worker writes
// its last ones after the node's result; on a loaded machine that can take
// a few seconds).
const endReports = 10

// end marks a node finished: it is followed until every interval is
// complete, for at most endReports more reports, and then dropped. Only
// complete intervals are ever merged, so what the live view shows is
// always an exact merge; intervals a stopped worker never reported are
// not shown live (the stored results have them).
func (l *live) end(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, lp := range l.phases {
		if lp.name == phase && !lp.ended {
			lp.ended, lp.reportsLeft = true, endReports
		}
	}
}

// report reads new snapshots, merges complete intervals and gives the hook
// one Progress.
func (l *live) report(h health) {
	o := l.o
	l.mu.Lock()
	defer l.mu.Unlock()
	p := Progress{RunID: o.runID, WorkersAlive: h.alive, WorkersStale: h.stale, WorkersExpected: int(o.plan.Workers)}
	streams := map[string]StreamStats{}
	keep := l.phases[:0]
	for _, lp := range l.phases {
		before := lp.complete
		if err := l.read(lp); err != nil {
			o.log.Debug("live snapshots unreadable", "phase", lp.name, "error", err)
		}
		for w, m := range lp.counters {
			var s StreamStats
			if len(m.Extra) > 0 && json.Unmarshal(m.Extra, &s) == nil {
				streams[w] = s
			}
		}
		// An ended node is shown once more, and again only when a late
		// snapshot completed one of its intervals.
		if !lp.ended || lp.reportsLeft == endReports || lp.complete != before {
			p.Phases = append(p.Phases, lp.progress(o.st.Now()))
		}
		if lp.ended {
			lp.reportsLeft--
		}
		if !lp.ended || lp.reportsLeft > 0 && len(lp.pending) > 0 {
			keep = append(keep, lp)
		}
	}
	l.phases = keep
	for _, s := range streams {
		p.Stream.add(s)
	}
	if len(p.Phases) > 0 {
		p.Server = o.latestServerSamples()
		o.hook.Progress(p)
	}
}

// read merges the phase's new snapshot rows.
func (l *live) read(lp *livePhase) error {
	rows, err := l.o.st.MetricsSnapshotsAfter(l.o.bg, l.o.runID, lp.name, lp.complete)
	if err != nil {
		return err
	}
	for _, m := range rows {
		if cur, ok := lp.counters[m.WorkerID]; !ok || m.IntervalIndex >= cur.IntervalIndex {
			lp.counters[m.WorkerID] = m
		}
		pi := lp.pending[m.IntervalIndex]
		if pi == nil {
			pi = &pendingInterval{seen: map[string]bool{}}
			lp.pending[m.IntervalIndex] = pi
		}
		if pi.seen[m.WorkerID] {
			continue
		}
		iv, err := results.IntervalOf(m)
		if err != nil {
			return err
		}
		pi.seen[m.WorkerID] = true
		if pi.iv == nil {
			pi.iv = iv
		} else if err := pi.iv.Merge(iv); err != nil {
			return err
		}
	}
	// Merge complete intervals in order: every worker reported it.
	for {
		next := lp.complete + 1
		pi := lp.pending[next]
		if pi == nil || pi.iv.Workers < lp.workers {
			return nil
		}
		lp.cum.Merge(pi.iv.Latency(nil))
		lp.last = pi.iv
		lp.complete = next
		delete(lp.pending, next)
	}
}

func (lp *livePhase) progress(now time.Time) PhaseProgress {
	pp := PhaseProgress{Phase: lp.name, PhaseKind: lp.kind, Elapsed: max(now.Sub(lp.start), 0), Planned: lp.planned,
		IntervalIndex: -1, Cumulative: histogram.Summarize(lp.cum)}
	for _, m := range lp.counters {
		pp.Operations += m.Operations
		pp.Errors += m.Errors
		pp.Dropped += m.Dropped
		pp.Sessions += m.ActiveConnections
	}
	if iv := lp.last; iv != nil {
		h := iv.Latency(nil)
		pp.IntervalIndex = iv.Index
		pp.Interval = histogram.Summarize(h)
		pp.OpsPerSec = iv.PerSecond(h.TotalCount())
	}
	return pp
}
