package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/run"
)

// leaseFlags are the orchestrator lease's flags, shared by apply, standby
// and cancel.
func leaseFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "lease-ttl", Value: run.DefaultLeaseTTL, Usage: "the orchestrator's run lease lives this long without a renewal (renewed every fifth of it)"},
	}
}

func standbyCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "standby",
		Usage:     "wait as a standby orchestrator of a run and take it over when its orchestrator is lost",
		ArgsUsage: "[PATH...]",
		Description: "Waits until the run exists and its orchestrator stops renewing its lease (on the\n" +
			"results database's clock), takes the run over with a new epoch (the old orchestrator's\n" +
			"writes are refused from then on) and drives it to its end from the control plane's\n" +
			"state: finished phases stay done, a running phase is waited for, the rest of the DAG\n" +
			"runs, then teardown and the final status. The workers must be `fbctl worker`\n" +
			"processes (in-process workers end with their orchestrator). Give it the same scenario\n" +
			"files as the apply.\n\n" +
			"Example:\n  fbctl apply -auto-approve -workers external -run-id nightly-7 scenarios/ &\n  fbctl standby -run nightly-7 scenarios/",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "run", Required: true, Usage: "the `RUN_ID` to stand by for"},
			resultsFlag(),
		}, append(runFlags(), leaseFlags()...)...), varFlags()...),
		Action: func(c *cli.Context) error {
			a, err := parseStandbyArgs(c)
			if err != nil {
				return err
			}
			cfg, st, err := g.loadWithStore(c.Context, a.Vars, false, a.Paths, a.Store)
			if err != nil {
				return err
			}
			defer st.Close()
			runID := a.RunID
			fmt.Fprintf(g.stdout, "Standing by for run %s: taking it over when its orchestrator stops renewing its lease.\n", runID)
			progress := g.newProgress()
			opts := g.orchestratorOptions(a.Run, nil, st, progress)
			opts.Launch = run.LaunchExternal
			out, err := run.Standby(c.Context, runID, cfg, opts)
			progress.Done()
			switch {
			case errors.Is(err, run.ErrRunOver):
				fmt.Fprintf(g.stdout, "%v: nothing to take over.\n", err)
				return nil
			case err != nil:
				return err
			}
			return g.exitFor(g.report(c.Context, false, st, cfg, out))
		},
	}
}

func cancelCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "cancel",
		Usage:     "end a run: ask its orchestrator to stop, or take it over when none answers",
		ArgsUsage: "RUN_ID",
		Description: "Sets CANCEL_REQUESTED on the run: a live orchestrator stops it like a Ctrl-C (drain,\n" +
			"teardown, CANCELLED with every result kept). When no orchestrator answers within -wait\n" +
			"(its lease expired, or it hangs), cancel takes the run over itself: it tells the workers\n" +
			"to stop, merges their rows, records CANCELLED and releases the run's apply lock.\n" +
			"Teardown does not run then.\n\nExample:\n  fbctl cancel 5f2c9a1e-…",
		Flags: append([]cli.Flag{
			&cli.DurationFlag{Name: "wait", Usage: "give a live orchestrator this long to stop the run itself (default: twice -lease-ttl)"},
			resultsFlag(),
		}, leaseFlags()...),
		Action: func(c *cli.Context) error {
			a := parseCancelArgs(c)
			st, err := g.openStoreFor(c.Context, a.Store, varArgs{}, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			runID := a.RunID
			r, err := run.Cancel(c.Context, runID, run.CancelOptions{Wait: a.Wait,
				Options: run.Options{Store: st, Logger: g.logger, LeaseTTL: a.LeaseTTL}})
			switch {
			case errors.Is(err, run.ErrRunOver):
				fmt.Fprintf(g.stdout, "%v: nothing to cancel.\n", err)
				return nil
			case err != nil:
				return err
			}
			fmt.Fprintf(g.stdout, "Run %s is %s", r.ID, r.Status)
			if r.FailureReason != "" {
				fmt.Fprintf(g.stdout, ": %s", r.FailureReason)
			}
			fmt.Fprintf(g.stdout, ".\nDetails: fbctl show %s\n", r.ID)
			return nil
		},
	}
}

