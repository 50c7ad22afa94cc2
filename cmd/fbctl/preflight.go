package main

import (
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

// checkTargets runs the target preflight for a command that has the
// -preflight flag (and is not apply -templates-only), rendering what it
// finds; any finding is exit code 1 with nothing written.
func (g *globals) checkTargets(c *cli.Context, cfg *dsl.Config, plan *engine.Plan) error {
	if !c.Bool("preflight") || c.Bool("templates-only") {
		return nil
	}
	diags := preflight.Targets(c.Context, cfg, plan, preflight.TargetOptions{})
	if len(diags) == 0 {
		return nil
	}
	_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	what := "the plan"
	if c.Command != nil && c.Command.Name == "apply" {
		what = "nothing was applied"
	}
	return &exitErr{code: exitError, msg: what + ": the preflight found the problems above (fix them, or skip the check with -preflight=false)"}
}
