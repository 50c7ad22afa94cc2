package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/engine/target"
)

// Options configure Apply.
type Options struct {
	Store  *store.Store // the control plane and results store (required)
	Logger hclog.Logger // nil: no logging
	Hook   Hook         // nil: NopHook
	// Launch is LaunchInProcess (default: one goroutine group per worker,
	// each with its own target pool) or LaunchExternal (`fbctl worker -run
	// RUN_ID` processes join; Apply waits JoinTimeout for them).
	Launch         string
	JoinTimeout    time.Duration // 0: DefaultJoinTimeout
	HeartbeatEvery time.Duration // 0: DefaultHeartbeatEvery
	StaleAfter     time.Duration // 0: DefaultStaleAfter
	DeadAfter      time.Duration // 0: DefaultDeadAfter
	PollEvery      time.Duration // 0: DefaultPollEvery (control plane polling)
	DrainTimeout   time.Duration // 0: DefaultDrainTimeout
	// HardStop, when done, stops at once (a second Ctrl-C): in-flight
	// operations are not waited for, teardown is skipped, and the run is
	// still recorded CANCELLED with what was measured.
	HardStop       context.Context
	CancelInFlight bool   // see WorkerOptions.CancelInFlight
	ToolVersion    string // recorded in the log
	RunID          string // "": a new id
	Sink           SinkFactory
	// Stream, when set, streams every stored operation into
	// QUERY_EXECUTIONS through one engine/stream Streamer per worker; its
	// Store, RunID, TestID, worker fields and Sampler are filled in per
	// worker. nil: no QUERY_EXECUTIONS rows.
	Stream *stream.Options
	// Targets, keyed by connection type, open a driver-native target for a
	// phase instead of database/sql (e.g. a pgx pool for Postgres); the CLI
	// registers them. A missing type uses executor.SQLTarget.
	Targets map[string]TargetFactory
	// Classifiers, keyed by connection type, turn a driver's errors into
	// codes; a missing type uses executor.ClassifyError.
	Classifiers map[string]executor.Classifier
	// WarehousePollEvery is how often a Snowflake target's warehouse is
	// polled during measurement phases (0: DefaultWarehousePollEvery).
	WarehousePollEvery time.Duration

	// workerCtx lets tests derive a worker's context (to kill it).
	workerCtx func(group int, ctx context.Context) context.Context
	// openTarget and workerOpenTarget replace target.Open for the
	// orchestrator and the in-process workers in tests (no-op databases).
	openTarget, workerOpenTarget func(*dsl.Connection) (*target.DB, error)
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Hook == nil {
		o.Hook = NopHook{}
	}
	if o.Launch == "" {
		o.Launch = LaunchInProcess
	}
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.JoinTimeout, DefaultJoinTimeout)
	set(&o.HeartbeatEvery, DefaultHeartbeatEvery)
	set(&o.StaleAfter, DefaultStaleAfter)
	set(&o.DeadAfter, DefaultDeadAfter)
	set(&o.PollEvery, DefaultPollEvery)
	set(&o.DrainTimeout, DefaultDrainTimeout)
	set(&o.WarehousePollEvery, DefaultWarehousePollEvery)
	if o.HardStop == nil {
		o.HardStop = context.Background()
	}
	if o.openTarget == nil {
		o.openTarget = target.Open
	}
	if o.workerOpenTarget == nil {
		o.workerOpenTarget = o.openTarget
	}
}

// Outcome is what a run did.
type Outcome struct {
	RunID         string
	Status        store.RunStatus // COMPLETED, FAILED or CANCELLED
	FailureReason string
	Parent        store.TestResult   // TEST_ID = RUN_ID, merged over workers
	Children      []store.TestResult // one per worker, by WORKER_GROUP_ID
	Phases        []PhaseSummary     // merged, per measurement phase, with per-query summaries
	Queries       QueryResults       // merged, per query over the measurement phases
	Thresholds    []ThresholdResult
	FindMax       []FindMaxOutcome
}

// ThresholdsFailed reports whether any threshold failed (`apply` exits 3).
func (o *Outcome) ThresholdsFailed() bool {
	for _, t := range o.Thresholds {
		if !t.Passed {
			return true
		}
	}
	return false
}

