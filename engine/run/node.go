package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/warehouse"
	"github.com/flakebench/fbctl/engine/workload"
)

// nodeDone is what a node's goroutine reports.
type nodeDone struct {
	node string
	res  phaseResult
	err  error
}

// follow polls the control events (reconciling from RUN_STATUS about once
// a heartbeat interval) and runs the nodes it is told to, one at a time,
// until a STOP event or a stopping run status. A missed event is never
// fatal: the log is durable and RUN_STATUS says when the run stops.
func (w *worker) follow(ctx context.Context) error {
	var (
		after    int64
		pending  []phasePayload
		running  bool
		stopping bool
		done     = make(chan nodeDone, 1)
		cancel   context.CancelFunc
		hard     context.CancelFunc
		hardCtx  context.Context
		reconAt  = time.Now()
		stopRead = false
		final    = "COMPLETED" // the child row's status once stopped
	)
	hardCtx, hard = context.WithCancel(context.WithoutCancel(ctx))
	defer hard()
	defer func() {
		if cancel != nil {
			cancel()
		}
	}()
	poll := time.NewTicker(w.opts.PollEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			if cancel != nil {
				cancel()
			}
			hard()
			return ctx.Err()
		case d := <-done:
			running = false
			cancel()
			if d.err != nil {
				return fmt.Errorf("%s: %w", d.node, d.err)
			}
			w.finishNode(ctx, d)
		case err := <-w.streamErr:
			return fmt.Errorf("query executions cannot be stored: %w", err)
		case <-poll.C:
		}
		if !stopRead {
			evs, err := w.st.EventsAfter(ctx, w.runID, after, 0)
			if err != nil {
				w.log.Warn("reading control events failed; retrying", "error", err)
			}
			for _, ev := range evs {
				after = ev.Seq
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
					pending = append(pending, p)
				case store.EventStop:
					var p stopPayload
					_ = decodeJSON(ev.Payload, &p)
					stopping = true // keep reading: a hard STOP may follow
					final = childStatus(p.Reason)
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
		}
		if stopping {
			pending = nil
			if running && cancel != nil {
				w.setState(store.WorkerDraining, "", "")
				cancel()
				continue
			}
			if running {
				continue
			}
			w.setState(store.WorkerDraining, "", "")
			w.heartbeat(ctx)
			w.closeStream(ctx)
			if err := w.writeResults(ctx, final, ""); err != nil {
				return err
			}
			w.setState(store.WorkerCompleted, "", "")
			return w.heartbeat(ctx)
		}
		if !running && len(pending) > 0 {
			p := pending[0]
			pending = pending[1:]
			nodeCtx, c := context.WithCancel(ctx)
			cancel = c
			running = true
			w.setState(store.WorkerRunning, p.Node, "")
			w.heartbeat(ctx)
			go func() {
				res, err := w.runNode(nodeCtx, hardCtx, p)
				done <- nodeDone{node: p.Node, res: res, err: err}
			}()
		}
	}
}

// childStatus is a worker row's status for a STOP reason.
func childStatus(reason string) string {
	switch reason {
	case stopCancelled:
		return string(store.RunCancelled)
	case stopFailed:
		return string(store.RunFailed)
	}
	return string(store.RunCompleted)
}

func decodeJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// finishNode records a finished node and reports it done (READY with the
// node's name) so the orchestrator can move on.
func (w *worker) finishNode(ctx context.Context, d nodeDone) {
	w.mu.Lock()
	if w.cur != nil {
		c := w.cur.Counts()
		w.doneOps += c.Ops
		w.doneErrs += c.Errors
	}
	w.cur = nil
	w.curConns = 0
	if !d.res.Warmup && !d.res.Skipped {
		w.measured = append(w.measured, d.res)
		if w.firstStart == nil {
			s := d.res.Started
			w.firstStart = &s
		}
		e := d.res.Ended
		w.lastEnd = &e
	}
	w.mu.Unlock()
	if !d.res.Warmup {
		if err := w.writeResults(ctx, "RUNNING", ""); err != nil {
			w.log.Warn("results not written", "error", err)
		}
	}
	w.setState(store.WorkerReady, d.node, "")
	w.heartbeat(ctx)
}

