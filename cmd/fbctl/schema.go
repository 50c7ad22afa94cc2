package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/urfave/cli/v2"
)

// schemaFlags are the flags of schema apply and schema status: the store and
// the variables of the files whose results block may choose it.
func schemaFlags() []cli.Flag {
	return append([]cli.Flag{resultsFlag()}, varFlags()...)
}

// schemaConfig loads the scenario files given to schema apply or schema
// status; with none, openStore reads the current directory's.
func (g *globals) schemaConfig(a schemaArgs) (*dsl.Config, error) {
	if len(a.Paths) == 0 {
		return nil, nil
	}
	return g.load(a.Vars, false, a.Paths)
}

// schemaStore opens the store schema apply and status work on, its schema
// not checked (that is their job). The caller closes it.
func (g *globals) schemaStore(ctx context.Context, a schemaArgs) (*store.Store, error) {
	cfg, err := g.schemaConfig(a)
	if err != nil {
		return nil, err
	}
	return g.openStoreFor(ctx, a.Store, a.Vars, cfg, false)
}

func schemaCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "create or upgrade the results store's tables",
		Subcommands: []*cli.Command{
			{
				Name:      "apply",
				Usage:     "apply the rerunnable DDL in sql/schema/<dialect> (safe to run again)",
				ArgsUsage: "[PATH...]",
				Description: "The store is the -results flag, else the results block of the scenario files in\n" +
					"PATH... (or in the current directory), else the embedded default.\n\n" +
					"Example:\n  fbctl schema apply scenarios/postgres_oltp.fb.hcl",
				Flags: schemaFlags(),
				Action: func(c *cli.Context) error {
					st, err := g.schemaStore(c.Context, parseSchemaArgs(c))
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
				Name:      "status",
				Usage:     "report the schema version of the results store and what is pending",
				ArgsUsage: "[PATH...]",
				Description: "The store is chosen as for schema apply.\n\n" +
					"Example:\n  fbctl schema status -results postgres://bench@localhost:5432/bench",
				Flags: schemaFlags(),
				Action: func(c *cli.Context) error {
					a := parseSchemaArgs(c)
					st, err := g.schemaStore(c.Context, a)
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
					if !a.Store.Set {
						fmt.Fprintf(g.stdout, "Run `%s` to apply.\n", strings.Join(append([]string{"fbctl schema apply"}, a.Paths...), " "))
					} else {
						fmt.Fprintf(g.stdout, "Run `fbctl schema apply -results %s` to apply.\n", st)
					}
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
			a := forceUnlockArgs{LockID: c.Args().First(), Store: parseStoreArgs(c)}
			st, err := g.openStoreFor(c.Context, a.Store, varArgs{}, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.ForceUnlock(c.Context, a.LockID); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Lock %s released.\n", a.LockID)
			return nil
		},
	}
}
