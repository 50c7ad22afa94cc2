package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/retry"
)

// SinkFactory returns the per-operation sink of one worker (nil: none). It
// is called once per worker, before its first operation; testID is the
// worker's child TEST_ID for QUERY_EXECUTIONS rows. Records of every node,
// warmup included (Record.Warmup), go to it.
type SinkFactory func(runID, workerID string, group int, testID string) executor.Sink

// WorkerOptions configure a worker (JoinWorker, and the in-process
// launcher, which runs the same code).
type WorkerOptions struct {
	Store ControlPlane
	// Config is the scenario as this host loaded it: connections with
	// their secrets and the templates. Every template the run uses must
	// have the hash the plan recorded, else the worker refuses to run.
	Config *dsl.Config
	Logger hclog.Logger
	// WorkerID names the worker in WORKER_HEARTBEATS and its result row
	// ("": "<host>-<pid>").
	WorkerID string
	// GroupHint is the WORKER_GROUP_ID this worker prefers (a scheduler's
	// index: Kubernetes JOB_COMPLETION_INDEX, SPCS SNOWFLAKE_JOB_INDEX); -1
	// or a taken group: the lowest free. The control plane's claim stays
	// authoritative: a duplicated or
	// restarted replica gets a free group or none.
	GroupHint      int
	Host           string        // "": os.Hostname
	PID            int           // 0: os.Getpid
	HeartbeatEvery time.Duration // 0: DefaultHeartbeatEvery; also the metrics snapshot interval
	PollEvery      time.Duration // 0: DefaultPollEvery; how often RUN_CONTROL_EVENTS is read
	DrainTimeout   time.Duration // 0: DefaultDrainTimeout
	// LeaseTTL is the orchestrators' lease TTL (0: DefaultLeaseTTL), for a
	// worker that ends a run whose orchestrator was lost.
	LeaseTTL time.Duration
	// OrchestratorGrace is how long the run's lease may stay expired (no
	// orchestrator renews it) before the worker stops its nodes, writes its
	// rows and ends the run FAILED (0: DefaultOrchestratorGrace).
	OrchestratorGrace time.Duration
	// CancelInFlight cancels operations still running when the drain
	// ends (see executor.Env.CancelInFlight).
	CancelInFlight bool
	Sink           SinkFactory                    // nil: no per-operation records
	Stream         *stream.Options                // see Options.Stream
	Targets        map[string]TargetFactory       // see Options.Targets
	Classifiers    map[string]executor.Classifier // see Options.Classifiers
	// Hook follows the worker's steps (nil: none), for a person watching.
	Hook WorkerHook

	openTarget func(*dsl.Connection) (*target.DB, error) // tests: replaces target.Open
}

