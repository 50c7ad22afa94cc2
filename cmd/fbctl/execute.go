package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/internal/retry"
	"github.com/urfave/cli/v2"
)

// runFlags are apply's flags that shape how scenarios run.
func runFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "workers", Value: string(run.LaunchInProcess), Usage: "`LAUNCH` workers in-process, start local:N `fbctl worker` processes on this host, or wait for `fbctl worker -run RUN_ID` processes (external)"},
		&cli.DurationFlag{Name: "join-timeout", Value: run.DefaultJoinTimeout, Usage: "with -workers external: how long to wait for the planned workers to join"},
		&cli.DurationFlag{Name: "stale-after", Value: run.DefaultStaleAfter, Usage: "a worker whose heartbeat is older than this is STALE"},
		&cli.DurationFlag{Name: "dead-after", Value: run.DefaultDeadAfter, Usage: "a worker whose heartbeat is older than this is DEAD and fails the run"},
		&cli.BoolFlag{Name: "enrich", Value: true, Usage: "after a Snowflake run, fill server timings from QUERY_HISTORY (see `fbctl enrich`)"},
		&cli.StringFlag{Name: "run-id", Usage: "use `ID` as the run ID (default: a new UUID), e.g. to start external workers before apply"},
		&cli.DurationFlag{Name: "drain-timeout", Value: run.DefaultDrainTimeout, Usage: "how long in-flight operations may finish after a phase stops issuing"},
		&cli.DurationFlag{Name: "server-sample-every", Value: run.DefaultServerSampleEvery, Usage: "how often the run's statements on Postgres and Snowflake targets are sampled (running, queued, waiting, lock waits); 0 turns sampling off"},
	}
}

// streamFlags are the flags of the QUERY_EXECUTIONS stream, shared by apply
// and worker.
func streamFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "query-executions", Value: true, Usage: "store per-operation rows in QUERY_EXECUTIONS (sampled as the scenario says)"},
		&cli.DurationFlag{Name: "flush-every", Value: 5 * time.Second, Usage: "write query executions at least this often"},
		&cli.IntFlag{Name: "flush-rows", Value: 1000, Usage: "or as soon as this many rows wait"},
		&cli.StringFlag{Name: "journal-dir", Value: defaultJournalDir, Usage: "`DIR` for the local spill journal used while the results store falls behind"},
		&cli.Int64Flag{Name: "journal-max-bytes", Value: stream.DefaultJournalMaxBytes, Usage: "disk budget of each worker's spill journal in `BYTES`; at the budget (or with less than 256 MiB free on its disk) the workers wait for the results store instead of filling the disk"},
	}
}

// sqliteWriteGap is the pause between a stream's back-to-back batches on
// an SQLite results store, which has one writer at a time: without it a
// busy stream starves heartbeats and a live worker looks dead.
const sqliteWriteGap = 25 * time.Millisecond

// streamOptions turns the stream flags into the run engine's options (nil:
// no query executions).
func streamOptions(a streamArgs, st *store.Store) *stream.Options {
	if !a.Enabled {
		return nil
	}
	o := &stream.Options{FlushEvery: a.FlushEvery, FlushRows: a.FlushRows, JournalDir: a.JournalDir, JournalMaxBytes: a.JournalMaxBytes}
	if st.Dialect().Name() == "sqlite" {
		o.WriteGap = sqliteWriteGap
	}
	return o
}

// checkCapacity refuses, before anything is written, a plan whose
// pre-opened sessions cannot fit on a target that says its connection
// limit, and prints a warning where max_connections could exceed it.
func (g *globals) checkCapacity(ctx context.Context, s storeArgs, cfg *dsl.Config, plan *engine.Plan) error {
	storeDSN, _, err := resultsDSNFrom(s, cfg, "")
	if err != nil {
		return err
	}
	for _, rp := range plan.Runs {
		warnings, err := run.CheckCapacity(ctx, rp, cfg, run.CapacityOptions{Limits: capacityLimits(), StoreSessions: storeSessions(storeDSN, rp.Workers)})
		for _, w := range warnings {
			fmt.Fprintf(g.stderr, "Warning: %s.\n", w)
		}
		if err != nil {
			return fmt.Errorf("nothing was applied: %w", err)
		}
	}
	return nil
}

// orchestratorOptions are the run engine's options from the run flags.
// stream is nil for a standby, which writes no query executions itself.
func (g *globals) orchestratorOptions(a runArgs, stream *stream.Options, st *store.Store, hook run.Hook) run.Options {
	return run.Options{
		Store:        st,
		Logger:       g.logger,
		Hook:         hook,
		JoinTimeout:  a.JoinTimeout,
		StaleAfter:   a.StaleAfter,
		DeadAfter:    a.DeadAfter,
		DrainTimeout: a.DrainTimeout,
		LeaseTTL:     a.LeaseTTL,
		// 0 on the command line means off; in run.Options it means the default.
		ServerSampleEvery: cmp.Or(a.ServerSampleEvery, -1),
		HardStop:          g.hardStop,
		ToolVersion:       version,
		Stream:            stream,
		Targets:           nativeTargets(),
		Classifiers:       classifiers(),
	}
}