// FindMaxOutcome is a find_max phase's result: every worker searched its
// share of the concurrency; the totals sum the workers' best levels.
type FindMaxOutcome struct {
	Phase           string
	BestConcurrency int     // sum over workers
	BestQPS         float64 // sum over workers
	Workers         []executor.FindMaxResult
}

// errCancelled marks a run stopped by its context.
var errCancelled = errors.New("cancelled")

// orch is one Apply.
type orch struct {
	opts   Options
	plan   engine.RunPlan
	cfg    *dsl.Config
	st     *store.Store
	log    hclog.Logger
	hook   Hook
	runID  string
	bg     context.Context // never cancelled: store writes after a Ctrl-C
	dbs    map[string]*target.DB
	hard   bool
	phase  string
	pstart time.Time
	// autoRate is the sample rate decided at the end of warmup (0: none).
	autoRate float64
	// serverStats holds each measurement phase's pg_stat_statements
	// report (Postgres targets).
	serverStats map[string]*pgstats.Report
	// warehouses holds each Snowflake measurement phase's warehouse view.
	warehouses map[string]*WarehouseSummary
}

// Apply runs the scenario p (from `fbctl plan`) with the scenario files
// cfg, through the control plane in opts.Store, and returns its outcome.
// It returns an error only when the run could not be recorded (the store
// failed, the plan is unusable); a run that failed or was cancelled is an
// Outcome with that Status and FailureReason, its results kept.
func Apply(ctx context.Context, p engine.RunPlan, cfg *dsl.Config, opts Options) (*Outcome, error) {
	opts.defaults()
	switch {
	case opts.Store == nil:
		return nil, errors.New("run: no results store")
	case cfg == nil:
		return nil, errors.New("run: no scenario configuration")
	case p.Workers < 1:
		return nil, fmt.Errorf("run %s: the plan has no workers", p.Scenario)
	case opts.Launch != LaunchInProcess && opts.Launch != LaunchExternal:
		return nil, fmt.Errorf("run: unknown launch mode %q (want %s or %s)", opts.Launch, LaunchInProcess, LaunchExternal)
	}
	planJSON, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("run %s: encode plan: %w", p.Scenario, err)
	}
	o := &orch{opts: opts, plan: p, cfg: cfg, st: opts.Store, hook: opts.Hook, bg: context.WithoutCancel(ctx),
		dbs: map[string]*target.DB{}}
	rate := 1.0
	if p.Sampling.Rate != nil {
		rate = *p.Sampling.Rate
	}
	r, err := o.st.CreateRun(o.bg, store.Run{ID: opts.RunID, ScenarioName: p.Scenario, TemplateName: p.Template,
		WorkersExpected: int(p.Workers), Plan: planJSON, Seed: p.Seed, SampleRate: rate})
	if err != nil {
		return nil, err
	}
	o.runID = r.ID
	o.log = opts.Logger.Named("run").With("run", o.runID, "scenario", p.Scenario)
	o.log.Info("run created", "workers", p.Workers, "launch", opts.Launch, "tool_version", opts.ToolVersion)
	defer o.closeTargets()
	if err := o.transition(store.RunStarting, store.RunUpdate{}); err != nil {
		return nil, err
	}
	var stopWorkers func()
	if opts.Launch == LaunchInProcess {
		stopWorkers = o.launchInProcess(ctx)
	}
	cause := o.execute(ctx)
	return o.finish(ctx, cause, stopWorkers)
}

func (o *orch) transition(to store.RunStatus, u store.RunUpdate) error {
	r, err := o.st.TransitionRun(o.bg, o.runID, to, u)
	if err != nil {
		return err
	}
	o.hook.StateChanged(StateChange{RunID: o.runID, Status: r.Status, Phase: r.Phase, PhaseKind: r.PhaseKind,
		Reason: r.FailureReason, At: time.Now().UTC()})
	return nil
}

// execute runs setup, waits for the workers, and walks the load nodes.
func (o *orch) execute(ctx context.Context) error {
	for _, n := range o.plan.Nodes {
		if n.Kind == engine.NodeSetup {
			if err := o.runSQLNode(ctx, n); err != nil {
				return err
			}
		}
	}
	pools, err := o.samplePools(ctx)
	if err != nil {
		return err
	}
	if err := o.waitWorkers(ctx, "join", o.joinedAll); err != nil {
		return err
	}
	if _, err := o.st.AppendEvent(o.bg, o.runID, store.EventStart, mustJSON(startPayload{Pools: pools})); err != nil {
		return err
	}
	if err := o.transition(store.RunRunning, store.RunUpdate{}); err != nil {
		return err
	}
	for i, n := range o.plan.Nodes {
		if n.Kind != engine.NodeWarmup && n.Kind != engine.NodePhase {
			continue
		}
		if err := o.runLoadNode(ctx, n); err != nil {
			for _, rest := range o.plan.Nodes[i+1:] {
				if rest.Kind != engine.NodeTeardown {
					o.hook.NodeSkipped(o.runID, rest.Name, "the run stopped at "+n.Name)
				}
			}
			return err
		}
	}
	return nil
}

