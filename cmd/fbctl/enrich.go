package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/enrich"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
)

func enrichCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "enrich",
		Usage:     "fill a Snowflake run's server timings from the query history",
		ArgsUsage: "RUN_ID [PATH...]",
		Description: "Reads INFORMATION_SCHEMA.QUERY_HISTORY of the run's Snowflake target (the connection\n" +
			"in the scenario files, default: the current directory) over the run's window, matches\n" +
			"rows by the query id stored with each execution, fills COMPILE_US, QUEUED_US,\n" +
			"EXECUTION_US, TOTAL_ELAPSED_US, BYTES_SCANNED and ROWS_PRODUCED of QUERY_EXECUTIONS and\n" +
			"then reads the per-minute, per-parameterized-query ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY\n" +
			"(the only server-side record of short hybrid-table statements; 45 min to 3 h after\n" +
			"the run), stores it in QUERY_AGGREGATES and reports the coverage of the stored\n" +
			"executions: individually, by aggregate only, not at all. Safe to run again.\n" +
			"With -aggregate, only the aggregate pass, and its rows printed.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "aggregate", Usage: "only the AGGREGATE_QUERY_HISTORY pass, printing its rows"},
			&cli.BoolFlag{Name: "aggregate-now", Usage: "read AGGREGATE_QUERY_HISTORY without waiting for its 45-minute latency (the local server fills it at once; on Snowflake the answer may be partial)"},
			resultsFlag(),
		}, varFlags()...),
		Action: func(c *cli.Context) error {
			a := parseEnrichArgs(c)
			cfg, st, err := g.loadWithStore(c.Context, a.Vars, false, a.Paths, a.Store)
			if err != nil {
				return err
			}
			defer st.Close()
			return g.enrichRun(c.Context, st, cfg, a.RunID, a.Aggregate, a.AggregateNow)
		},
	}
}

// enrichRun enriches one run from the Snowflake connection its templates
// use, stores the aggregates, and prints the report.
func (g *globals) enrichRun(ctx context.Context, st *store.Store, cfg *dsl.Config, runID string, aggregateOnly, now bool) error {
	run, err := st.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	conn, hybrid, err := snowflakeConnectionOf(run, cfg)
	if err != nil {
		return err
	}
	db, err := target.Open(conn)
	if err != nil {
		return err
	}
	defer db.Close()
	if !aggregateOnly {
		rep, err := enrich.Run(ctx, st, &enrich.SnowflakeHistory{DB: db.DB}, run,
			enrich.Options{Logger: g.logger.Named("enrich"), HybridTables: hybrid})
		if err != nil {
			return err
		}
		printEnrichReport(g, rep)
	}
	agg, err := enrich.Aggregate(ctx, db.DB, run, enrich.AggregateOptions{IgnoreDelay: now, Queries: runQueries(run, cfg)})
	if err != nil {
		return err
	}
	if agg.Available {
		if err := st.ReplaceQueryAggregates(ctx, run.ID, agg.StoreRows(run.ID, time.Now())); err != nil {
			return err
		}
	}
	refs, err := st.ListExecutionRefs(ctx, run.ID)
	if err != nil {
		return err
	}
	printAggregateReport(g, agg, enrich.Cover(refs, agg.Rows), aggregateOnly)
	return nil
}

// runQueries maps the query names of the run's templates to their SQL.
func runQueries(run store.Run, cfg *dsl.Config) map[string]string {
	var plan engine.RunPlan
	out := map[string]string{}
	if json.Unmarshal(run.Plan, &plan) != nil {
		return out
	}
	for _, n := range plan.Nodes {
		if n.Phase == nil || cfg.Templates[n.Phase.Template] == nil {
			continue
		}
		for name, q := range cfg.Templates[n.Phase.Template].Queries {
			out[name] = q.SQL
		}
	}
	return out
}

