package main

import (
	"context"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/preflight"
	"github.com/urfave/cli/v2"
)

// preflightFlag turns the read-only target checks of plan and apply
// (engine/preflight.Targets) on or off.
func preflightFlag() cli.Flag {
	return &cli.BoolFlag{Name: "preflight", Value: true,
		Usage: "before anything is written, check read-only that the targets are reachable, the tables and columns of pools, sequences and queries exist, statements prepare and SQLite paths are writable (-preflight=false skips it)"}
}

// checkTargets runs the target preflight when on (plan, and apply unless
// -templates-only), rendering what it finds; an error among them is exit
// code 1, with outcome (outcomePlan, outcomeApply) saying what that means.
func (g *globals) checkTargets(ctx context.Context, on bool, outcome string, cfg *dsl.Config, plan *engine.Plan) error {
	if !on {
		return nil
	}
	// At plan time an unreachable target or a missing SQLite directory is
	// a warning: plan often runs where the targets are not.
	diags := preflight.Targets(ctx, cfg, plan, preflight.TargetOptions{AtPlan: outcome == outcomePlan})
	if len(diags) > 0 {
		_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	}
	if !diags.HasErrors() {
		return nil
	}
	return &exitErr{code: exitError, msg: outcome + ": the preflight found the problems above (fix them, or skip the check with -preflight=false)"}
}

// Outcomes of checkTargets: what a finding means for the command.
const (
	outcomePlan  = "the plan"
	outcomeApply = "nothing was applied"
)
