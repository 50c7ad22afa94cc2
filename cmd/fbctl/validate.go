package main

import (
	"fmt"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/urfave/cli/v2"
)

func validateCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check scenario files for mistakes without touching any database",
		ArgsUsage: "[PATH...]",
		Description: "Reads every *.fb.hcl file named (files or directories; default: the current\n" +
			"directory), evaluates variables and reports every problem at once with its file,\n" +
			"line and column. Exits 1 when there is an error.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print diagnostics as JSON (terraform validate -json shape)"},
		}, varFlags()...),
		Action: func(c *cli.Context) error {
			a := parseValidateArgs(c)
			cfg, diags := dsl.Load(a.Paths, g.varOptions(a.Vars, false))
			if a.JSON {
				doc := view.NewJSONValidation(cfg.Files, diags)
				if err := view.JSON(g.stdout, doc); err != nil {
					return err
				}
				if !doc.Valid {
					return silentExit(exitError)
				}
				return nil
			}
			if err := view.Diagnostics(g.stderr, cfg.Files, diags, g.color); err != nil {
				return err
			}
			if diags.HasErrors() {
				return silentExit(exitError)
			}
			fmt.Fprintf(g.stdout, "Success! %s valid.\n", view.Plural(len(cfg.Files), "scenario file is", "scenario files are"))
			return nil
		},
	}
}
