package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/warehouse"
	"github.com/flakebench/fbctl/engine/workload"
)

// nodeOutcome is what a node's goroutine reports when it ends.
type nodeOutcome struct {
	node string
	err  error
}

// follow polls the control events (reconciling from RUN_STATUS about once
// a heartbeat interval) and runs every node it is given, side by side,
// until a STOP event or a stopping run status. A missed event is never
// fatal: the log is durable and RUN_STATUS says when the run stops.
func (w *worker) follow(ctx context.Context) error {
	var (
		after     int64
		active    int
		stopping  bool
		stopRead  bool
		final     = "COMPLETED" // the child row's status once stopped
		reason    string        // the child row's failure reason
		lost      error         // set when the orchestrator was lost
		epoch     int64         // the newest orchestrator epoch seen
		reconAt   = time.Now()
		announced bool // the hook was told the run stops
		done      = make(chan nodeOutcome, len(w.plan.Nodes)+1)
	)
	hardCtx, hard := context.WithCancel(context.WithoutCancel(ctx))
	defer hard()
	nodesCtx, cancelNodes := context.WithCancel(ctx)
	defer cancelNodes()
	poll := time.NewTicker(w.opts.PollEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			cancelNodes()
			hard()
			return ctx.Err()
		case d := <-done:
			active--
			w.emit(WorkerEvent{Kind: WorkerNodeFinished, Node: d.node, Err: d.err})
			if d.err != nil {
				return nodeErr(d.node, d.err)
			}
		case err := <-w.streamErr:
			// Report the failure first (the run must not end COMPLETED on
			// nodes stopped early), then stop the nodes and let them
			// record what they measured, so the worker's row holds it.
			err = fmt.Errorf("query executions cannot be stored: %w", err)
			w.failNodes(err)
			w.heartbeat(ctx)
			cancelNodes()
			for ; active > 0; active-- {
				<-done
			}
			return err
		case <-poll.C:
		}
		if !stopRead {
			evs, err := w.st.EventsAfter(ctx, w.runID, after, 0)
			if err != nil {
				w.conds.fail(w.log, "reading control events", err)
			} else {
				w.conds.ok(w.log, "reading control events")
			}
			for _, ev := range evs {
				after = ev.Seq
				if ev.Epoch < epoch {
					w.log.Warn("ignoring an event of a fenced orchestrator", "type", ev.Type, "epoch", ev.Epoch, "current", epoch)
					continue
				}
				epoch = ev.Epoch
				switch ev.Type {
				case store.EventStart:
					var p startPayload
					if err := decodeJSON(ev.Payload, &p); err != nil {
						return fmt.Errorf("START event: %w", err)
					}
					w.pools = map[string]map[string][]any{}
					for t, ps := range p.Pools {
						w.pools[t] = map[string][]any{}
						for name, vals := range ps {
							w.pools[t][name] = decodeValues(vals)
						}
					}
				case store.EventSetPhase:
					var p phasePayload
					if err := decodeJSON(ev.Payload, &p); err != nil {
						return fmt.Errorf("SET_PHASE event: %w", err)
					}
					if stopping {
						continue
					}
					n := w.newNode(p)
					active++
					w.emit(WorkerEvent{Kind: WorkerNodePrepared, Node: p.Node})
					go func() { done <- nodeOutcome{node: p.Node, err: n.run(nodesCtx, hardCtx)} }()
				case store.EventStartPhase:
					var p startPhasePayload
					if err := decodeJSON(ev.Payload, &p); err != nil {
						return fmt.Errorf("START_PHASE event: %w", err)
					}
					w.mu.Lock()
					n := w.nodes[p.Node]
					w.mu.Unlock()
					if n != nil {
						w.emit(WorkerEvent{Kind: WorkerNodeStarting, Node: p.Node, At: time.UnixMicro(p.StartUS).UTC()})
						n.startAt(time.UnixMicro(p.StartUS).UTC())
					}
				case store.EventSetWorkerTarget:
					w.setTarget(ev.Payload)
				case store.EventStop:
					var p stopPayload
					_ = decodeJSON(ev.Payload, &p)
					stopping = true // keep reading: a hard STOP may follow
					final = childStatus(p.Reason)
					if p.Reason == stopLost && lost == nil {
						lost = fmt.Errorf("run %s: %w: another process ended the run after its lease expired", w.runID, ErrOrchestratorLost)
						reason = lost.Error()
					}
					if p.Hard {
						hard()
					}
				}
			}
		}
		if !stopping && time.Since(reconAt) >= w.opts.HeartbeatEvery {
			reconAt = time.Now()
			if r, err := w.st.GetRun(ctx, w.runID); err == nil && (r.Status.Terminal() || r.Status == store.RunStopping) {
				stopping = true // the STOP event will follow, or was lost
				if r.Status.Terminal() {
					stopRead = true
					final = string(r.Status)
				}
			}
			if l, err := w.st.RunLeaseState(ctx, w.runID); err == nil && l.Exists && l.ExpiredFor() > w.opts.OrchestratorGrace {
				lost = fmt.Errorf("run %s: %w: its lease expired %s ago (grace %s) and no standby took it over",
					w.runID, ErrOrchestratorLost, l.ExpiredFor().Round(time.Second), w.opts.OrchestratorGrace)
				w.log.Error("stopping: the run's orchestrator is lost", "error", lost)
				stopping, final, reason = true, string(store.RunFailed), lost.Error()
			}
		}
		if stopping {
			if !announced {
				announced = true
				w.emit(WorkerEvent{Kind: WorkerStopping, Detail: final})
			}
			w.setState(store.WorkerDraining, "")
			if active > 0 {
				cancelNodes() // the nodes drain and report
				continue
			}
			w.heartbeat(ctx)
			w.closeStreamStopping(ctx, hardCtx)
			if w.declaredDead(ctx) {
				// The run went on without this worker (it could not reach
				// the control plane): its row is kept, marked as not part
				// of the merge the orchestrator made.
				final = string(store.WorkerDead)
				reason = "declared dead while the run went on; these results arrived after the run was merged and are not part of its results"
			}
			if err := retryFinal(ctx, w.st, w.log, "the worker's result row", func() error {
				return w.writeResults(ctx, final, reason)
			}); err != nil {
				return err
			}
			w.emit(WorkerEvent{Kind: WorkerDone, Detail: final})
			w.setState(store.WorkerCompleted, "")
			if err := w.heartbeat(ctx); err != nil || lost == nil {
				return err
			}
			endLostRun(ctx, w, lost.Error())
			return lost
		}
		st := store.WorkerReady
		if active > 0 {
			st = store.WorkerRunning
		}
		w.mu.Lock()
		changed := w.status != st
		w.mu.Unlock()
		if changed {
			w.setState(st, "")
			w.heartbeat(ctx)
		}
	}
}