// runLoadNode tells the workers to run node n and waits until each has.
func (o *orch) runLoadNode(ctx context.Context, n engine.Node) error {
	p := phasePayload{Node: n.Name}
	kind := store.PhaseMeasurement
	var tmplName string
	now := time.Now().UTC()
	u := store.RunUpdate{}
	if n.Warmup != nil {
		p.Phase, p.Warmup, kind = NodeWarmupPhase, true, store.PhaseWarmup
		tmplName = o.firstPhase().Template
		u.WarmupStart = &now
	} else {
		p.Phase, tmplName = n.Phase.Name, n.Phase.Template
		p.SampleRate = o.autoRate
		if !o.measuring() {
			u.MeasurementStart = &now
		}
	}
	seq, err := o.sequenceMax(ctx, tmplName)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	p.SequenceMax = map[string]map[string]int64{tmplName: seq}
	stats := o.beginServerStats(ctx, n, tmplName)
	wh := o.watchWarehouse(n, tmplName)
	u.Phase, u.PhaseKind = &p.Phase, &kind
	if err := o.st.UpdateRun(o.bg, o.runID, u); err != nil {
		return err
	}
	o.phase, o.pstart = p.Phase, time.Now()
	o.hook.NodeStarted(o.runID, n.Name)
	o.hook.StateChanged(StateChange{RunID: o.runID, Status: store.RunRunning, Phase: p.Phase, PhaseKind: kind, At: now})
	if _, err := o.st.AppendEvent(o.bg, o.runID, store.EventSetPhase, mustJSON(p)); err != nil {
		return err
	}
	err = o.waitWorkers(ctx, n.Name, func(hbs []store.Heartbeat) bool { return o.nodeDone(hbs, n.Name) })
	o.endServerStats(n, stats)
	o.endWarehouseWatch(n, wh)
	end := time.Now().UTC()
	if n.Warmup != nil {
		if err == nil {
			o.decideSampleRate(end.Sub(now))
		}
		o.st.UpdateRun(o.bg, o.runID, store.RunUpdate{WarmupEnd: &end})
	} else {
		o.st.UpdateRun(o.bg, o.runID, store.RunUpdate{MeasurementEnd: &end})
	}
	o.hook.NodeFinished(o.runID, n.Name, err)
	return err
}

func (o *orch) firstPhase() *engine.PhasePlan {
	for _, n := range o.plan.Nodes {
		if n.Phase != nil {
			return n.Phase
		}
	}
	return &engine.PhasePlan{Template: o.plan.Template}
}

func (o *orch) measuring() bool {
	r, err := o.st.GetRun(o.bg, o.runID)
	return err == nil && r.MeasurementStart != nil
}

func (o *orch) joinedAll(hbs []store.Heartbeat) bool {
	ready := 0
	for _, hb := range hbs {
		if hb.Status == store.WorkerReady {
			ready++
		}
	}
	return ready >= int(o.plan.Workers)
}

// nodeDone reports whether every worker finished node: READY (or already
// COMPLETED) with the node's name.
func (o *orch) nodeDone(hbs []store.Heartbeat, node string) bool {
	if len(hbs) < int(o.plan.Workers) {
		return false
	}
	for _, hb := range hbs {
		if hb.Status == store.WorkerCompleted {
			continue
		}
		if hb.Status != store.WorkerReady || hb.Phase != node {
			return false
		}
	}
	return true
}