// runNode runs one warmup or phase node with this worker's share.
func (w *worker) runNode(ctx, hard context.Context, p phasePayload) (phaseResult, error) {
	res := phaseResult{Phase: p.Phase, Warmup: p.Warmup}
	if !p.Warmup && p.SampleRate > 0 && w.stream != nil && w.stream.Rate() != p.SampleRate {
		if err := w.stream.SetRate(p.SampleRate); err != nil {
			return res, err
		}
	}
	node, first := w.findNode(p.Node)
	if node == nil {
		return res, fmt.Errorf("node %q is not in the run's plan", p.Node)
	}
	var (
		pp      *engine.PhasePlan
		assigns []engine.WorkerAssignment
		workers int64
	)
	switch {
	case node.Warmup != nil && first != nil:
		pp, assigns, workers = first, node.Warmup.Assignments, node.Warmup.Workers
	case node.Phase != nil:
		pp, assigns, workers = node.Phase, node.Phase.Assignments, node.Phase.Workers
	default:
		return res, fmt.Errorf("node %q runs no load", p.Node)
	}
	res.Model = pp.Model
	if p.Warmup {
		res.Model = dsl.ModelClosed
	}
	var a *engine.WorkerAssignment
	var perWorker int64
	for i := range assigns {
		perWorker = max(perWorker, assigns[i].TargetConnections)
		if assigns[i].WorkerGroupID == int64(w.group) {
			a = &assigns[i]
		}
	}
	if a == nil || a.TargetConnections == 0 {
		res.Skipped = true
		return res, nil
	}
	tmpl := w.opts.Config.Templates[pp.Template]
	db, err := w.target(ctx, tmpl)
	if err != nil {
		return res, err
	}
	db.SetMaxIdleConns(int(perWorker) + 2)
	phase, share := dslPhase(pp, *a, int(workers), p.Warmup, node)
	ex, err := executor.New(phase, 0, share)
	if err != nil {
		return res, err
	}
	if fm, ok := ex.(*executor.FindMax); ok && !p.Warmup {
		stop := w.stopOnQueueing(ctx, tmpl, db, fm)
		defer stop()
	}
	init, err := target.SessionInit(w.opts.Config.Connections[tmpl.Connection].Type, tmpl,
		target.Tag{Run: w.runID, Worker: w.id, Phase: p.Phase, Scenario: w.plan.Scenario})
	if err != nil {
		return res, err
	}
	rec := w.recorder(tmpl)
	kind := store.PhaseMeasurement
	if p.Warmup {
		kind = store.PhaseWarmup
	}
	pr := rec.Phase(p.Phase, p.Warmup)
	w.mu.Lock()
	w.cur, w.curKind, w.curStart, w.curConns = pr, kind, time.Now(), a.TargetConnections
	w.mu.Unlock()
	var tgt executor.Target = &executor.SQLTarget{DB: db.DB, Queries: querySpecs(db, tmpl), Init: init}
	conn := w.opts.Config.Connections[tmpl.Connection]
	if open := w.opts.Targets[conn.Type]; open != nil {
		native, err := open(ctx, conn, querySpecs(db, tmpl), init, int(perWorker))
		if err != nil {
			return res, err
		}
		defer native.Close()
		tgt = native
	}
	env := executor.Env{
		Target: tgt,
		Ops: func(conn int) (executor.OpSource, error) {
			return workload.NewConn(tmpl, workload.Env{Seed: w.plan.Seed, WorkerID: w.group, Workers: int(max(workers, 1)),
				Conn: conn, ConnsPerWorker: int(perWorker), Pools: w.pools[tmpl.Name], SequenceMax: p.SequenceMax[tmpl.Name]})
		},
		Recorder: pr, DrainTimeout: w.opts.DrainTimeout, HardStop: hard, CancelInFlight: w.opts.CancelInFlight,
		Logger: w.log,
	}
	out, err := ex.Run(ctx, env)
	if err != nil {
		return res, err
	}
	res.Started, res.Ended, res.Counts, res.Abandoned, res.FindMax = out.Started, out.Ended, countsOf(out.Counts), out.Abandoned, out.FindMax
	res.Errors = pr.Errors()
	if res.Started.IsZero() {
		return res, errors.New("the executor reported no start time")
	}
	return res, nil
}