// childStatus is a worker row's status for a STOP reason.
func childStatus(reason string) string {
	switch reason {
	case stopCancelled:
		return string(store.RunCancelled)
	case stopFailed, stopLost:
		return string(store.RunFailed)
	}
	return string(store.RunCompleted)
}

func decodeJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// nodeRun is one load node on this worker: prepared on SET_PHASE, started
// at the START_PHASE instant, then done.
type nodeRun struct {
	w       *worker
	p       phasePayload
	phase   string
	startCh chan time.Time // the control-plane start instant

	// Guarded by w.mu.
	state string
	err   string
	rec   *executor.PhaseRecorder
	spec  load.Spec
	adj   *executor.Adjustable // a qps_target node: SET_WORKER_TARGET moves it
}

func (w *worker) newNode(p phasePayload) *nodeRun {
	n := &nodeRun{w: w, p: p, phase: p.Phase, startCh: make(chan time.Time, 1), state: nodePreparing}
	w.mu.Lock()
	w.nodes[p.Node] = n
	w.mu.Unlock()
	return n
}

func (n *nodeRun) stateLocked() nodeState { return nodeState{State: n.state, Error: n.err} }

func (n *nodeRun) setState(state, errMsg string) {
	n.w.mu.Lock()
	n.state, n.err = state, errMsg
	n.w.mu.Unlock()
	n.w.heartbeat(context.Background())
}

