package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/store"
)

func compareCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare a run against a baseline run: verdicts per phase, query and metric, and the scenario's regression rules",
		ArgsUsage: "[CANDIDATE_RUN_ID]",
		Description: "The baseline is -baseline RUN_ID, latest (the newest other COMPLETED run of the same\n" +
			"scenario, the default), or tag=KEY=VALUE (the newest other run of the same scenario\n" +
			"tagged so by `fbctl apply -tag KEY=VALUE`). Exit codes: 0 no rule violated, 4 a\n" +
			"regression rule violated, 5 runs not comparable, 6 a rule could not be decided.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "baseline", Value: "latest", Usage: "baseline `RUN`: a run ID, latest, or tag=KEY=VALUE"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, markdown, json, junit, github"},
			&cli.BoolFlag{Name: "force", Usage: "compare runs a gate refuses (their differences become warnings)"},
			&cli.BoolFlag{Name: "fail-on-worse", Usage: "exit 4 when any verdict is worse, not only on a violated regression rule"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error { return g.runCompare(c) },
	}
}

func (g *globals) runCompare(c *cli.Context) error {
	format := c.String("format")
	render, ok := view.CompareFormats[format]
	if !ok {
		return &exitErr{code: exitError, msg: fmt.Sprintf("-format %q is not one of table, markdown, json, junit, github", format)}
	}
	if c.NArg() > 1 {
		return &exitErr{code: exitError, msg: "compare takes at most one argument, the candidate run ID; the baseline is -baseline"}
	}
	ctx := c.Context
	st, err := g.openStore(ctx, c, nil, true)
	if err != nil {
		return err
	}
	defer st.Close()
	candID := c.Args().First()
	if candID == "" {
		runs, err := st.ListRuns(ctx, store.ListRunsOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return &exitErr{code: exitError, msg: fmt.Sprintf("there are no runs in %s to compare; `fbctl apply` makes one", st)}
		}
		candID = runs[0].ID
	}
	cand, err := compare.Load(ctx, st, candID)
	if err != nil {
		return notFoundHint(err, candID, st)
	}
	baseID, err := resolveBaseline(ctx, st, cand.Run, c.String("baseline"))
	if err != nil {
		return err
	}
	base, err := compare.Load(ctx, st, baseID)
	if err != nil {
		return notFoundHint(err, baseID, st)
	}
	cmp := compare.Compare(base, cand, compare.Options{Force: c.Bool("force")})
	if err := render(g.stdout, cmp); err != nil {
		return err
	}
	switch {
	case !cmp.Comparable:
		return silentExit(exitNotComparable)
	case cmp.Summary.Violated > 0 || (c.Bool("fail-on-worse") && cmp.Summary.Worse > 0):
		return silentExit(exitRegression)
	case cmp.Summary.RulesUnknown > 0:
		return silentExit(exitInconclusive)
	}
	return nil
}

func notFoundHint(err error, id string, st *store.Store) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("run %q is not in %s; `fbctl runs` lists the runs", id, st)
	}
	return err
}

// resolveBaseline turns -baseline into a run ID: the newest other run of
// the candidate's scenario (COMPLETED for latest), or one with a tag.
func resolveBaseline(ctx context.Context, st *store.Store, cand store.Run, spec string) (string, error) {
	switch {
	case spec == "latest":
		runs, err := st.ListRuns(ctx, store.ListRunsOptions{Scenario: cand.ScenarioName, Status: []store.RunStatus{store.RunCompleted}, Limit: 100})
		if err != nil {
			return "", err
		}
		for _, r := range runs {
			if r.ID != cand.ID && !r.CreatedAt.After(cand.CreatedAt) {
				return r.ID, nil
			}
		}
		return "", &exitErr{code: exitError, msg: fmt.Sprintf("no COMPLETED run of scenario %q older than %s to compare with; give -baseline RUN_ID", cand.ScenarioName, cand.ID)}
	case strings.HasPrefix(spec, "tag="):
		k, v, ok := strings.Cut(strings.TrimPrefix(spec, "tag="), "=")
		if !ok || k == "" {
			return "", &exitErr{code: exitError, msg: fmt.Sprintf("-baseline %q: write tag=KEY=VALUE, e.g. tag=branch=main", spec)}
		}
		ids, err := st.RunsWithTag(ctx, cand.ScenarioName, k, v, 100)
		if err != nil {
			return "", err
		}
		for _, id := range ids {
			if id != cand.ID {
				return id, nil
			}
		}
		return "", &exitErr{code: exitError, msg: fmt.Sprintf("no other run of scenario %q is tagged %s=%s; tag one with `fbctl apply -tag %s=%s`", cand.ScenarioName, k, v, k, v)}
	}
	return spec, nil
}