// waitWorkers polls the heartbeats until done says so, failing on a dead
// worker, a join timeout (stage "join") or a cancelled ctx.
func (o *orch) waitWorkers(ctx context.Context, stage string, done func([]store.Heartbeat) bool) error {
	poll := time.NewTicker(o.opts.PollEvery)
	defer poll.Stop()
	deadline := time.Now().Add(o.opts.JoinTimeout)
	lastProgress := time.Now()
	for {
		hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
		if err != nil {
			o.log.Warn("reading heartbeats failed", "error", err)
		} else {
			if done(hbs) {
				return nil
			}
			h := checkHealth(hbs, time.Now(), o.opts.StaleAfter, o.opts.DeadAfter)
			if err := o.failDead(h); err != nil {
				return err
			}
			if stage == "join" && time.Now().After(deadline) {
				return fmt.Errorf("only %d of %d planned workers joined and got ready within %s (joined: %s); start them with `fbctl worker -run %s`",
					h.ready, o.plan.Workers, o.opts.JoinTimeout, joinedNames(hbs), o.runID)
			}
			if stage != "join" && time.Since(lastProgress) >= o.opts.HeartbeatEvery {
				lastProgress = time.Now()
				o.progress(h)
				active := h.alive + h.stale
				if err := o.st.UpdateRun(o.bg, o.runID, store.RunUpdate{WorkersActive: &active}); err != nil {
					o.log.Debug("workers active not recorded", "error", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return errCancelled
		case <-o.opts.HardStop.Done():
			o.hard = true
			return errCancelled
		case <-poll.C:
		}
	}
}

func joinedNames(hbs []store.Heartbeat) string {
	if len(hbs) == 0 {
		return "none"
	}
	var s []string
	for _, hb := range hbs {
		s = append(s, fmt.Sprintf("%s %s", hb.WorkerID, hb.Status))
	}
	return strings.Join(s, ", ")
}

// decideSampleRate fixes an "auto" sample rate that the plan could not
// know, at the end of warmup: the rate that keeps stored measurement rows
// under max_rows_per_second at the throughput the warmup showed. Every
// worker gets it with its first measurement phase, and RUN_STATUS and the
// result rows record it.
func (o *orch) decideSampleRate(warmup time.Duration) {
	sp := o.plan.Sampling
	if sp.Mode != "auto" || sp.Rate != nil || warmup <= 0 {
		return
	}
	hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
	if err != nil {
		o.log.Warn("sample rate not decided: heartbeats unreadable; every operation is stored", "error", err)
		return
	}
	var ops int64
	for _, hb := range hbs {
		ops += hb.Operations
	}
	observed := float64(ops) / warmup.Seconds()
	rate := stream.AutoRate(float64(sp.MaxRowsPerSecond), observed)
	o.autoRate = rate
	if err := o.st.UpdateRun(o.bg, o.runID, store.RunUpdate{SampleRate: &rate}); err != nil {
		o.log.Warn("sample rate not recorded in RUN_STATUS", "error", err)
	}
	o.log.Info("sample rate fixed at the end of warmup", "rate", rate, "warmup_ops_per_sec", observed,
		"max_rows_per_second", sp.MaxRowsPerSecond)
}

// beginServerStats opens a pg_stat_statements window over a measurement
// phase on a Postgres target (nil otherwise, or when it cannot be read).
func (o *orch) beginServerStats(ctx context.Context, n engine.Node, tmplName string) *pgstats.Window {
	if n.Phase == nil {
		return nil
	}
	t := o.cfg.Templates[tmplName]
	if t == nil || o.cfg.Connections[t.Connection] == nil || o.cfg.Connections[t.Connection].Type != dsl.ConnPostgres {
		return nil
	}
	db, err := o.target(tmplName)
	if err != nil {
		return nil
	}
	w, err := pgstats.Begin(ctx, db.DB, 50)
	if err != nil {
		o.log.Warn("pg_stat_statements not read; the phase has no server-side statistics", "phase", n.Phase.Name, "error", err)
		return nil
	}
	return w
}

// endServerStats closes the window and keeps the phase's report; a report
// saying the extension is absent is kept too, so results say why.
func (o *orch) endServerStats(n engine.Node, w *pgstats.Window) {
	if w == nil {
		return
	}
	rep, err := w.End(o.bg)
	if err != nil {
		o.log.Warn("pg_stat_statements not read at the end of the phase", "phase", n.Phase.Name, "error", err)
		return
	}
	if !rep.Available {
		o.log.Info("no server-side statistics: " + rep.Reason)
	}
	if o.serverStats == nil {
		o.serverStats = map[string]*pgstats.Report{}
	}
	o.serverStats[n.Phase.Name] = &rep
}
