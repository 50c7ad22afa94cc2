package main

import (
	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"
)

// varFlags are the flags that give variables values from outside the files.
func varFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "var", Usage: "set a variable: `NAME=VALUE` (repeatable)"},
		&cli.StringSliceFlag{Name: "var-file", Usage: "read variable values from an HCL `FILE` (repeatable)"},
	}
}

// varOptions builds dsl.LoadOptions from a command's variable arguments;
// requireSecrets for the commands that log in to targets.
func (g *globals) varOptions(v varArgs, requireSecrets bool) dsl.LoadOptions {
	return dsl.LoadOptions{Vars: v.Vars, VarFiles: v.VarFiles, LookupEnv: g.getenv, RequireSecrets: requireSecrets}
}

// pathsOrCwd returns the command's path arguments, or "." when there are none.
func pathsOrCwd(c *cli.Context) []string {
	if c.NArg() == 0 {
		return []string{"."}
	}
	return c.Args().Slice()
}

// load reads the scenario files at paths with the command's typed variable
// arguments and renders any diagnostics, warnings too; an error in the
// files is exit code 1.
func (g *globals) load(v varArgs, requireSecrets bool, paths []string) (*dsl.Config, error) {
	return g.renderLoad(dsl.Load(paths, g.varOptions(v, requireSecrets)))
}

// renderLoad renders what a load reported; an error is exit code 1.
func (g *globals) renderLoad(cfg *dsl.Config, diags hcl.Diagnostics) (*dsl.Config, error) {
	if len(diags) > 0 {
		_ = view.Diagnostics(g.stderr, cfg.Files, diags, g.color)
	}
	if diags.HasErrors() {
		return nil, silentExit(exitError)
	}
	return cfg, nil
}
