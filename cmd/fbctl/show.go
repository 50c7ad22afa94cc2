package main

import (
	"fmt"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/planfile"
	"github.com/urfave/cli/v2"
)

func showCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "render a saved plan, or a run's results",
		ArgsUsage: "PLANFILE | RUN_ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the plan file or the run as JSON"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			a, err := parseShowArgs(c)
			if err != nil {
				return err
			}
			if isRunID(a.Target) {
				return g.showRun(c.Context, a)
			}
			f, err := planfile.Read(a.Target)
			if err != nil {
				return err
			}
			if a.JSON {
				return view.JSON(g.stdout, f)
			}
			fmt.Fprintf(g.stdout, "Saved plan made by fbctl %s at %s from %s.\n\n",
				f.ToolVersion, f.CreatedAt.Format("2006-01-02 15:04:05 UTC"), view.Plural(len(f.Sources), "file", "files"))
			return view.Plan(g.stdout, f.Plan, g.color)
		},
	}
}