func (n *nodeRun) startAt(t time.Time) {
	select {
	case n.startCh <- t:
	default: // a repeated event
	}
}

// run prepares, starts and finishes the node. ctx ends it gracefully
// (STOP): operations in flight drain and are counted; hard ends the drain.
func (n *nodeRun) run(ctx, hard context.Context) error {
	err := n.runErr(ctx, hard)
	if err != nil {
		n.setState(nodeFailed, err.Error())
	}
	return err
}

func (n *nodeRun) runErr(ctx, hard context.Context) error {
	w, p := n.w, n.p
	if !p.Warmup && p.SampleRate > 0 && w.stream != nil && w.stream.Rate() != p.SampleRate {
		if err := w.stream.SetRate(p.SampleRate); err != nil {
			return err
		}
	}
	node, pp := w.findNode(p.Node)
	if node == nil {
		return fmt.Errorf("node %q is not in the run's plan", p.Node)
	}
	var assigns []engine.WorkerAssignment
	var workers int64
	switch {
	case node.Warmup != nil && pp != nil:
		assigns, workers = node.Warmup.Assignments, node.Warmup.Workers
	case node.Phase != nil:
		assigns, workers = node.Phase.Assignments, node.Phase.Workers
	default:
		return fmt.Errorf("node %q runs no load", p.Node)
	}
	var a *engine.WorkerAssignment
	var perWorker int64
	for i := range assigns {
		perWorker = max(perWorker, assigns[i].Load.Sessions, assigns[i].Load.MaxSessions)
		if assigns[i].WorkerGroupID == int64(w.group) {
			a = &assigns[i]
		}
	}
	if a == nil || a.Idle() {
		n.setState(nodeSkipped, "")
		return nil
	}
	if _, err := w.st.SyncClock(ctx); err != nil {
		w.log.Warn("clock not re-measured; keeping the last offset", "error", err)
	}
	tmpl := w.opts.Config.Templates[pp.Template]
	db, err := w.target(ctx, tmpl)
	if err != nil {
		return err
	}
	ex, err := executor.FromSpec(a.Load)
	if err != nil {
		return err
	}
	if fm, ok := ex.(*executor.FindMax); ok && !p.Warmup {
		stop := w.stopOnQueueing(ctx, tmpl, db, fm)
		defer stop()
	}
	conn := w.opts.Config.Connections[tmpl.Connection]
	init, err := target.SessionInit(conn.Type, tmpl, target.Tag{Run: w.runID, Worker: w.id, Phase: p.Phase, Scenario: w.plan.Scenario,
		User: target.UserQueryTag(conn, tmpl)})
	if err != nil {
		return err
	}
	specs := querySpecs(db, tmpl)
	var tgt executor.Target = &executor.SQLTarget{DB: db.DB, Queries: specs, Init: init, Classify: w.opts.Classifiers[conn.Type]}
	if open := w.opts.Targets[conn.Type]; open != nil {
		native, err := open(ctx, conn, specs, init, int(max(a.Load.MaxSessions, a.Load.Sessions)))
		if err != nil {
			return err
		}
		defer native.Close()
		tgt = native
	} else {
		release := w.reserveIdle(tmpl.Connection, db, max(a.Load.MaxSessions, a.Load.Sessions))
		defer release()
	}
	rec := w.recorder(tmpl).Phase(p.Phase, p.Warmup)
	recon := reconnecting(tgt, w.opts.Classifiers[conn.Type])
	env := executor.Env{
		Target: recon,
		Ops: func(c int) (executor.OpSource, error) {
			return workload.NewConn(tmpl, workload.Env{Seed: w.plan.Seed, WorkerID: w.group, Workers: int(max(workers, 1)),
				Conn: c, ConnsPerWorker: int(max(perWorker, 1)), Pools: w.pools[tmpl.Name], SequenceMax: p.SequenceMax[tmpl.Name]})
		},
		Recorder: rec, DrainTimeout: w.opts.DrainTimeout, HardStop: hard, CancelInFlight: w.opts.CancelInFlight,
		Logger: w.log.With("node", p.Node),
	}
	if err := ex.Open(ctx, env); err != nil {
		return err
	}
	defer ex.Close()
	w.mu.Lock()
	n.rec, n.spec = rec, a.Load
	n.adj, _ = ex.(*executor.Adjustable)
	w.mu.Unlock()
	n.setState(nodePrepared, "")

	var start time.Time
	select {
	case start = <-n.startCh:
	case <-ctx.Done():
		n.finish(results.NodeResult{Phase: p.Phase, Warmup: p.Warmup, Skipped: true}, executor.Counts{})
		return nil
	}
	n.setState(nodeRunning, "")
	localStart := w.st.Local(start)
	stopTicks := make(chan struct{})
	ticksDone := make(chan struct{})
	written := make(chan struct{})
	go func() { defer close(ticksDone); n.snapshots(start, localStart, stopTicks, written) }()
	// The node reports done once its snapshot rows are written, but its
	// result row does not wait for them: a slow store (a loaded machine,
	// a hard stop's short wait) must not keep the measured result back.
	defer func() { <-written }()
	res, err := ex.Run(ctx, localStart)
	close(stopTicks)
	<-ticksDone // the last interval is taken (not yet written)
	if err != nil {
		return err
	}
	clock := w.st.Clock()
	cp := func(t time.Time) time.Time { return t.Add(clock.Offset).UTC() }
	nr := results.NodeResult{Phase: p.Phase, Model: a.Load.Model, Warmup: p.Warmup,
		Started: start, Ended: start.Add(res.Ended.Sub(res.Started)), Drained: cp(res.Drained),
		Counts: results.CountsOf(res.Counts), Errors: rec.Errors(), Abandoned: res.Abandoned,
		PeakSessions: res.PeakSessions, SessionErrors: res.SessionErrors, FindMax: res.FindMax,
		Clock: results.WorkerClock{WorkerID: w.id, WorkerGroupID: w.group, OffsetUS: clock.Offset.Microseconds(),
			UncertaintyUS: clock.Uncertainty.Microseconds(), LateUS: res.Late.Microseconds()},
		Outages: results.OutagesOf(w.id, recon.Outages(), cp)}
	w.reportOutages(p.Node, nr.Outages)
	if res.Late > 50*time.Millisecond {
		w.log.Warn("node started late: the start event arrived after its instant", "node", p.Node, "late", res.Late)
	}
	n.finish(nr, res.Counts)
	return nil
}

