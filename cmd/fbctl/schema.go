package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func schemaCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "create or upgrade the results store's tables",
		Subcommands: []*cli.Command{
			{
				Name:  "apply",
				Usage: "apply the rerunnable DDL in sql/schema/<dialect> (safe to run again)",
				Flags: []cli.Flag{resultsFlag()},
				Action: func(c *cli.Context) error {
					st, err := g.openStore(c.Context, c, nil, false)
					if err != nil {
						return err
					}
					defer st.Close()
					applied, err := st.ApplySchema(c.Context)
					if err != nil {
						return err
					}
					if len(applied) == 0 {
						fmt.Fprintf(g.stdout, "Schema of %s is up to date; nothing applied.\n", st)
						return nil
					}
					fmt.Fprintf(g.stdout, "Applied schema versions %v to %s.\n", applied, st)
					return nil
				},
			},
			{
				Name:  "status",
				Usage: "report the schema version of the results store and what is pending",
				Flags: []cli.Flag{resultsFlag()},
				Action: func(c *cli.Context) error {
					st, err := g.openStore(c.Context, c, nil, false)
					if err != nil {
						return err
					}
					defer st.Close()
					current, latest, pending, err := st.SchemaStatus(c.Context)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.stdout, "Results store: %s\nSchema version: %d (this fbctl: %d)\n", st, current, latest)
					if len(pending) == 0 {
						fmt.Fprintln(g.stdout, "Up to date.")
						return nil
					}
					fmt.Fprintln(g.stdout, "Pending:")
					for _, m := range pending {
						fmt.Fprintf(g.stdout, "  %03d %s\n", m.Version, m.Name)
					}
					fmt.Fprintf(g.stdout, "Run `fbctl schema apply -results %s` to apply.\n", st)
					return nil
				},
			},
		},
	}
}

func forceUnlockCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "force-unlock",
		Usage:     "release a control-plane lock whose holder is gone",
		ArgsUsage: "LOCK_ID",
		Description: "Only use this when the apply that holds the lock has died: the lock ID is in the\n" +
			"error message of the apply that was refused.",
		Flags: []cli.Flag{resultsFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &exitErr{code: exitError, msg: "force-unlock needs exactly one argument: the lock ID"}
			}
			st, err := g.openStore(c.Context, c, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.ForceUnlock(c.Context, c.Args().First()); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Lock %s released.\n", c.Args().First())
			return nil
		},
	}
}
