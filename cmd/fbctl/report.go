package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/cmd/fbctl/view/web"
	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

func reportCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write a run's self-contained HTML report (charts, tables, thresholds, and a comparison with -baseline)",
		ArgsUsage: "RUN_ID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "baseline", Aliases: []string{"compare"}, Usage: "compare with baseline `RUN`: a run ID, latest, or tag=KEY=VALUE (as `fbctl compare`)"},
			&cli.BoolFlag{Name: "force", Usage: "with -baseline: compare runs a gate refuses"},
			&cli.StringFlag{Name: "o", Value: "report.html", Usage: "write the report to `FILE`"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &exitErr{code: exitError, msg: "report needs exactly one argument: a run ID from `fbctl runs`"}
			}
			st, err := g.openStore(c.Context, c, nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := pageData(c.Context, st, c.Args().First(), c.String("baseline"), c.Bool("force"))
			if err != nil {
				return err
			}
			f, err := os.Create(c.String("o"))
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(f)
			if err := web.Report(bw, d); err != nil {
				f.Close()
				return err
			}
			if err := bw.Flush(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			info, _ := os.Stat(c.String("o"))
			fmt.Fprintf(g.stdout, "Wrote %s (%d KiB): run %s of scenario %q, %d phases%s. It opens without a network.\n",
				c.String("o"), info.Size()/1024, d.RunID, d.Scenario, len(d.Phases), comparedWith(d))
			return nil
		},
	}
}

func comparedWith(d web.Data) string {
	if d.Comparison == nil {
		return ""
	}
	return ", compared with run " + d.Comparison.Baseline.RunID
}

// pageData loads what the report and the run page show: the run, its
// thresholds (evaluated again from the stored row), and, with a
// baseline, the comparison and the baseline's distributions.
func pageData(ctx context.Context, st *store.Store, runID, baseline string, force bool) (web.Data, error) {
	rep, err := loadRunReport(ctx, st, runID)
	if err != nil {
		return web.Data{}, err
	}
	r, err := compare.Load(ctx, st, runID)
	if err != nil {
		return web.Data{}, err
	}
	hists, err := encoded(rep.Parent)
	if err != nil {
		return web.Data{}, fmt.Errorf("run %s: %w", runID, err)
	}
	var cmp *compare.Comparison
	var baseHists []results.EncodedHistogram
	if baseline != "" {
		baseID, err := resolveBaseline(ctx, st, r.Run, baseline)
		if err != nil {
			return web.Data{}, err
		}
		base, err := compare.Load(ctx, st, baseID)
		if err != nil {
			return web.Data{}, notFoundHint(err, baseID, st)
		}
		cmp = compare.Compare(base, r, compare.Options{Force: force})
		bp, err := st.GetTestResult(ctx, baseID)
		if err != nil {
			return web.Data{}, err
		}
		if baseHists, err = encoded(bp); err != nil {
			return web.Data{}, fmt.Errorf("run %s: %w", baseID, err)
		}
	}
	return web.Build(r, hists, baseHists, rep.Thresholds, cmp), nil
}

func encoded(r store.TestResult) ([]results.EncodedHistogram, error) {
	var hs []results.EncodedHistogram
	if len(r.Histograms) == 0 {
		return hs, nil
	}
	if err := json.Unmarshal(r.Histograms, &hs); err != nil {
		return nil, fmt.Errorf("histograms are unreadable: %w", err)
	}
	return hs, nil
}