// childRunning is the status of a worker row written while the worker
// still runs.
const childRunning = "RUNNING"

// finish records a finished node: measured results into the child row
// (written now, cumulative), counters into the worker's totals, the node
// reported done.
func (n *nodeRun) finish(nr results.NodeResult, c executor.Counts) {
	w := n.w
	w.mu.Lock()
	w.doneOps += c.Ops
	w.doneErrs += c.Errors
	measured := !nr.Warmup && !nr.Skipped
	if measured {
		w.measured = append(w.measured, nr)
		if w.start == nil || nr.Started.Before(*w.start) {
			s := nr.Started
			w.start = &s
		}
		if w.end == nil || nr.Ended.After(*w.end) {
			e := nr.Ended
			w.end = &e
		}
	}
	if n.state != nodeFailed {
		n.state = nodeDone
	}
	n.rec = nil
	w.mu.Unlock()
	if measured {
		if err := w.writeResults(context.Background(), childRunning, ""); err != nil {
			w.log.Warn("results not written", "error", err)
		}
	}
	w.heartbeat(context.Background())
}

// snapshots takes one interval snapshot of the node at start +
// (k+1)·HeartbeatEvery on this host's clock (intervals counted from the
// common start, so every worker's line up), and a last one for the
// partial interval when stop closes; rows are written by a goroutine of
// their own, so a slow store never delays a tick. It returns once the last
// interval is taken, and closes written once every row is written.
func (n *nodeRun) snapshots(start, localStart time.Time, stop <-chan struct{}, written chan<- struct{}) {
	every := n.w.opts.HeartbeatEvery
	rows := make(chan store.MetricsSnapshot, 256)
	go func() {
		defer close(written)
		// One write takes every row queued by then: a store slower than
		// the ticks (SQLite on a loaded machine) writes fewer, larger
		// batches instead of building a backlog the node's end waits for.
		batch := make([]store.MetricsSnapshot, 0, cap(rows))
		for m := range rows {
			batch = append(batch[:0], m)
		more:
			for len(batch) < cap(batch) {
				select {
				case m, ok := <-rows:
					if !ok {
						break more
					}
					batch = append(batch, m)
				default:
					break more
				}
			}
			if err := n.w.st.WriteMetricsSnapshots(context.Background(), batch); err != nil {
				n.w.conds.fail(n.w.log, "writing metrics snapshots", err)
			} else {
				n.w.conds.ok(n.w.log, "writing metrics snapshots")
			}
		}
	}()
	defer close(rows)
	emit := func(k int64, d time.Duration) {
		if m, ok := n.snapshot(start, k, d); ok {
			rows <- m
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := int64(0); ; k++ {
		from := localStart.Add(time.Duration(k) * every)
		timer.Reset(time.Until(from.Add(every)))
		select {
		case <-timer.C:
			emit(k, every)
		case <-stop:
			// Intervals already due are closed as such, so every worker
			// reports every interval of the window.
			for ; !time.Now().Before(localStart.Add(time.Duration(k+1) * every)); k++ {
				emit(k, every)
			}
			emit(k, max(time.Since(localStart.Add(time.Duration(k)*every)), time.Millisecond))
			return
		}
	}
}

// snapshot takes interval k (of length d) of the node.
func (n *nodeRun) snapshot(start time.Time, k int64, d time.Duration) (store.MetricsSnapshot, bool) {
	w := n.w
	w.mu.Lock()
	rec, kind := n.rec, store.PhaseMeasurement
	queries := make(map[results.QueryKey]results.QueryMeta, len(w.queries))
	for q, m := range w.queries {
		queries[q] = m
	}
	w.mu.Unlock()
	if n.p.Warmup {
		kind = store.PhaseWarmup
	}
	if rec == nil {
		return store.MetricsSnapshot{}, false
	}
	hists := map[histogram.Key]*hdr.Histogram{}
	for _, s := range w.reg.TickPhase(n.phase) {
		if s.Interval.TotalCount() > 0 {
			hists[s.Key] = s.Interval
		}
	}
	enc, err := results.EncodeHistograms(hists, queries)
	if err != nil {
		w.log.Warn("metrics snapshot not encoded", "error", err)
		return store.MetricsSnapshot{}, false
	}
	lat := histogram.New()
	for key, h := range hists {
		if key.Metric == histogram.MetricLatency {
			lat.Merge(h)
		}
	}
	sum := histogram.Summarize(lat)
	c := rec.Counts()
	now := w.st.Now()
	ivStart := start.Add(time.Duration(k) * w.opts.HeartbeatEvery)
	m := store.MetricsSnapshot{RunID: w.runID, TestID: ChildTestID(w.runID, w.group), WorkerID: w.id, WorkerGroupID: w.group,
		TS: now, ElapsedMS: now.Sub(start).Milliseconds(), Phase: n.phase, PhaseKind: kind, Operations: c.Ops,
		Errors: c.Errors, Dropped: c.Dropped, QPS: results.PerSecond(sum.Count, d.Seconds()), P50US: sum.P50,
		P95US: sum.P95, P99US: sum.P99, ActiveConnections: int64(rec.Sessions()),
		IntervalIndex: k, IntervalStart: ivStart, IntervalMS: d.Milliseconds(), Histograms: enc}
	if w.stream != nil {
		m.Extra = mustJSON(streamStatsOf(w.stream.Stats()))
	}
	return m, true
}

// findNode returns the plan node named name and the plan of the phase it
// runs (the warmup runs the first phase's template).
func (w *worker) findNode(name string) (node *engine.Node, pp *engine.PhasePlan) {
	var first *engine.PhasePlan
	for i := range w.plan.Nodes {
		n := &w.plan.Nodes[i]
		if n.Phase != nil && first == nil {
			first = n.Phase
		}
		if n.Name == name {
			node = n
		}
	}
	if node != nil && node.Phase != nil {
		return node, node.Phase
	}
	return node, first
}

// recorder returns the worker's recorder of template t, registering its
// queries' metadata for the results.
func (w *worker) recorder(t *dsl.Template) *executor.Recorder {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r := w.recs[t.Name]; r != nil {
		return r
	}
	qs := make([]executor.QueryInfo, len(t.QueryOrder))
	for i, name := range t.QueryOrder {
		q := t.Queries[name]
		qs[i] = executor.QueryInfo{Template: t.Name, Name: name, Kind: q.Kind, Write: q.IsWrite()}
		w.queries[results.QueryKey{Template: t.Name, Query: name}] = results.QueryMeta{Kind: q.Kind, Write: q.IsWrite()}
	}
	if w.sink == nil && w.opts.Sink != nil {
		w.sink = w.opts.Sink(w.runID, w.id, w.group, ChildTestID(w.runID, w.group))
	}
	var classify executor.Classifier
	if c := w.opts.Config.Connections[t.Connection]; c != nil {
		classify = w.opts.Classifiers[c.Type]
	}
	r := executor.NewRecorder(w.reg, qs, executor.RecorderOptions{Sink: w.sink, Classify: classify})
	w.recs[t.Name] = r
	return r
}

// reserveIdle keeps enough idle connections in a database/sql pool for
// every node running on it; the returned func gives them back.
func (w *worker) reserveIdle(conn string, db *target.DB, sessions int64) func() {
	w.mu.Lock()
	if w.idle == nil {
		w.idle = map[string]int64{}
	}
	w.idle[conn] += sessions
	db.SetMaxIdleConns(int(w.idle[conn]) + 2)
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		w.idle[conn] -= sessions
		w.mu.Unlock()
	}
}

func querySpecs(db *target.DB, t *dsl.Template) []executor.QuerySpec {
	out := make([]executor.QuerySpec, len(t.QueryOrder))
	for i, name := range t.QueryOrder {
		q := t.Queries[name]
		out[i] = executor.QuerySpec{Name: name, SQL: db.Rebind(q.SQL), Write: q.IsWrite()}
		if q.IsTransaction() {
			out[i].Tx = txSpec(q, db.Rebind)
		}
	}
	return out
}

// stopOnQueueing makes a find-max search on a Snowflake warehouse stop at
// the first step during which statements queued for the warehouse (the
// warehouse, not the workload, is then the limit): it polls SHOW WAREHOUSES
// while the phase runs. The returned func stops the polling.
func (w *worker) stopOnQueueing(ctx context.Context, t *dsl.Template, db *target.DB, fm *executor.FindMax) func() {
	c := w.opts.Config.Connections[t.Connection]
	if c == nil || c.Type != dsl.ConnSnowflake || c.Get("warehouse") == "" || fm.Signal != nil {
		return func() {}
	}
	qs := &warehouse.QueueSignal{}
	every := max(min(fm.StepDuration/5, DefaultWarehousePollEvery), 100*time.Millisecond)
	poller := &warehouse.Poller{Q: db.DB, Name: c.Get("warehouse"), Every: every, OnSample: qs.Observe, Logger: w.log}
	fm.Signal = qs.Signal
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = poller.Run(pctx) }()
	return func() { cancel(); <-done }
}

// declaredDead reports whether the orchestrator marked this worker DEAD.
func (w *worker) declaredDead(ctx context.Context) bool {
	hbs, err := w.st.ListHeartbeats(ctx, w.runID)
	if err != nil {
		return false
	}
	for _, hb := range hbs {
		if hb.WorkerID == w.id {
			return hb.Status == store.WorkerDead
		}
	}
	return false
}
