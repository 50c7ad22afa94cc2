package main

import (
	"context"
	"fmt"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/planfile"
	"github.com/flakebench/fbctl/engine/preflight"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/urfave/cli/v2"
)

func planCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what apply would change in CONFIG and what each run would do",
		ArgsUsage: "[PATH...]",
		Description: "Evaluates the scenario files, diffs each template's canonical CONFIG against\n" +
			"TEST_TEMPLATES in the results store, and prints each selected scenario's run DAG with\n" +
			"every worker's assignment. Reads the store, never writes it.",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "scenario", Usage: "plan only scenario `NAME` (repeatable; default: all)"},
			&cli.StringFlag{Name: "out", Usage: "save the plan to `FILE` for `fbctl apply FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan as JSON (see docs/plan-format.md)"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 0 with no changes, 1 on error, 2 with changes"},
			&cli.BoolFlag{Name: "prune", Usage: "remove stored templates the files do not declare"},
			resultsFlag(),
			preflightFlag(),
		}, append(planDeployFlags(), varFlags()...)...),
		Action: func(c *cli.Context) error {
			a, err := parsePlanArgs(c)
			if err != nil {
				return err
			}
			pr, err := g.makePlan(c.Context, a)
			if err != nil {
				return err
			}
			defer pr.store.Close()
			if err := g.checkTargets(c.Context, a.Preflight, outcomePlan, pr.cfg, pr.plan); err != nil {
				return err
			}
			if out := a.Out; out != "" {
				sources, err := planfile.SourcesRelativeTo(out, pr.cfg.Sources)
				if err != nil {
					return err
				}
				f := planfile.New(pr.plan, sources, pr.state, version, timeNow())
				if err := planfile.Write(out, f); err != nil {
					return err
				}
			}
			if a.JSON {
				if err := view.JSON(g.stdout, pr.plan); err != nil {
					return err
				}
			} else {
				if err := view.Plan(g.stdout, pr.plan, g.color); err != nil {
					return err
				}
				if out := a.Out; out != "" {
					fmt.Fprintf(g.stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n  fbctl apply %s\n", out, out)
				}
			}
			if err := g.printPlanDeployments(a, pr.cfg, pr.plan); err != nil {
				return err
			}
			if a.DetailedExitcode && pr.plan.HasChanges() {
				return silentExit(exitChanges)
			}
			return nil
		},
	}
}

// planResult is a computed plan with what it was computed from.
type planResult struct {
	cfg   *dsl.Config
	plan  *engine.Plan
	state engine.State
	store *store.Store
}

// makePlan loads the files, opens the results store, reads CONFIG and builds
// the plan. Problems in the files are rendered as diagnostics. On success
// the caller owns pr.store.
func (g *globals) makePlan(ctx context.Context, a planArgs) (*planResult, error) {
	cfg, err := g.load(a.Vars, false, a.Paths)
	if err != nil {
		return nil, err
	}
	st, err := g.openStoreFor(ctx, a.Store, a.Vars, cfg, true)
	if err != nil {
		return nil, err
	}
	pr, err := g.planAgainst(ctx, a, cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return pr, nil
}

// planAgainst builds the plan for an already loaded configuration against
// the store's current CONFIG.
func (g *globals) planAgainst(ctx context.Context, a planArgs, cfg *dsl.Config, st *store.Store) (*planResult, error) {
	state, err := configState(ctx, st)
	if err != nil {
		return nil, err
	}
	plan, err := g.buildPlan(a.Store, cfg, state, engine.PlanOptions{
		Scenarios: a.Scenarios,
		Prune:     a.Prune,
	})
	if err != nil {
		return nil, err
	}
	return &planResult{cfg: cfg, plan: plan, state: state, store: st}, nil
}

// buildPlan builds the plan with the preflight warnings, rendering any
// diagnostics; errors among them are exit code 1.
func (g *globals) buildPlan(s storeArgs, cfg *dsl.Config, state engine.State, opts engine.PlanOptions) (*engine.Plan, error) {
	opts.ToolVersion = version
	opts.StoredScenarios = state.Scenarios
	plan, diags := engine.BuildPlan(cfg, state.Templates, opts)
	if len(diags) > 0 {
		_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	}
	if diags.HasErrors() {
		return nil, silentExit(exitError)
	}
	addPreflight(s, cfg, plan)
	return plan, nil
}

// configState reads TEST_TEMPLATES and TEST_SCENARIOS as the planner's
// state.
func configState(ctx context.Context, st *store.Store) (engine.State, error) {
	state := engine.State{Templates: map[string]engine.StoredTemplate{}, Scenarios: map[string]engine.StoredTemplate{}}
	for _, t := range []struct {
		into map[string]engine.StoredTemplate
		list func(context.Context) ([]store.ConfigRow, error)
	}{{state.Templates, st.ListTemplates}, {state.Scenarios, st.ListScenarios}} {
		rows, err := t.list(ctx)
		if err != nil {
			return state, fmt.Errorf("cannot read CONFIG from %s: %w", st, err)
		}
		for _, r := range rows {
			t.into[r.Name] = engine.StoredTemplate{Name: r.Name, Config: r.Config, Hash: r.ConfigHash, Version: r.Version}
		}
	}
	return state, nil
}

// addPreflight adds the preflight warnings (engine/preflight) to the plan.
func addPreflight(s storeArgs, cfg *dsl.Config, plan *engine.Plan) {
	resultsDSN := ""
	if s.Set {
		resultsDSN = s.DSN
	}
	for _, w := range preflight.Check(cfg, plan, preflight.Options{ResultsDSN: resultsDSN}) {
		plan.Warnings = append(plan.Warnings, engine.Warning{Code: w.Code, Scenario: w.Scenario, Node: w.Node,
			Template: w.Template, Summary: w.Summary, Detail: w.Detail})
	}
}
