package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/dag"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/warehouse"
)

// Options configure Apply.
type Options struct {
	Store  ControlPlane // the control plane and results store (required)
	Logger hclog.Logger // nil: no logging
	Hook   Hook         // nil: NopHook
	// Launch is LaunchInProcess (default: one goroutine group per worker,
	// each with its own target pool) or LaunchExternal (`fbctl worker -run
	// RUN_ID` processes join; Apply waits JoinTimeout for them).
	Launch LaunchMode
	// LeaseTTL is how long the orchestrator's run lease lives without a
	// renewal (0: DefaultLeaseTTL); it is renewed every LeaseTTL / 5.
	LeaseTTL time.Duration
	// Holder names the orchestrator in RUN_LEASES ("": "orchestrator HOST
	// pid PID").
	Holder string
	// ApplyLockID is the apply lease the run runs under; whoever ends a run
	// whose orchestrator was lost releases it.
	ApplyLockID    string
	JoinTimeout    time.Duration // 0: DefaultJoinTimeout
	HeartbeatEvery time.Duration // 0: DefaultHeartbeatEvery; also the live interval
	StaleAfter     time.Duration // 0: DefaultStaleAfter
	DeadAfter      time.Duration // 0: DefaultDeadAfter
	PollEvery      time.Duration // 0: DefaultPollEvery (control plane polling)
	DrainTimeout   time.Duration // 0: DefaultDrainTimeout
	// StartLead is how far ahead of the control plane's clock a node's
	// start instant is set once every worker is prepared (0: derived from
	// PollEvery, the store's round trip and the workers' clock
	// uncertainty; see startLead).
	StartLead time.Duration
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
	// ServerSampleEvery is how often the run's statements on a Postgres or
	// Snowflake target are sampled (0: DefaultServerSampleEvery; negative:
	// not sampled). See sampler.go.
	ServerSampleEvery time.Duration
	// WarehousePollEvery is how often a Snowflake target's warehouse is
	// polled during measurement phases (0: DefaultWarehousePollEvery).
	WarehousePollEvery time.Duration

	// workerCtx lets tests derive a worker's context (to kill it).
	workerCtx func(group int, ctx context.Context) context.Context
	// workerStore lets tests wrap the control plane an in-process worker
	// talks to (to make a killed worker's writes fail, as a dead process's
	// would).
	workerStore func(group int, cp ControlPlane) ControlPlane
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
	set(&o.LeaseTTL, DefaultLeaseTTL)
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
	Parent        store.TestResult       // TEST_ID = RUN_ID, merged over workers
	Children      []store.TestResult     // one per worker, by WORKER_GROUP_ID
	Phases        []results.PhaseSummary // merged, per measurement phase, with per-query summaries
	Queries       results.QueryResults   // merged, per query over the measurement phases
	Thresholds    []results.ThresholdResult
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
	// Verified: every worker's verification step confirmed its level;
	// Rejected: the levels (per worker) a verification step contradicted.
	Verified bool
	Rejected []int
	Workers  []executor.FindMaxResult
}

// errCancelled marks a run stopped by its context.
var errCancelled = errors.New("cancelled")

// orch is one Apply.
type orch struct {
	opts   Options
	plan   engine.RunPlan
	cfg    *dsl.Config
	st     ControlPlane
	log    hclog.Logger
	hook   Hook
	runID  string
	bg     context.Context // never cancelled: store writes after a Ctrl-C
	watch  *watcher
	live   *live
	starts *startBarrier
	lead   *leadership
	// cancelled is closed when `fbctl cancel` asked the run to stop.
	cancelled  chan struct{}
	cancelOnce sync.Once
	// releaseApply is the apply lock finish releases (a run ended by a
	// process other than its apply); noTeardown, when set, is why finish
	// skips teardown.
	releaseApply string
	noTeardown   string
	server       serverState      // fingerprints and warehouse lifecycle (server.go)
	samplers     []*serverSampler // live server samples (sampler.go)

	mu      sync.Mutex // guards the fields below: nodes run side by side
	dbs     map[string]*target.DB
	hard    bool
	running []string // load nodes running now, in start order
	// autoRate is the sample rate decided at the end of warmup (0: none).
	autoRate float64
	// measuring is set once the first measurement phase started.
	measuring bool
	// serverStats holds each measurement phase's pg_stat_statements
	// report (Postgres targets).
	serverStats map[string]*pgstats.Report
	// warehouses holds each Snowflake measurement phase's warehouse view.
	warehouses map[string]*warehouse.Summary
	// qpsControl holds each qps_target phase's controller record.
	qpsControl map[string]*results.QPSControl
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
	o := newOrch(ctx, p, cfg, opts)
	o.log = opts.Logger.Named("run").With("scenario", p.Scenario)
	if off, err := o.st.SyncClock(o.bg); err != nil {
		return nil, err
	} else {
		o.log.Debug("control plane clock", "offset", off.Offset, "uncertainty", off.Uncertainty)
	}
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
	o.log = o.log.With("run", o.runID)
	o.log.Info("run created", "workers", p.Workers, "launch", opts.Launch, "tool_version", opts.ToolVersion)
	if err := o.takeLease(false); err != nil {
		return nil, err
	}
	defer o.releaseLease()
	u := store.RunUpdate{}
	if opts.ApplyLockID != "" {
		u.ApplyLockID = &opts.ApplyLockID
	}
	if err := o.transition(store.RunStarting, u); err != nil {
		return nil, err
	}
	return o.drive(ctx, nil)
}