// findNode returns the plan node named name and the first phase's plan
// (the warmup runs the first phase's template).
func (w *worker) findNode(name string) (node *engine.Node, first *engine.PhasePlan) {
	for i := range w.plan.Nodes {
		n := &w.plan.Nodes[i]
		if n.Phase != nil && first == nil {
			first = n.Phase
		}
		if n.Name == name {
			node = n
		}
	}
	return node, first
}

// dslPhase turns one worker's share of a planned node into the phase
// executor.New builds from: the plan's per-worker numbers are used as they
// are, so the run does exactly what the plan shows.
func dslPhase(pp *engine.PhasePlan, a engine.WorkerAssignment, workers int, warmup bool, node *engine.Node) (*dsl.Phase, executor.Share) {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	think := ms(pp.ThinkTimeMS)
	one := executor.Share{Worker: 0, Workers: 1}
	if warmup {
		return &dsl.Phase{Name: NodeWarmupPhase, Model: dsl.ModelClosed, Duration: ms(node.Warmup.DurationMS),
			Connections: a.TargetConnections, ThinkTime: &think}, one
	}
	p := &dsl.Phase{Name: pp.Name, Model: pp.Model, Duration: ms(pp.DurationMS), ThinkTime: &think}
	switch pp.Model {
	case dsl.ModelClosed:
		p.Connections = a.TargetConnections
	case dsl.ModelOpen:
		p.Rate, p.MaxConnections = a.RateShare, a.TargetConnections
	case dsl.ModelRamp:
		ratio := 0.0
		if pp.Rate > 0 {
			ratio = a.RateShare / pp.Rate
		}
		p.MaxConnections = a.TargetConnections
		if pp.Ramp != nil {
			p.Ramp = &dsl.Ramp{From: pp.Ramp.From * ratio, To: pp.Ramp.To * ratio, Over: ms(pp.Ramp.OverMS)}
		}
	case dsl.ModelFindMax:
		if fm := pp.FindMax; fm != nil {
			p.FindMax = &dsl.FindMax{Start: fm.Start, Step: fm.Step, Max: fm.Max, StepDuration: ms(fm.StepDurationMS),
				MaxErrorRate: fm.MaxErrorRate, MaxP95Increase: fm.MaxP95Increase, MaxQPSDrop: fm.MaxQPSDrop}
		}
		return p, executor.Share{Worker: int(a.WorkerGroupID), Workers: max(workers, 1)}
	}
	return p, one
}

func (w *worker) recorder(t *dsl.Template) *executor.Recorder {
	if r := w.recs[t.Name]; r != nil {
		return r
	}
	qs := make([]executor.QueryInfo, len(t.QueryOrder))
	for i, name := range t.QueryOrder {
		q := t.Queries[name]
		qs[i] = executor.QueryInfo{Name: name, Kind: q.Kind, Write: q.IsWrite()}
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

func querySpecs(db *target.DB, t *dsl.Template) []executor.QuerySpec {
	out := make([]executor.QuerySpec, len(t.QueryOrder))
	for i, name := range t.QueryOrder {
		q := t.Queries[name]
		out[i] = executor.QuerySpec{SQL: db.Rebind(q.SQL), Write: q.IsWrite()}
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
