package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/engine/compare"
	"github.com/flakebench/fbctl/engine/export"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

func exportCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export a run's results, interval series, query executions or latency distribution",
		ArgsUsage: "RUN_ID",
		Description: "-what results: per phase and query, exact (csv, json, ndjson)\n" +
			"-what intervals: the exact per-interval series, per phase and query (csv, json, ndjson)\n" +
			"-what executions: the stored QUERY_EXECUTIONS rows with their sample weights, streamed (csv, json, ndjson)\n" +
			"-what hdr: the latency distribution in HdrHistogram's percentile-distribution format (-phase, -query)\n" +
			"-what benchfmt: the interval series in Go benchmark format, for benchstat",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "what", Value: "results", Usage: "`WHAT` to export: results, intervals, executions, hdr, benchfmt"},
			&cli.StringFlag{Name: "format", Value: "csv", Usage: "`FORMAT` of results, intervals and executions: csv, json, ndjson"},
			&cli.StringFlag{Name: "phase", Usage: "hdr: only phase `NAME` (default: every measurement phase)"},
			&cli.StringFlag{Name: "query", Usage: "hdr: only query `NAME` (default: every query)"},
			&cli.StringFlag{Name: "o", Usage: "write to `FILE` (default: stdout)"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error { return g.runExport(c) },
	}
}

func (g *globals) runExport(c *cli.Context) error {
	if c.NArg() != 1 {
		return &exitErr{code: exitError, msg: "export needs exactly one argument: a run ID from `fbctl runs`"}
	}
	what, format := c.String("what"), c.String("format")
	switch what {
	case "results", "intervals", "executions":
		if _, err := export.NewWriter(io.Discard, format); err != nil {
			return &exitErr{code: exitError, msg: err.Error()}
		}
	case "hdr", "benchfmt":
	default:
		return &exitErr{code: exitError, msg: fmt.Sprintf("-what %q is not one of results, intervals, executions, hdr, benchfmt", what)}
	}
	ctx := c.Context
	st, err := g.openStore(ctx, c, nil, true)
	if err != nil {
		return err
	}
	defer st.Close()
	runID := c.Args().First()
	run, err := st.GetRun(ctx, runID)
	if err != nil {
		return notFoundHint(err, runID, st)
	}
	out := io.Writer(g.stdout)
	if path := c.String("o"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<16)
		defer bw.Flush()
		out = bw
	}
	switch what {
	case "executions":
		w, _ := export.NewWriter(out, format)
		if err := st.EachQueryExecution(ctx, runID, func(e *store.QueryExecution) error {
			return w.Write(export.Execution(e, run.SampleRate))
		}); err != nil {
			return err
		}
		return w.Close()
	case "hdr":
		parent, err := st.GetTestResult(ctx, runID)
		if err != nil {
			return fmt.Errorf("run %s has no merged results yet: %w", runID, err)
		}
		var hs []results.EncodedHistogram
		if err := json.Unmarshal(parent.Histograms, &hs); err != nil {
			return fmt.Errorf("run %s: histograms are unreadable: %w", runID, err)
		}
		return export.PercentileDistribution(out, hs, c.String("phase"), c.String("query"))
	}
	r, err := compare.Load(ctx, st, runID)
	if err != nil {
		return err
	}
	r.Series = measuredOnly(r.Series, r.Phases)
	if what == "benchfmt" {
		return export.Benchfmt(out, run.ScenarioName, runID, r.Series)
	}
	w, _ := export.NewWriter(out, format)
	if what == "results" {
		for _, row := range export.Results(runID, r.Phases) {
			if err := w.Write(row); err != nil {
				return err
			}
		}
	} else {
		for _, row := range export.Intervals(runID, r.Series) {
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return w.Close()
}

// measuredOnly keeps the intervals of the measurement phases (warmup is
// excluded from results, and from exports of them).
func measuredOnly(series []*results.Interval, phases []results.PhaseSummary) []*results.Interval {
	keep := map[string]bool{}
	for _, p := range phases {
		keep[p.Name] = true
	}
	var out []*results.Interval
	for _, iv := range series {
		if keep[iv.Phase] {
			out = append(out, iv)
		}
	}
	return out
}