// drive runs the run from where the control plane says it is (resume nil:
// from the start) to its final status.
func (o *orch) drive(ctx context.Context, resume *resumeState) (*Outcome, error) {
	defer o.closeTargets()
	o.watch = newWatcher(o)
	o.live = newLive(o)
	o.starts = newStartBarrier(o, resume)
	watchCtx, stopWatch := context.WithCancel(o.bg)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); o.watch.run(watchCtx) }()
	defer func() { stopWatch(); <-watchDone }()
	var stopWorkers func()
	if o.opts.Launch == LaunchInProcess && resume == nil {
		stopWorkers = o.launchInProcess(ctx)
	}
	// The run stops on the caller's ctx (Ctrl-C), on `fbctl cancel`, or
	// at once when this orchestrator loses its lease.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() {
		select {
		case <-o.lead.lost:
		case <-o.cancelled:
		case <-runCtx.Done():
		}
		stopRun()
	}()
	cause := o.execute(runCtx, resume)
	if o.leaseLost() {
		if stopWorkers != nil {
			stopWorkers()
		}
		return nil, fmt.Errorf("run %s: %w: %v", o.runID, ErrOrchestratorLost, o.lead.why)
	}
	return o.finish(ctx, cause, stopWorkers)
}

func newOrch(ctx context.Context, p engine.RunPlan, cfg *dsl.Config, opts Options) *orch {
	return &orch{opts: opts, plan: p, cfg: cfg, st: opts.Store, hook: opts.Hook, bg: context.WithoutCancel(ctx),
		dbs: map[string]*target.DB{}, cancelled: make(chan struct{})}
}

func (o *orch) transition(to store.RunStatus, u store.RunUpdate) error {
	if o.leaseLost() {
		return o.lead.why
	}
	u.Epoch = o.epoch()
	r, err := o.st.TransitionRun(o.bg, o.runID, to, u)
	if err != nil {
		return o.fenced(err)
	}
	o.hook.StateChanged(StateChange{RunID: o.runID, Status: r.Status, Phase: r.Phase, PhaseKind: r.PhaseKind,
		Reason: r.FailureReason, At: time.Now().UTC()})
	return nil
}

// execute runs setup, waits for the workers, and walks the load nodes as a
// DAG: a node starts when every node it depends on ended, so phases that
// share their dependencies run side by side. With resume (a standby that
// took the run over) it goes on from the control plane's state instead.
func (o *orch) execute(ctx context.Context, resume *resumeState) error {
	if resume != nil {
		return o.walk(ctx, resume)
	}
	if err := o.beforeSetup(ctx); err != nil {
		return err
	}
	for _, n := range o.plan.Nodes {
		if n.Kind == engine.NodeSetup {
			if err := o.runSQLNode(ctx, n); err != nil {
				return err
			}
		}
	}
	if err := o.checkRequirements(ctx); err != nil {
		return err
	}
	pools, err := o.samplePools(ctx)
	if err != nil {
		return err
	}
	if err := o.runCacheWarmups(ctx, pools); err != nil {
		return err
	}
	if err := o.waitJoined(ctx); err != nil {
		return err
	}
	if _, err := o.appendEvent(store.EventStart, mustJSON(startPayload{Pools: pools})); err != nil {
		return err
	}
	if err := o.transition(store.RunRunning, store.RunUpdate{}); err != nil {
		return err
	}
	return o.walk(ctx, nil)
}

