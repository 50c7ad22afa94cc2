package run

import (
	"context"
	"math"
	"time"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// The qps_target controller. While a qps_target node runs, the
// orchestrator measures the phase's merged rate every control interval
// (the operations the workers' heartbeats report, over the orchestrator's
// clock) and sets the total sessions S toward the target T:
//
//   - inside the deadband (|R − T| ≤ Deadband·T) nothing changes;
//   - otherwise S' = round(S · T / R) (2·S when nothing completed), moved
//     by at most a factor of 2 per interval and clamped to
//     [min_connections, max_connections]; rounding to the nearest count
//     keeps S when the target lies within half a session's share of the
//     rate, so a coarse target holds instead of flapping between S and
//     S±1;
//   - S' is split over the workers like connections (remainder to the
//     lowest WORKER_GROUP_IDs), each share inside its worker's bounds, and
//     sent as one SET_WORKER_TARGET event; workers apply it to the running
//     executor (executor.Adjustable) without restarting the phase.
//
// The target is reached when the last ReachedIntervals intervals were
// inside the deadband. Every interval is recorded in the phase's
// results (results.QPSControl). The rate is measured from every operation
// the workers report, so a qps_target phase should not run beside other
// phases.

// QPS controller constants.
const (
	QPSDeadband         = 0.05
	QPSReachedIntervals = 2
	qpsMaxFactor        = 2.0
)

// setWorkerTargetPayload is a SET_WORKER_TARGET event: the sessions of
// every worker group (index = WORKER_GROUP_ID) of a node.
type setWorkerTargetPayload struct {
	Node        string  `json:"node"`
	Sessions    []int64 `json:"sessions"`
	MeasuredQPS float64 `json:"measured_qps"`
}

// qpsInterval is the control interval: five heartbeats, between 500 ms
// and 5 s.
func (o *orch) qpsInterval() time.Duration {
	return min(max(5*o.opts.HeartbeatEvery, 500*time.Millisecond), 5*time.Second)
}

// NextSessions is the control law: the total sessions after an interval
// that measured rate at sessions, for target within [lo, hi].
func NextSessions(sessions int64, rate, target, lo, hi float64) int64 {
	if math.Abs(rate-target) <= QPSDeadband*target {
		return sessions
	}
	s := float64(sessions)
	next := 2 * s
	if rate > 0 {
		next = math.Round(s * target / rate)
	}
	next = math.Round(min(max(next, s/qpsMaxFactor), s*qpsMaxFactor))
	return int64(min(max(next, lo), hi))
}

// startQPSControl runs the controller of node n when it is a qps_target
// phase; the returned func stops it and records its results.
func (o *orch) startQPSControl(ctx context.Context, n engine.Node) func() {
	if n.Phase == nil || n.Phase.QPSTarget == nil {
		return func() {}
	}
	ph := n.Phase
	q := ph.QPSTarget
	rec := &results.QPSControl{Target: q.Target, Deadband: QPSDeadband, MinConnections: q.MinConnections, MaxConnections: q.MaxConnections}
	shares := make([]int64, len(ph.Assignments))
	lo, hi := make([]int64, len(shares)), make([]int64, len(shares))
	for i, a := range ph.Assignments {
		shares[i], lo[i], hi[i] = a.Load.Sessions, a.Load.MinSessions, a.Load.MaxSessions
	}
	total := func() (s int64) {
		for _, v := range shares {
			s += v
		}
		return s
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(o.qpsInterval())
		defer t.Stop()
		lastOps, lastAt := o.totalOps(), time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ops, now := o.totalOps(), time.Now()
			el := now.Sub(lastAt).Seconds()
			if el <= 0 {
				continue
			}
			rate := float64(ops-lastOps) / el
			lastOps, lastAt = ops, now
			cur := total()
			next := NextSessions(cur, rate, q.Target, float64(q.MinConnections), float64(q.MaxConnections))
			step := results.QPSControlStep{At: now.UTC(), MeasuredQPS: rate, Sessions: cur, SetSessions: cur}
			if next != cur {
				split := engine.SplitConnections(next, int64(len(shares)))
				for i := range split {
					split[i] = min(max(split[i], lo[i]), hi[i])
				}
				payload := setWorkerTargetPayload{Node: n.Name, Sessions: split, MeasuredQPS: rate}
				if _, err := o.appendEvent(store.EventSetWorkerTarget, mustJSON(payload)); err != nil {
					o.log.Warn("qps_target: SET_WORKER_TARGET not appended; keeping the sessions", "node", n.Name, "error", err)
				} else {
					copy(shares, split)
					rec.Events++
					step.SetSessions = total()
				}
			}
			rec.Steps = append(rec.Steps, step)
			o.log.Debug("qps_target control", "node", n.Name, "measured_qps", rate, "sessions", cur, "set", step.SetSessions)
		}
	}()
	return func() {
		cancel()
		<-done
		rec.Final = total()
		k := len(rec.Steps)
		rec.Reached = k >= QPSReachedIntervals
		for i := max(k-QPSReachedIntervals, 0); i < k; i++ {
			if math.Abs(rec.Steps[i].MeasuredQPS-q.Target) > QPSDeadband*q.Target {
				rec.Reached = false
			}
		}
		o.mu.Lock()
		if o.qpsControl == nil {
			o.qpsControl = map[string]*results.QPSControl{}
		}
		o.qpsControl[ph.Name] = rec
		o.mu.Unlock()
	}
}

// totalOps sums the operations every worker's latest heartbeat reports.
func (o *orch) totalOps() int64 {
	var n int64
	for _, hb := range o.watch.heartbeats() {
		n += hb.Operations
	}
	return n
}

// setTarget applies a SET_WORKER_TARGET event to this worker's node.
func (w *worker) setTarget(raw []byte) {
	var p setWorkerTargetPayload
	if err := decodeJSON(raw, &p); err != nil {
		w.log.Warn("SET_WORKER_TARGET event unreadable", "error", err)
		return
	}
	if w.group >= len(p.Sessions) {
		return
	}
	w.mu.Lock()
	var adj *executor.Adjustable
	if n := w.nodes[p.Node]; n != nil {
		adj = n.adj
	}
	w.mu.Unlock()
	if adj == nil {
		w.log.Warn("SET_WORKER_TARGET for a node that is not an adjustable node of this worker", "node", p.Node)
		return
	}
	got := adj.SetTarget(int(p.Sessions[w.group]))
	w.log.Debug("qps_target: sessions set", "node", p.Node, "sessions", got, "measured_qps", p.MeasuredQPS)
}
