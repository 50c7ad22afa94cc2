package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/urfave/cli/v2"
)

func runsCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:        "runs",
		Usage:       "list runs, newest first; runs delete / runs prune reclaim space",
		Subcommands: runsSubcommands(g),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the runs as JSON"},
			&cli.StringFlag{Name: "scenario", Usage: "only runs of scenario `NAME`"},
			&cli.IntFlag{Name: "limit", Value: 20, Usage: "at most `N` runs"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			a, err := parseRunsArgs(c)
			if err != nil {
				return err
			}
			st, err := g.openStoreFor(c.Context, a.Store, varArgs{}, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.ListRuns(c.Context, store.ListRunsOptions{Scenario: a.Scenario, Limit: a.Limit})
			if err != nil {
				return err
			}
			rows := make([]view.JSONRunItem, 0, len(runs))
			for _, r := range runs {
				row := view.NewJSONRunItem(r)
				if parent, err := st.GetTestResult(c.Context, r.ID); err == nil {
					row = row.WithResults(parent)
				}
				if !r.Status.Terminal() {
					if l, err := st.RunLeaseState(c.Context, r.ID); err == nil && l.Exists && l.Expired() {
						row.Stale = fmt.Sprintf("orchestrator lost %s ago", l.ExpiredFor().Round(time.Second))
					}
				}
				rows = append(rows, row)
			}
			if a.JSON {
				return view.JSON(g.stdout, view.NewJSONRuns(rows))
			}
			if len(rows) == 0 {
				fmt.Fprintf(g.stdout, "No runs in %s yet. `fbctl apply` runs the scenarios of your files.\n", st)
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN ID\tSCENARIO\tSTATUS\tCREATED (UTC)\tOPS\tOPS/S\tP99\tERRORS")
			stale := 0
			for _, r := range rows {
				status := r.Status
				if r.Stale != "" {
					status += " (STALE: " + r.Stale + ")"
					stale++
				}
				created := r.CreatedAt
				if t, err := time.Parse(time.RFC3339Nano, created); err == nil {
					created = t.Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f\t%s\t%.2f%%\n", r.RunID, r.Scenario, status, created,
					r.Operations, r.QPS, view.Micros(r.P99US), r.ErrorRate*100)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if stale > 0 {
				fmt.Fprintf(g.stdout, "\nA STALE run lost its orchestrator: its workers end it after their grace, `fbctl standby -run RUN_ID` takes it over, `fbctl cancel RUN_ID` ends it now.\n")
			}
			return nil
		},
	}
}

// showRun prints one run's results: `fbctl show RUN_ID`.
func (g *globals) showRun(ctx context.Context, a showArgs) error {
	st, err := g.openStoreFor(ctx, a.Store, varArgs{}, nil, true)
	if err != nil {
		return err
	}
	defer st.Close()
	report, err := loadRunReport(ctx, st, a.Target)
	if err != nil {
		return err
	}
	if a.JSON {
		return view.JSON(g.stdout, view.NewJSONRun(report))
	}
	return view.Results(g.stdout, report)
}

// loadRunReport reads a run and its results back from the store.
func loadRunReport(ctx context.Context, st *store.Store, runID string) (view.RunReport, error) {
	r, err := st.GetRun(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		if _, statErr := os.Stat(runID); statErr != nil {
			return view.RunReport{}, fmt.Errorf("%q is neither a plan file nor a run in %s; `fbctl runs` lists the runs", runID, st)
		}
	}
	if err != nil {
		return view.RunReport{}, err
	}
	report := view.RunReport{Run: r}
	rows, err := st.ListResults(ctx, runID)
	if err != nil {
		return report, err
	}
	for _, res := range rows {
		if res.IsParent() {
			report.Parent = res
		} else {
			report.Children = append(report.Children, res)
		}
	}
	if len(report.Parent.PhaseResults) > 0 {
		if err := json.Unmarshal(report.Parent.PhaseResults, &report.Phases); err != nil {
			return report, fmt.Errorf("run %s: phase results are unreadable: %w", runID, err)
		}
		report.FindMax = run.FindMaxOutcomes(report.Phases)
	}
	// Thresholds are evaluated again from the stored parent row and the
	// plan the run executed, so what show prints is what the data says.
	var rp engine.RunPlan
	if report.Parent.TestID != "" && len(r.Plan) > 0 && json.Unmarshal(r.Plan, &rp) == nil && len(rp.Thresholds) > 0 {
		ts, err := results.EvaluateStored(rp.Thresholds, report.Parent)
		if err != nil {
			return report, fmt.Errorf("run %s: thresholds cannot be evaluated from the stored results: %w", runID, err)
		}
		report.Thresholds = ts
	}
	report.Server = loadServerReport(ctx, st, runID)
	return report, nil
}

// isRunID tells `fbctl show` a run id from a plan file: an existing file is
// a plan.
func isRunID(arg string) bool {
	info, err := os.Stat(arg)
	return err != nil || !info.Mode().IsRegular()
}