// runScenarios runs every run of the plan, one after the other, and
// returns the exit-code error: FAILED → 1, CANCELLED → 130, thresholds
// failed → 3.
func (g *globals) runScenarios(ctx context.Context, a applyArgs, st *store.Store, cfg *dsl.Config, plan *engine.Plan, applyLockID string) error {
	launch, local := a.Run.Launch, a.Run.Local
	var err error
	worst := exitOK
	for _, rp := range plan.Runs {
		if ctx.Err() != nil {
			fmt.Fprintf(g.stdout, "\nRun of scenario %q not started: interrupted.\n", rp.Scenario)
			worst = exitInterrupted
			continue
		}
		progress := g.newProgress()
		fmt.Fprintf(g.stdout, "\nRunning scenario %q (%s, %s).\n", rp.Scenario,
			view.Plural(int(rp.Workers), "worker", "workers"), a.Run.Workers)
		opts := g.orchestratorOptions(a.Run, streamOptions(a.Stream, st), st, progress)
		opts.Launch, opts.RunID, opts.ApplyLockID = launch, runID(a.Run.RunID, rp, len(plan.Runs)), applyLockID
		var stopLocal func(time.Duration)
		switch {
		case local > 0:
			if opts.RunID == "" {
				opts.RunID = store.NewID()
			}
			if stopLocal, err = g.localWorkers(a, cfg, opts.RunID, local); err != nil {
				return err
			}
		case launch == run.LaunchExternal:
			fmt.Fprintf(g.stdout, "Start %s with: fbctl worker -run <RUN_ID shown below> [-results DSN] [scenario files]\n",
				view.Plural(int(rp.Workers), "worker", "workers"))
		}
		out, err := run.Apply(ctx, rp, cfg, opts)
		progress.Done()
		if stopLocal != nil {
			stopLocal(opts.DrainTimeout + run.DefaultStaleAfter)
		}
		if err != nil && out != nil {
			// What the run measured is in memory: show it, then say what
			// could not be recorded.
			g.report(ctx, a.Run.Enrich && a.Stream.Enabled, st, cfg, out)
			return fmt.Errorf("run %s of scenario %q ended %s but could not be recorded completely: %w", out.RunID, rp.Scenario, out.Status, err)
		}
		if err != nil {
			return fmt.Errorf("run of scenario %q could not be recorded: %w", rp.Scenario, err)
		}
		g.tagRun(context.WithoutCancel(ctx), st, out.RunID, a.Tags, rp, cfg)
		worst = worse(worst, g.report(ctx, a.Run.Enrich && a.Stream.Enabled, st, cfg, out))
	}
	return g.exitFor(worst)
}

