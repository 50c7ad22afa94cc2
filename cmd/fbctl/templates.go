package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/urfave/cli/v2"
)

func templatesCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "templates",
		Usage: "list the templates CONFIG holds",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the templates, with their CONFIG payloads, as JSON"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			a := parseTemplatesArgs(c)
			st, err := g.openStoreFor(c.Context, a.Store, varArgs{}, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.ListTemplates(c.Context)
			if err != nil {
				return err
			}
			if a.JSON {
				return view.JSON(g.stdout, view.NewJSONTemplates(rows))
			}
			if len(rows) == 0 {
				fmt.Fprintf(g.stdout, "CONFIG in %s holds no templates. `fbctl apply -templates-only` mirrors them from your files.\n", st)
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tHASH\tUPDATED (UTC)\tBY\tUSED")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\n", r.Name, r.Version, shortHash(r.ConfigHash),
					r.UpdatedAt.UTC().Format("2006-01-02 15:04:05"), r.UpdatedBy, r.UsageCount)
			}
			return tw.Flush()
		},
	}
}

func shortHash(h string) string {
	if len(h) > 19 {
		return h[:19]
	}
	return h
}