func (o *WorkerOptions) defaults() {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.WorkerID == "" {
		o.WorkerID = fmt.Sprintf("%s-%d", o.Host, o.PID)
	}
	if o.HeartbeatEvery <= 0 {
		o.HeartbeatEvery = DefaultHeartbeatEvery
	}
	if o.PollEvery <= 0 {
		o.PollEvery = DefaultPollEvery
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.OrchestratorGrace <= 0 {
		o.OrchestratorGrace = DefaultOrchestratorGrace
	}
	if o.openTarget == nil {
		o.openTarget = target.Open
	}
}

// TargetFactory opens a driver-native target for one phase of a worker:
// the connection, the template's queries, the session setup statements and
// the most connections it will hold. The run closes it when the phase ends.
type TargetFactory func(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (NativeTarget, error)

// NativeTarget is a target with its own pool.
type NativeTarget interface {
	executor.Target
	Close()
}

// ChildTestID is the TEST_ID of a worker's TEST_RESULTS row (and of its
// QUERY_EXECUTIONS rows).
func ChildTestID(runID string, group int) string { return fmt.Sprintf("%s-w%d", runID, group) }

// JoinWorker joins the run runID as one worker: it claims a free
// WORKER_GROUP_ID, loads the run's plan from RUN_STATUS, opens its own
// target pools from opts.Config, heartbeats every second and follows the
// control events until the run stops. It returns nil once its results are
// written and it reported COMPLETED. When ctx is cancelled it returns at
// once without writing anything more, like a killed process (the
// orchestrator then sees its heartbeat age and fails the run): stopping a
// run is the orchestrator's job, through a STOP event.
func JoinWorker(ctx context.Context, runID string, opts WorkerOptions) error {
	opts.defaults()
	if opts.Store == nil {
		return errors.New("worker: no results store")
	}
	group, err := opts.Store.ClaimWorkerGroup(ctx, runID, opts.WorkerID, opts.Host, opts.PID, opts.GroupHint)
	if errors.Is(err, store.ErrNoFreeWorkerGroup) {
		return fmt.Errorf("%w: run %s already has all its workers, so this one (%s, index hint %d) is a duplicate or joined late; it did nothing", err, runID, opts.WorkerID, opts.GroupHint)
	}
	if err != nil {
		return err
	}
	return runClaimed(ctx, runID, group, opts)
}

// runClaimed runs a worker whose group is already claimed.
func runClaimed(ctx context.Context, runID string, group int, opts WorkerOptions) error {
	opts.defaults()
	w := &worker{
		runID: runID, id: opts.WorkerID, group: group, opts: opts, st: opts.Store,
		log:     opts.Logger.Named("worker").With("run", runID, "worker", opts.WorkerID, "group", group),
		reg:     histogram.NewRegistry(),
		recs:    map[string]*executor.Recorder{},
		queries: map[results.QueryKey]results.QueryMeta{},
		dbs:     map[string]*target.DB{},
		nodes:   map[string]*nodeRun{},
		status:  store.WorkerStarting,
	}
	defer w.closeTargets()
	w.emit(WorkerEvent{Kind: WorkerClaimed})
	hbCtx, stopHB := context.WithCancel(ctx)
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); w.heartbeatLoop(hbCtx) }()
	err := w.prepare(ctx)
	if err == nil {
		err = w.follow(ctx)
	}
	stopHB()
	<-hbDone
	if ctx.Err() != nil {
		if w.stream != nil {
			// Stopped from outside: no result row, but the rows in memory
			// go to the store or the spill journal (replayed later).
			cctx, cancel := context.WithTimeout(context.Background(), hardStopStreamWait)
			w.closeStream(cctx)
			cancel()
		}
		return ctx.Err()
	}
	if errors.Is(err, ErrOrchestratorLost) {
		return err // its rows are written and the run ended
	}
	if err != nil {
		w.log.Error("worker failed", "error", err)
		w.closeStream(context.WithoutCancel(ctx))
		w.setState(store.WorkerDead, err.Error())
		bg := context.WithoutCancel(ctx)
		if werr := retryFinal(bg, w.st, w.log, "the worker's result row", func() error {
			return w.writeResults(bg, "FAILED", err.Error())
		}); werr != nil {
			w.log.Error("the worker's result row could not be written", "error", werr)
		}
		w.heartbeat(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

// worker is one worker group of a run.
type worker struct {
	runID, id string
	group     int
	opts      WorkerOptions
	st        ControlPlane
	log       hclog.Logger
	plan      engine.RunPlan
	reg       *histogram.Registry
	recs      map[string]*executor.Recorder // by template
	queries   map[results.QueryKey]results.QueryMeta
	pools     map[string]map[string][]any
	sink      executor.Sink // from opts.Sink or the streamer, one per worker

	// stream writes this worker's QUERY_EXECUTIONS rows (nil: none);
	// streamErr delivers its failure (the store refused writes past the
	// retry budget), streamDone ends its Run; final is what Close reported.
	stream     *stream.Streamer
	draining   atomic.Bool // Close of the stream is writing what is left
	streamErr  chan error
	streamStop context.CancelFunc
	final      *stream.Final

	hbMu  sync.Mutex // serialises heartbeat writes with state changes
	conds condLog    // control-plane problems, logged once per change

	mu       sync.Mutex            // guards the fields below, recs and dbs
	dbs      map[string]*target.DB // by connection key
	idle     map[string]int64      // idle connections kept per pool, by connection key
	status   store.WorkerStatus
	lastErr  string
	nodes    map[string]*nodeRun // every node given to this worker
	doneOps  int64               // operations of finished nodes (measurement and warmup)
	doneErrs int64
	measured []results.NodeResult // finished measurement nodes, in end order
	start    *time.Time
	end      *time.Time
}

func (w *worker) prepare(ctx context.Context) error {
	run, err := w.st.GetRun(ctx, w.runID)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(run.Plan, &w.plan); err != nil {
		return fmt.Errorf("run %s: read its plan: %w", w.runID, err)
	}
	cfg := w.opts.Config
	if cfg == nil {
		return fmt.Errorf("run %s: the worker needs the scenario files (connections and templates) to join", w.runID)
	}
	if _, err := w.st.SyncClock(ctx); err != nil {
		return err
	}
	for _, n := range w.plan.Nodes {
		if n.Phase == nil {
			continue
		}
		t := cfg.Templates[n.Phase.Template]
		if t == nil {
			return fmt.Errorf("run %s: template %q of phase %q is not in this worker's scenario files", w.runID, n.Phase.Template, n.Phase.Name)
		}
		if _, hash, err := engine.CanonicalConfig(cfg, t); err != nil {
			return err
		} else if n.Phase.TemplateHash != "" && hash != n.Phase.TemplateHash {
			return fmt.Errorf("run %s: template %q in this worker's files (%s) differs from the run's plan (%s)", w.runID, t.Name, hash, n.Phase.TemplateHash)
		}
		if _, err := w.target(ctx, t); err != nil {
			return err
		}
	}
	w.startStream(run)
	w.setState(store.WorkerReady, "")
	w.emit(WorkerEvent{Kind: WorkerReady})
	return w.heartbeat(ctx)
}

// startStream starts the worker's QUERY_EXECUTIONS streamer when the run
// streams. A sample rate known when the run was created (a fixed rate, or
// auto with only open phases) is set now; an auto rate decided at the end
// of warmup arrives with the first measurement phase.
func (w *worker) startStream(run store.Run) {
	if w.opts.Stream == nil {
		return
	}
	o := *w.opts.Stream
	o.Store, o.RunID, o.TestID = w.st, w.runID, ChildTestID(w.runID, w.group)
	o.WorkerID, o.WorkerGroupID, o.Logger = w.id, w.group, w.log.Named("stream")
	if w.plan.Sampling.Rate != nil {
		o.Sampler = stream.Sampler{Rate: run.SampleRate}
	}
	w.stream = stream.New(o)
	w.sink = w.stream
	w.streamErr = make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	w.streamStop = cancel
	go func() {
		if err := w.stream.Run(ctx); err != nil && ctx.Err() == nil {
			w.streamErr <- err
		}
	}()
}

// closeStream flushes every buffered and journaled row and records what
// the streamer reports for the worker's result row.
func (w *worker) closeStream(ctx context.Context) {
	if w.stream == nil || w.final != nil {
		return
	}
	stopDrain := w.reportDrain(ctx)
	fin, err := w.stream.Close(ctx)
	stopDrain()
	w.streamStop()
	if err != nil {
		w.log.Error("query executions not all written", "error", err, "not_written", fin.NotWritten, "journal", fin.JournalPath)
	}
	w.mu.Lock()
	w.final = &fin
	w.mu.Unlock()
}

// target returns the worker's own pool for t's connection, opened and
// pinged on first use.
func (w *worker) target(ctx context.Context, t *dsl.Template) (*target.DB, error) {
	w.mu.Lock()
	db := w.dbs[t.Connection]
	w.mu.Unlock()
	if db != nil {
		return db, nil
	}
	c := w.opts.Config.Connections[t.Connection]
	if c == nil {
		return nil, fmt.Errorf("template %q: connection %q is not declared", t.Name, t.Connection)
	}
	db, err := w.opts.openTarget(c)
	if err != nil {
		return nil, err
	}
	if err := pingPatiently(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if prev := w.dbs[t.Connection]; prev != nil {
		db.Close()
		return prev, nil
	}
	w.dbs[t.Connection] = db
	return db, nil
}

func (w *worker) closeTargets() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, db := range w.dbs {
		db.Close()
	}
}

func (w *worker) setState(st store.WorkerStatus, lastErr string) {
	w.mu.Lock()
	w.status = st
	if lastErr != "" {
		w.lastErr = lastErr
	}
	w.mu.Unlock()
}

// heartbeat writes the worker's current state now: its status, every
// node's state, its clock offset and its operation counters.
func (w *worker) heartbeat(ctx context.Context) error {
	w.hbMu.Lock()
	defer w.hbMu.Unlock()
	clock := w.st.Clock()
	w.mu.Lock()
	hb := store.Heartbeat{RunID: w.runID, WorkerID: w.id, WorkerGroupID: w.group, Status: w.status,
		Operations: w.doneOps, Errors: w.doneErrs, LastError: w.lastErr, Host: w.opts.Host, PID: w.opts.PID,
		ClockOffsetUS: clock.Offset.Microseconds(), ClockUncertaintyUS: clock.Uncertainty.Microseconds()}
	states := make(map[string]nodeState, len(w.nodes))
	var running []string
	for name, n := range w.nodes {
		states[name] = n.stateLocked()
		if n.rec != nil && n.state == nodeRunning {
			c := n.rec.Counts()
			hb.Operations += c.Ops
			hb.Errors += c.Errors
			hb.ActiveConnections += int64(n.rec.Sessions())
			hb.TargetConnections += n.spec.Sessions
			running = append(running, n.phase)
		}
	}
	if len(running) > 0 {
		hb.Phase = running[0]
	}
	w.mu.Unlock()
	w.drainState(states)
	hb.NodeStates = mustJSON(states)
	if err := w.st.UpsertHeartbeat(ctx, hb); err != nil {
		if ctx.Err() == nil {
			w.conds.fail(w.log, "writing the heartbeat", err)
		} // else the heartbeat was stopped (the worker's end), not a failure
		return err
	}
	w.conds.ok(w.log, "writing the heartbeat")
	return nil
}

// heartbeatLoop heartbeats every HeartbeatEvery until ctx is done.
func (w *worker) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(w.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.heartbeat(ctx)
		}
	}
}

// pingPatiently pings a freshly opened target, retrying for a few seconds:
// a worker joins while the orchestrator may still run setup on the same
// target. (An SQLite file that setup is creating and switching to WAL no
// longer answers "database is locked" to a new connection: engine/sqlite's
// Open waits that out for every SQLite pool.) Seven pings, 50 ms apart
// doubling to 1 s (2.55 s of waits).
func pingPatiently(ctx context.Context, db *target.DB) error {
	return retry.Do(ctx, retry.Policy{Initial: 50 * time.Millisecond, Max: time.Second, Factor: 2, MaxTries: 7},
		db.PingContext)
}

// writeResults writes the worker's child TEST_RESULTS row from what it has
// measured so far (cumulative: every call replaces the row).
func (w *worker) writeResults(ctx context.Context, status, reason string) error {
	w.mu.Lock()
	nodes := append([]results.NodeResult(nil), w.measured...)
	start, end := w.start, w.end
	queries := make(map[results.QueryKey]results.QueryMeta, len(w.queries))
	for k, v := range w.queries {
		queries[k] = v
	}
	fin := w.final
	w.mu.Unlock()
	hists := map[histogram.Key]*hdr.Histogram{}
	for _, s := range w.reg.Cumulative() {
		hists[s.Key] = s.Cumulative
	}
	set := results.ForWorker(nodes, hists, queries)
	g := w.group
	r := store.TestResult{TestID: ChildTestID(w.runID, w.group), RunID: w.runID, WorkerID: w.id, WorkerGroupID: &g,
		ScenarioName: w.plan.Scenario, TemplateName: w.plan.Template, Status: status, FailureReason: reason,
		StartTime: start, EndTime: end}
	if _, err := set.Fill(&r); err != nil {
		return fmt.Errorf("worker %s results: %w", w.id, err)
	}
	if fin != nil {
		// OPS_ISSUED counts every operation the worker issued (warmup
		// included), ROWS_STORED the QUERY_EXECUTIONS rows written:
		// errors + warmup + sampled measurement operations.
		r.SampleRate, r.OpsIssued, r.RowsStored = fin.SampleRate, fin.Offered, fin.Written
		if fin.NotWritten > 0 {
			note := fmt.Sprintf("%d query executions not written (%s)", fin.NotWritten, fin.Reason)
			if fin.JournalPath != "" {
				note += "; they are kept in " + fin.JournalPath
			}
			r.FailureReason = addReason(r.FailureReason, note)
		}
	}
	return w.st.WriteTestResult(ctx, r)
}