// walk runs the load nodes as a DAG.
func (o *orch) walk(ctx context.Context, resume *resumeState) error {
	stopSampling := o.startServerSampling(ctx)
	defer stopSampling()
	g, nodes := o.loadGraph()
	walkCtx, stopWalk := context.WithCancelCause(ctx)
	defer stopWalk(nil)
	err := g.Walk(walkCtx, 0, func(ctx context.Context, name string) error {
		err := o.runLoadNode(ctx, nodes[name], resume.of(name))
		if err != nil {
			stopWalk(err) // a failed node ends the run: stop its siblings too
		}
		return err
	})
	var werr *dag.WalkError
	if errors.As(err, &werr) {
		for _, s := range werr.Skipped {
			o.hook.NodeSkipped(o.runID, s, "the run stopped")
		}
		for _, f := range werr.Failed {
			if !errors.Is(f.Err, errCancelled) {
				return f
			}
		}
		if cause := context.Cause(walkCtx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, errCancelled) {
			return cause
		}
		return errCancelled
	}
	return err
}

// loadGraph is the plan's DAG restricted to its load nodes (warmup and
// phases): setup runs before it, teardown after it.
func (o *orch) loadGraph() (*dag.Graph, map[string]engine.Node) {
	g := dag.New()
	nodes := map[string]engine.Node{}
	for _, n := range o.plan.Nodes {
		if n.Warmup != nil || n.Phase != nil {
			g.Add(n.Name)
			nodes[n.Name] = n
		}
	}
	for _, n := range nodes {
		for _, d := range n.DependsOn {
			if _, ok := nodes[d]; ok {
				_ = g.Connect(d, n.Name)
			}
		}
	}
	return g, nodes
}

// runLoadNode runs one load node on every worker: SET_PHASE asks them to
// prepare it (open their sessions); once every worker with a share is
// prepared, START_PHASE gives them the instant to start at, on the control
// plane's clock; then it waits until every worker reports the node done.
func (o *orch) runLoadNode(ctx context.Context, n engine.Node, r nodeResume) error {
	p := phasePayload{Node: n.Name}
	kind := store.PhaseMeasurement
	var tmplName string
	if n.Warmup != nil {
		p.Phase, p.Warmup, kind = NodeWarmupPhase, true, store.PhaseWarmup
		tmplName = o.firstPhase().Template
	} else {
		p.Phase, tmplName = n.Phase.Name, n.Phase.Template
		o.mu.Lock()
		p.SampleRate = o.autoRate
		o.mu.Unlock()
	}
	if r.done {
		// A standby took over after the node ended.
		o.hook.NodeFinished(o.runID, n.Name, nil)
		return nil
	}
	if !r.prepared {
		seq, err := o.sequenceMax(ctx, tmplName)
		if err != nil {
			return nodeErr(n.Name, err)
		}
		p.SequenceMax = map[string]map[string]int64{tmplName: seq}
		if _, err := o.appendEvent(store.EventSetPhase, mustJSON(p)); err != nil {
			return err
		}
	}
	start := r.start
	if start.IsZero() {
		if err := o.watch.waitFor(ctx, func(hbs []store.Heartbeat) bool { return o.nodeReached(hbs, n.Name, nodePrepared) }); err != nil {
			return nodeErr(n.Name, err)
		}
		var err error
		if start, err = o.starts.arrive(ctx, n); err != nil {
			return nodeErr(n.Name, err)
		}
	}
	stats := o.beginServerStats(ctx, n, tmplName)
	wh := o.watchWarehouse(n, tmplName)
	u := store.RunUpdate{}
	o.mu.Lock()
	o.running = append(o.running, p.Phase)
	if r.measured {
		o.measuring = true
	}
	phases := strings.Join(o.running, ",")
	if n.Warmup != nil {
		u.WarmupStart = &start
	} else if !o.measuring {
		o.measuring = true
		u.MeasurementStart = &start
	}
	o.mu.Unlock()
	u.Phase, u.PhaseKind = &phases, &kind
	if err := o.update(u); err != nil {
		return err
	}
	o.live.begin(n, p.Phase, kind, start)
	o.hook.NodeStarted(o.runID, n.Name)
	o.hook.StateChanged(StateChange{RunID: o.runID, Status: store.RunRunning, Phase: phases, PhaseKind: kind, At: time.Now().UTC()})
	if r.start.IsZero() {
		if _, err := o.appendEvent(store.EventStartPhase, mustJSON(startPhasePayload{Node: n.Name, StartUS: start.UnixMicro()})); err != nil {
			return err
		}
	}
	stopControl := o.startQPSControl(ctx, n)
	err := o.watch.waitFor(ctx, func(hbs []store.Heartbeat) bool { return o.nodeReached(hbs, n.Name, nodeDone) })
	stopControl()
	o.endServerStats(n, stats)
	o.endWarehouseWatch(n, wh)
	o.live.end(p.Phase)
	end := o.st.Now()
	o.mu.Lock()
	o.running = slices.DeleteFunc(o.running, func(s string) bool { return s == p.Phase })
	rest := strings.Join(o.running, ",")
	o.mu.Unlock()
	u = store.RunUpdate{}
	if rest != "" {
		u.Phase = &rest // else PHASE keeps the last node, as the run's record
	}
	if n.Warmup != nil {
		if err == nil {
			o.decideSampleRate(end.Sub(start))
		}
		u.WarmupEnd = &end
	} else {
		u.MeasurementEnd = &end
	}
	if uerr := o.update(u); uerr != nil {
		o.log.Warn("node end not recorded in RUN_STATUS", "node", n.Name, "error", uerr)
	}
	o.hook.NodeFinished(o.runID, n.Name, err)
	if err != nil {
		return nodeErr(n.Name, err)
	}
	return nil
}

