package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/planfile"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
	"github.com/urfave/cli/v2"
)

// applyLock is the name of the control-plane lease every apply holds.
const applyLock = "apply"

// applyLeaseTTL is how long an apply's lease lives without renewal; a
// running apply renews it every third of that.
const applyLeaseTTL = 2 * time.Minute

func applyCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "mirror templates into CONFIG and run the selected scenarios",
		ArgsUsage: "[PLANFILE | PATH...]",
		Description: "With a saved plan (from `fbctl plan -out FILE`) applies exactly that plan, refusing\n" +
			"it when the files or CONFIG changed since. With paths, plans first, shows the plan\n" +
			"and asks for confirmation unless -auto-approve. Holds the control-plane lock while\n" +
			"it works.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "auto-approve", Usage: "apply without asking for confirmation"},
			&cli.BoolFlag{Name: "templates-only", Usage: "mirror templates into CONFIG and run nothing"},
			&cli.StringSliceFlag{Name: "scenario", Usage: "run only scenario `NAME` (repeatable; default: all)"},
			&cli.BoolFlag{Name: "prune", Usage: "remove stored templates the files do not declare"},
			&cli.DurationFlag{Name: "lock-timeout", Usage: "wait up to `DURATION` for another apply's lock (default: fail at once)"},
			tagFlag(),
			resultsFlag(),
			preflightFlag(),
		}, append(append(append(runFlags(), leaseFlags()...), streamFlags()...), varFlags()...)...),
		Action: func(c *cli.Context) error {
			a, err := parseApplyArgs(c)
			if err != nil {
				return err
			}
			return g.runApply(c.Context, a)
		},
	}
}

