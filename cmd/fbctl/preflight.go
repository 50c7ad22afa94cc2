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
// -templates-only), rendering what it finds; any finding is exit code 1,
// with outcome ("the plan", "nothing was applied") saying what that means.
func (g *globals) checkTargets(ctx context.Context, on bool, outcome string, cfg *dsl.Config, plan *engine.Plan) error {
	if !on {
		return nil
	}
	diags := preflight.Targets(ctx, cfg, plan, preflight.TargetOptions{})
	if len(diags) == 0 {
		return nil
	}
	_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	return &exitErr{code: exitError, msg: outcome + ": the preflight found the problems above (fix them, or skip the check with -preflight=false)"}
}