// startBarrier gives the load nodes that the DAG releases together (the
// same dependencies) one start instant: each waits, prepared, for the
// others of its group, and the last to be prepared sets the instant.
type startBarrier struct {
	o      *orch
	mu     sync.Mutex
	groups map[string]*startGroup
}

type startGroup struct {
	need, arrived int
	start         time.Time
	ready         chan struct{}
}

func newStartBarrier(o *orch, resume *resumeState) *startBarrier {
	b := &startBarrier{o: o, groups: map[string]*startGroup{}}
	for _, n := range o.plan.Nodes {
		if r := resume.of(n.Name); (n.Warmup == nil && n.Phase == nil) || r.done || !r.start.IsZero() {
			continue // a node taken over started already
		}
		k := startGroupKey(n)
		g := b.groups[k]
		if g == nil {
			g = &startGroup{ready: make(chan struct{})}
			b.groups[k] = g
		}
		g.need++
	}
	return b
}

// startGroupKey groups load nodes by their dependencies (in plan order).
func startGroupKey(n engine.Node) string { return strings.Join(n.DependsOn, "\x00") }

// arrive reports node n prepared and returns its group's start instant
// once every node of the group is prepared.
func (b *startBarrier) arrive(ctx context.Context, n engine.Node) (time.Time, error) {
	b.mu.Lock()
	g := b.groups[startGroupKey(n)]
	g.arrived++
	if g.arrived == g.need {
		g.start = b.o.st.Now().Add(b.o.startLead()).Truncate(time.Microsecond)
		close(g.ready)
	}
	b.mu.Unlock()
	select {
	case <-g.ready:
		return g.start, nil
	case <-ctx.Done():
		return time.Time{}, errCancelled
	}
}

// startLead is how far ahead a node's start instant is set: long enough
// for every worker to read START_PHASE (a few polls and store round trips)
// and for the clocks' uncertainty, at least 100 ms.
func (o *orch) startLead() time.Duration {
	if o.opts.StartLead > 0 {
		return o.opts.StartLead
	}
	lead := max(100*time.Millisecond, 3*o.opts.PollEvery) + 4*o.st.Clock().RoundTrip
	var worst int64
	for _, hb := range o.watch.heartbeats() {
		worst = max(worst, hb.ClockUncertaintyUS)
	}
	return lead + 2*time.Duration(worst)*time.Microsecond
}

func (o *orch) firstPhase() *engine.PhasePlan {
	for _, n := range o.plan.Nodes {
		if n.Phase != nil {
			return n.Phase
		}
	}
	return &engine.PhasePlan{Template: o.plan.Template}
}

// nodeReached reports whether every worker reached state in node (or went
// past it: done, skipped, or COMPLETED).
func (o *orch) nodeReached(hbs []store.Heartbeat, node, state string) bool {
	if len(hbs) < int(o.plan.Workers) {
		return false
	}
	for _, hb := range hbs {
		if hb.Status == store.WorkerCompleted {
			continue
		}
		switch nodeStatesOf(hb)[node].State {
		case nodeDone, nodeSkipped:
		case nodePrepared, nodeRunning:
			if state == nodeDone {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// decideSampleRate fixes an "auto" sample rate that the plan could not
// know, at the end of warmup: the rate that keeps stored measurement rows
// under max_rows_per_second at the throughput the warmup showed. Every
// worker gets it with its first measurement phase, and RUN_STATUS and the
// result rows record it.
func (o *orch) decideSampleRate(warmup time.Duration) {
	sp := o.plan.Sampling
	if sp.Rate != nil || sp.MaxRowsPerSecond <= 0 || warmup <= 0 {
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
	if sp.MaxRate > 0 {
		rate = min(rate, sp.MaxRate)
	}
	o.mu.Lock()
	o.autoRate = rate
	o.mu.Unlock()
	if err := o.update(store.RunUpdate{SampleRate: &rate}); err != nil {
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
	o.mu.Lock()
	if o.serverStats == nil {
		o.serverStats = map[string]*pgstats.Report{}
	}
	o.serverStats[n.Phase.Name] = &rep
	o.mu.Unlock()
}