func (g *globals) runApply(ctx context.Context, a applyArgs) error {
	var saved *planfile.File
	savedPath := a.PlanFile
	if savedPath != "" {
		f, err := planfile.Read(savedPath)
		if err != nil {
			return err
		}
		if err := f.CheckToolVersion(version); err != nil {
			return fmt.Errorf("cannot apply %s: %w", savedPath, err)
		}
		saved = f
	}

	cfg, err := g.loadPlanOrPaths(a, saved, savedPath)
	if err != nil {
		return err
	}
	st, err := g.openStoreFor(ctx, a.Store, a.Vars, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()

	lease, err := g.acquireApplyLock(ctx, st, a.LockTimeout)
	if err != nil {
		return err
	}
	defer func() {
		if err := releaseRetrying(context.WithoutCancel(ctx), st, func(ctx context.Context) error { return lease.Release(ctx) }); err != nil {
			g.logger.Warn("releasing the apply lock failed; `fbctl force-unlock` frees it", "error", err)
		}
	}()
	stopRenew := lease.KeepAlive(ctx, applyLeaseTTL, func(err error) {
		g.logger.Error("renewing the apply lock failed", "error", err)
	})
	defer stopRenew()

	state, err := configState(ctx, st)
	if err != nil {
		return err
	}
	opts := engine.PlanOptions{Scenarios: a.Scenarios, Prune: a.Prune}
	if saved != nil {
		if err := planfile.Check(saved, cfg.Sources, state); err != nil {
			return fmt.Errorf("the saved plan %s is stale and was not applied: %w\nMake a new plan with `fbctl plan -out %s`.", savedPath, err, savedPath)
		}
		opts.Prune = saved.Plan.Prune
		opts.Scenarios = nil
		for _, r := range saved.Plan.Runs {
			opts.Scenarios = append(opts.Scenarios, r.Scenario)
		}
	}
	plan, err := g.buildPlan(a.Store, cfg, state, opts)
	if err != nil {
		return err
	}
	if err := g.checkTargets(ctx, a.Preflight && !a.TemplatesOnly, outcomeApply, cfg, plan); err != nil {
		return err
	}

	if saved != nil {
		if what := planfile.Difference(saved.Plan, plan); what != "" {
			return fmt.Errorf("the saved plan %s is stale and was not applied: the files are unchanged but now evaluate differently (%s); variables or the environment differ from when the plan was made.\nMake a new plan with `fbctl plan -out %s`.", savedPath, what, savedPath)
		}
	} else {
		if err := view.Plan(g.stdout, plan, g.color); err != nil {
			return err
		}
		if !a.AutoApprove {
			if err := g.confirm(); err != nil {
				return err
			}
		}
	}

	if nothingToApply(plan) {
		fmt.Fprintln(g.stdout, "\nNothing to apply: the files declare no template and no scenario.")
		return nil
	}
	if !a.TemplatesOnly {
		if err := g.checkCapacity(ctx, a.Store, cfg, plan); err != nil {
			return err
		}
	}
	counts, err := mirrorTemplates(ctx, st, cfg, plan)
	if err != nil {
		return err
	}
	if err := view.ApplyComplete(g.stdout, counts); err != nil {
		return err
	}
	if a.TemplatesOnly || len(plan.Runs) == 0 {
		return nil
	}
	return g.runScenarios(ctx, a, st, cfg, plan, lease.LockID)
}

// loadPlanOrPaths loads the files at paths, or, for a saved plan, exactly
// the plan's sources once each matched its recorded hash: nothing of a
// file is parsed or shown before that (a plan file may come from anywhere,
// and its sources are only names inside its own directory).
func (g *globals) loadPlanOrPaths(a applyArgs, saved *planfile.File, savedPath string) (*dsl.Config, error) {
	if saved == nil {
		return g.load(a.Vars, true, a.Paths)
	}
	contents, err := saved.ReadSources()
	if err != nil {
		return nil, fmt.Errorf("the saved plan %s is stale and was not applied: %w\nMake a new plan with `fbctl plan -out %s`.", savedPath, err, savedPath)
	}
	return g.renderLoad(dsl.LoadContents(contents, g.varOptions(a.Vars, true)))
}

// nothingToApply reports a plan of files that declare no template and no
// scenario (only connections, say): apply says so rather than "Apply
// complete!".
func nothingToApply(plan *engine.Plan) bool {
	if len(plan.Runs) > 0 || plan.HasChanges() {
		return false
	}
	for _, t := range plan.Templates {
		if t.Action == engine.ActionNoOp {
			return false // declared in the files, unchanged
		}
	}
	return true
}

// isPlanFile tells a saved plan from a scenario file or directory.
func isPlanFile(path string) bool {
	if strings.HasSuffix(path, dsl.FileSuffix) {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// confirm asks the person at the terminal to approve; without a terminal
// it refuses, so a pipeline never applies by accident.
func (g *globals) confirm() error {
	f, ok := g.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return errors.New("refusing to apply without confirmation: there is no terminal to ask. Review the plan and run again with -auto-approve, or apply a saved plan")
	}
	fmt.Fprint(g.stdout, "\nDo you want to apply this plan?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	line, _ := bufio.NewReader(f).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return &exitErr{code: exitError, msg: "apply cancelled: nothing was changed"}
	}
	return nil
}

// acquireApplyLock takes the control-plane lease, waiting up to timeout for
// another apply to finish.
func (g *globals) acquireApplyLock(ctx context.Context, st *store.Store, timeout time.Duration) (*store.Lease, error) {
	holder := lockHolder()
	deadline := time.Now().Add(timeout)
	var lease *store.Lease
	err := retry.Poll(ctx, 500*time.Millisecond, func(ctx context.Context) (bool, error) {
		l, err := st.AcquireLease(ctx, applyLock, holder, applyLeaseTTL)
		var held *store.LeaseHeldError
		switch {
		case err == nil:
			lease = l
			return true, nil
		case !errors.As(err, &held):
			return true, err
		case time.Now().After(deadline):
			return true, fmt.Errorf("another apply is in progress: %w", err)
		}
		g.logger.Info("waiting for the apply lock", "holder", held.Holder, "age", held.Age)
		return false, nil
	})
	return lease, err
}

func lockHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// mirrorTemplates writes the plan's template and scenario changes into
// CONFIG and counts them; the caller renders the counts.
func mirrorTemplates(ctx context.Context, st *store.Store, cfg *dsl.Config, plan *engine.Plan) (view.MirrorCounts, error) {
	actor := lockHolder()
	var counts view.MirrorCounts // templates, scenarios × created, updated, removed
	for i, kind := range []struct {
		what   string
		chs    []engine.TemplateChange
		upsert func(context.Context, store.TemplateInput) (store.ConfigRow, store.TemplateChange, error)
		remove func(context.Context, string) error
	}{{"template", plan.Templates, st.UpsertTemplate, st.DeleteTemplate}, {"scenario", plan.Scenarios, st.UpsertScenario, st.DeleteScenario}} {
		for _, ch := range kind.chs {
			switch ch.Action {
			case engine.ActionCreate, engine.ActionUpdate:
				in := store.TemplateInput{Name: ch.Name, Config: ch.Config, Actor: actor}
				if t := cfg.Templates[ch.Name]; t != nil && i == 0 {
					in.Description, in.Tags = engine.TemplateRowFields(t)
				}
				if _, _, err := kind.upsert(ctx, in); err != nil {
					return counts, fmt.Errorf("mirroring %s %q into CONFIG: %w", kind.what, ch.Name, err)
				}
				if ch.Action == engine.ActionCreate {
					counts[i][0]++
				} else {
					counts[i][1]++
				}
			case engine.ActionDelete:
				if err := kind.remove(ctx, ch.Name); err != nil {
					return counts, fmt.Errorf("removing %s %q from CONFIG: %w", kind.what, ch.Name, err)
				}
				counts[i][2]++
			}
		}
	}
	return counts, nil
}