// worse keeps the more serious of two exit codes: error, then
// interrupted, then thresholds failed.
func worse(a, b int) int {
	rank := func(code int) float64 {
		switch code {
		case exitError:
			return 3
		case exitInterrupted:
			return 2
		case exitThresholdsFailed:
			return 1
		case exitErrorGate:
			return 0.5
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// report prints a run's outcome (and enriches a Snowflake run when
// enrich) and returns its exit code.
func (g *globals) report(ctx context.Context, enrich bool, st *store.Store, cfg *dsl.Config, out *run.Outcome) int {
	report := view.RunReport{Parent: out.Parent, Children: out.Children, Phases: out.Phases,
		Thresholds: out.Thresholds, FindMax: out.FindMax}
	if r, err := st.GetRun(context.WithoutCancel(ctx), out.RunID); err == nil {
		report.Run = r
	} else {
		report.Run = store.Run{ID: out.RunID, ScenarioName: out.Parent.ScenarioName, Status: out.Status, FailureReason: out.FailureReason}
	}
	report.Server = loadServerReport(context.WithoutCancel(ctx), st, out.RunID)
	fmt.Fprintln(g.stdout)
	if err := view.Results(g.stdout, report); err != nil {
		fmt.Fprintf(g.stderr, "Error: %v\n", err)
		return exitError
	}
	var rp engine.RunPlan
	_ = json.Unmarshal(report.Run.Plan, &rp)
	if enrich && usesSnowflake(rp, cfg) && out.Parent.RowsStored > 0 {
		fmt.Fprintln(g.stdout)
		if err := g.enrichRun(context.WithoutCancel(ctx), st, cfg, out.RunID, false, false); err != nil {
			fmt.Fprintf(g.stdout, "Enrichment from QUERY_HISTORY did not run: %v\nRun `fbctl enrich %s` later.\n", err, out.RunID)
		}
	}
	// The default error-rate gate judges a completed run whose declared
	// thresholds passed (or that declares none).
	gate := results.CheckErrorGate(out.Thresholds, out.Parent)
	gated := out.Status == store.RunCompleted && !out.ThresholdsFailed() && gate.Crossed
	if gated {
		_ = view.ErrorGateWarning(g.stdout, gate)
	}
	fmt.Fprintf(g.stdout, "\nDetails: fbctl show %s\n", out.RunID)
	switch {
	case out.Status == store.RunFailed:
		return exitError
	case out.Status == store.RunCancelled:
		return exitInterrupted
	case out.ThresholdsFailed():
		return exitThresholdsFailed
	}
	if gated {
		return exitErrorGate
	}
	return exitOK
}

func workerCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "worker",
		Usage:     "join a run as one of its workers, from any host",
		ArgsUsage: "[PATH...]",
		Description: "Claims a free WORKER_GROUP_ID of the run, heartbeats and follows its control\n" +
			"events until it stops. The scenario files (default: the current directory) give the\n" +
			"connections and their secrets on this host; their templates must match the run's plan.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "run", Required: true, Usage: "the `RUN_ID` to join (printed by `fbctl apply -workers external`)"},
			&cli.StringFlag{Name: "id", Usage: "worker `ID` in WORKER_HEARTBEATS (default: HOST-PID)"},
			&cli.DurationFlag{Name: "wait", Value: 5 * time.Minute, Usage: "wait up to `DURATION` for the run to be created (a worker may start before apply)"},
			&cli.DurationFlag{Name: "orchestrator-grace", Value: run.DefaultOrchestratorGrace, Usage: "when the run's orchestrator stops renewing its lease for longer than this (and no standby takes over), stop, write the results and end the run FAILED"},
			&cli.DurationFlag{Name: "lease-ttl", Value: run.DefaultLeaseTTL, Usage: "the orchestrators' lease TTL, for ending a run whose orchestrator was lost"},
			resultsFlag(),
		}, append(streamFlags(), varFlags()...)...),
		Action: func(c *cli.Context) error {
			a, err := parseWorkerArgs(c)
			if err != nil {
				return err
			}
			cfg, st, err := g.loadWithStore(c.Context, a.Vars, true, a.Paths, a.Store)
			if err != nil {
				return err
			}
			defer st.Close()
			wlog := &view.WorkerLog{W: g.stderr}
			if _, err := st.GetRun(c.Context, a.RunID); errors.Is(err, store.ErrNotFound) {
				wlog.Waiting(a.RunID, st.String(), a.Wait)
			}
			if err := waitForRun(c.Context, st, a.RunID, a.Wait); err != nil {
				return err
			}
			err = run.JoinWorker(c.Context, a.RunID, run.WorkerOptions{
				Store: st, Config: cfg, Logger: g.logger, WorkerID: a.ID, Stream: streamOptions(a.Stream, st), Hook: wlog,
				Targets: nativeTargets(), Classifiers: classifiers(), GroupHint: g.groupHint(),
				OrchestratorGrace: a.OrchestratorGrace, LeaseTTL: a.LeaseTTL,
			})
			switch {
			case errors.Is(err, context.Canceled):
				return &exitErr{code: exitInterrupted, msg: "worker interrupted: it stopped at once and wrote no result row; " +
					"its QUERY_EXECUTIONS rows went to the store or to the spill journal (replayed by the next fbctl command here, or `fbctl recover`). " +
					"The orchestrator fails the run when this worker's heartbeat is older than -dead-after; to stop a run, use `fbctl cancel " + c.String("run") + "`"}
			case errors.Is(err, run.ErrOrchestratorLost):
				return &exitErr{code: exitError, msg: fmt.Sprintf("%v.\nThis worker stopped, wrote its results and ended the run. See `fbctl show %s`; to survive losing an orchestrator, run `fbctl standby -run RUN_ID` next to `fbctl apply`.", err, a.RunID)}
			}
			return err
		},
	}
}

// runID is the -run-id flag for a single run; with several runs each gets
// the flag's value suffixed with its scenario name.
func runID(id string, rp engine.RunPlan, runs int) string {
	if id == "" || runs == 1 {
		return id
	}
	return id + "-" + rp.Scenario
}

// waitForRun polls the control plane until the run exists.
func waitForRun(ctx context.Context, st *store.Store, runID string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	return retry.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := st.GetRun(ctx, runID)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return true, err
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("run %s did not appear in %s within %s; start it with `fbctl apply -workers external -run-id %s`", runID, st, wait, runID)
		}
		return false, nil
	})
}

// usesSnowflake reports whether any phase of the run targets Snowflake.
func usesSnowflake(rp engine.RunPlan, cfg *dsl.Config) bool {
	for _, n := range rp.Nodes {
		if n.Phase == nil {
			continue
		}
		if t := cfg.Templates[n.Phase.Template]; t != nil {
			if c := cfg.Connections[t.Connection]; c != nil && c.Type == dsl.ConnSnowflake {
				return true
			}
		}
	}
	return false
}