func printAggregateReport(g *globals, rep enrich.AggregateReport, cov enrich.Coverage, rows bool) {
	if !rep.Available {
		fmt.Fprintf(g.stdout, "AGGREGATE_QUERY_HISTORY: %s\n", rep.Explanation)
	} else {
		fmt.Fprintf(g.stdout, "Read %d rows from AGGREGATE_QUERY_HISTORY into QUERY_AGGREGATES: %d calls of the run's queries, %d of other statements tagged with the run.\n",
			len(rep.Rows), cov.AggregateCalls, cov.UnmatchedCalls)
	}
	fmt.Fprintf(g.stdout, "Coverage of the %d stored executions: %d individually (QUERY_HISTORY), %d by aggregate only (AGGREGATE_QUERY_HISTORY), %d not at all.\n",
		cov.Executions, cov.Individually, cov.ByAggregate, cov.NotCovered)
	if len(cov.PerQuery) > 0 {
		fmt.Fprintf(g.stdout, "  %-24s  %8s  %12s  %12s  %11s  %12s\n", "QUERY", "STORED", "INDIVIDUALLY", "BY AGGREGATE", "NOT COVERED", "SERVER CALLS")
		for _, q := range cov.PerQuery {
			fmt.Fprintf(g.stdout, "  %-24s  %8d  %12d  %12d  %11d  %12d\n", q.Query, q.Executions, q.Individually, q.ByAggregate, q.NotCov, q.AggregateCalls)
		}
	}
	if !rows || !rep.Available {
		return
	}
	fmt.Fprintf(g.stdout, "\n%-20s  %-24s  %-20s  %8s  %10s  %10s  %10s  %6s\n", "MINUTE", "QUERY", "QUERY HASH", "CALLS", "AVG ms", "P99 ms", "MAX ms", "ERRORS")
	for _, r := range rep.Rows {
		name := r.QueryName
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(g.stdout, "%-20s  %-24.24s  %-20.20s  %8d  %10.3f  %10.3f  %10.3f  %6d\n", r.IntervalStart.UTC().Format("2006-01-02 15:04"),
			name, r.QueryHash, r.Calls, r.AvgElapsedMS, r.P99ElapsedMS, r.MaxElapsedMS, r.ErrorsInInterval)
	}
}

func printEnrichReport(g *globals, rep enrich.Report) {
	fmt.Fprintf(g.stdout, "Enriched run %s from QUERY_HISTORY (%s to %s): %d of %d executions matched (%.1f%% coverage), %d rows updated.\n",
		rep.RunID, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), rep.Matched, rep.Executions,
		100*rep.Coverage(), rep.Updated)
	for _, n := range rep.Notes {
		fmt.Fprintf(g.stdout, "  Note: %s\n", n)
	}
}

// snowflakeConnectionOf finds the Snowflake connection the run's templates
// use in the scenario files, and whether any of them is on a hybrid table.
func snowflakeConnectionOf(run store.Run, cfg *dsl.Config) (*dsl.Connection, bool, error) {
	var plan engine.RunPlan
	if err := json.Unmarshal(run.Plan, &plan); err != nil {
		return nil, false, fmt.Errorf("run %s: read its plan: %w", run.ID, err)
	}
	names := map[string]bool{}
	for _, n := range plan.Nodes {
		if n.Phase != nil {
			names[n.Phase.Template] = true
		}
	}
	keys := map[string]bool{}
	hybrid := false
	for name := range names {
		t := cfg.Templates[name]
		if t == nil {
			return nil, false, fmt.Errorf("run %s: template %q is not in the scenario files given; pass the files the run used", run.ID, name)
		}
		if c := cfg.Connections[t.Connection]; c != nil && c.Type == dsl.ConnSnowflake {
			keys[t.Connection] = true
			hybrid = hybrid || t.TableType == dsl.TableHybrid
		}
	}
	if len(keys) == 0 {
		return nil, false, fmt.Errorf("run %s: its templates use no Snowflake connection; enrichment reads Snowflake's query history only", run.ID)
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	if len(sorted) > 1 {
		return nil, false, fmt.Errorf("run %s: its templates use several Snowflake connections (%v); enrich supports one", run.ID, sorted)
	}
	return cfg.Connections[sorted[0]], hybrid, nil
}