// groupHint is the WORKER_GROUP_ID a scheduler suggests for this process:
// a Kubernetes Indexed Job's JOB_COMPLETION_INDEX or an SPCS job service's
// SNOWFLAKE_JOB_INDEX (-1 when neither is set).
func (g *globals) groupHint() int {
	for _, name := range []string{"JOB_COMPLETION_INDEX", "SNOWFLAKE_JOB_INDEX"} {
		if v, ok := g.getenv(name); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

// parseLaunch reads -workers: in-process, external, or local:N (N `fbctl
// worker` processes on this host).
func parseLaunch(v string) (launch run.LaunchMode, local int, err error) {
	switch {
	case run.LaunchMode(v) == run.LaunchInProcess || run.LaunchMode(v) == run.LaunchExternal:
		return run.LaunchMode(v), 0, nil
	case strings.HasPrefix(v, "local:"):
		n, err := strconv.Atoi(strings.TrimPrefix(v, "local:"))
		if err != nil || n < 1 {
			return "", 0, fmt.Errorf("-workers %q: local:N needs N of at least 1", v)
		}
		return run.LaunchExternal, n, nil
	}
	return "", 0, fmt.Errorf("-workers %q: use %q, %q or local:N", v, run.LaunchInProcess, run.LaunchExternal)
}

// localWorkers starts n `fbctl worker` processes of this executable for
// the run runID, with the same scenario files, variables, results store
// (through FLAKEBENCH_RESULTS in their environment, never on the command
// line) and stream flags. stop waits for them to exit after the run (they
// exit on their own when it ends) and kills any still running after
// grace.
func (g *globals) localWorkers(a applyArgs, cfg *dsl.Config, runID string, n int) (stop func(grace time.Duration), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("-workers local: find this executable: %w", err)
	}
	storeDSN, _, err := resultsDSNFrom(a.Store, cfg, "")
	if err != nil {
		return nil, err
	}
	var paths []string
	for p := range cfg.Sources {
		if abs, err := filepath.Abs(p); err == nil {
			paths = append(paths, abs)
		}
	}
	args := []string{"worker", "-run", runID}
	for _, v := range a.Vars.Vars {
		args = append(args, "-var", v)
	}
	for _, f := range a.Vars.VarFiles {
		abs, _ := filepath.Abs(f)
		args = append(args, "-var-file", abs)
	}
	args = append(args, a.Stream.Forward...)
	env := append(os.Environ(), "FLAKEBENCH_RESULTS="+storeDSN)
	host, _ := os.Hostname()
	var cmds []*exec.Cmd
	for i := range n {
		cmd := exec.Command(exe, append(append(slices.Clone(args), "-id", fmt.Sprintf("%s-local-%d", host, i)), paths...)...)
		cmd.Env = append(slices.Clone(env), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		cmd.Stdout, cmd.Stderr = g.stderr, g.stderr
		if err := cmd.Start(); err != nil {
			for _, c := range cmds {
				c.Process.Kill()
				c.Wait()
			}
			return nil, fmt.Errorf("-workers local: start worker %d: %w", i, err)
		}
		cmds = append(cmds, cmd)
	}
	return func(grace time.Duration) {
		var wg sync.WaitGroup
		for _, cmd := range cmds {
			wg.Go(func() {
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(grace):
					cmd.Process.Kill()
					<-done
				}
			})
		}
		wg.Wait()
	}, nil
}

// exitFor turns a run's exit code into the command's error.
func (g *globals) exitFor(code int) error {
	switch code {
	case exitOK:
		return nil
	case exitError:
		return &exitErr{code: exitError, msg: "a run failed; its reason and what it measured are recorded above"}
	case exitInterrupted:
		return &exitErr{code: exitInterrupted, msg: "interrupted: the run was recorded as CANCELLED with what it measured"}
	case exitErrorGate:
		return &exitErr{code: exitErrorGate, msg: fmt.Sprintf("the run's error rate is above the default gate of %.0f%% and no error_rate threshold is declared (see the warning above)", 100*results.DefaultErrorRateGate)}
	}
	return &exitErr{code: code, msg: "thresholds failed"}
}
