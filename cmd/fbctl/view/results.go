package view

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/pgstats"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
)

// RunReport is what the end-of-run summary and `fbctl show RUN_ID` print.
type RunReport struct {
	Run        store.Run
	Parent     store.TestResult
	Children   []store.TestResult
	Phases     []results.PhaseSummary
	Thresholds []results.ThresholdResult
	FindMax    []run.FindMaxOutcome
	// Server is what the servers said (fingerprints, aggregates, samples,
	// lock waits); nil: nothing stored.
	Server *ServerReport `json:",omitempty"`
}

// Results writes a run's results for people: the run line, a table per
// phase with a row per query, the workers, and the thresholds.
func Results(w io.Writer, r RunReport) error {
	var b strings.Builder
	p := r.Parent
	fmt.Fprintf(&b, "Run %s: scenario %q, %s", r.Run.ID, r.Run.ScenarioName, r.Run.Status)
	if r.Run.FailureReason != "" {
		fmt.Fprintf(&b, " — %s", r.Run.FailureReason)
	}
	b.WriteString("\n")
	if r.Run.StartTime != nil && r.Run.EndTime != nil {
		fmt.Fprintf(&b, "  %s → %s UTC (%s)\n", r.Run.StartTime.UTC().Format("2006-01-02 15:04:05"),
			r.Run.EndTime.UTC().Format("15:04:05"), r.Run.EndTime.Sub(*r.Run.StartTime).Round(100_000_000))
	}
	if p.TestID != "" {
		fmt.Fprintf(&b, "  measured: %d operations (%d ok, %d errors, %d dropped), %.1f ops/s, error rate %s\n",
			p.Total, p.OK, p.Errors, p.Dropped, p.QPS, percent(p.ErrorRate))
		fmt.Fprintf(&b, "  latency: p50 %s  p90 %s  p95 %s  p99 %s  p99.9 %s  max %s  mean %s\n",
			Micros(p.P50US), Micros(p.P90US), Micros(p.P95US), Micros(p.P99US), Micros(p.P999US), Micros(p.MaxUS), Micros(p.MeanUS))
		if p.RowsStored > 0 {
			fmt.Fprintf(&b, "  query executions: %d rows stored in QUERY_EXECUTIONS of %d operations issued (warmup and errors always stored)\n",
				p.RowsStored, p.OpsIssued)
		}
		if rate := p.SampleRate; rate > 0 && rate < 1 {
			fmt.Fprintf(&b, "  SAMPLED: %s of measurement operations stored in QUERY_EXECUTIONS (%d rows of %d issued); counts from stored rows must be scaled by %.4g. Percentiles and counts above come from the full histograms.\n",
				percent(rate), p.RowsStored, p.OpsIssued, 1/rate)
		}
	}
	for _, ph := range r.Phases {
		fmt.Fprintf(&b, "\nPhase %s (%s, %s, %s): %.1f ops/s over %.1fs\n", ph.Name, ph.Model,
			Plural(ph.Workers, "worker", "workers"), Plural(int(ph.Counts.Total), "op", "ops"), ph.QPS, ph.Seconds)
		writeWindow(&b, ph)
		writeOutages(&b, ph)
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  QUERY\tOPS\tERRORS\tOPS/S\tP50\tP95\tP99\tP99.9\tMAX\t")
		for _, q := range ph.Queries {
			writeQueryRow(tw, q.Query, q.Ops, q.Errors, q.QPS, q.Latency)
		}
		writeQueryRow(tw, "(all)", ph.Counts.Total, ph.Counts.Errors, ph.QPS, ph.Latency)
		tw.Flush()
		if ph.Counts.Dropped > 0 {
			fmt.Fprintf(&b, "  dropped arrivals (no free connection): %d\n", ph.Counts.Dropped)
		}
		if ph.Counts.Retries > 0 {
			fmt.Fprintf(&b, "  transaction retries after a conflict (serialization failure or deadlock): %d\n", ph.Counts.Retries)
		}
		writeQPSControl(&b, ph.QPSControl)
		writeServerStats(&b, ph.ServerStats)
		if wh := ph.Warehouse; wh != nil {
			fmt.Fprintf(&b, "  warehouse %s (%s): at most %d running, %d queued, %d of %d clusters started (%d polls)\n",
				wh.Name, wh.Size, wh.MaxRunning, wh.MaxQueued, wh.MaxStartedClusters, wh.MaxClusters, wh.Samples)
			if wh.MaxQueued > 0 {
				b.WriteString("  statements queued for the warehouse: latency includes waiting for compute, not only the workload\n")
			}
		}
		for _, e := range ph.Errors {
			code := e.Code
			if e.SQLState != "" {
				code += " SQLSTATE " + e.SQLState
			}
			if e.Class != "" {
				code += " (" + e.Class + ")"
			}
			fmt.Fprintf(&b, "  error %s × %d", strings.TrimSpace(code), e.Count)
			if len(e.Messages) > 0 {
				fmt.Fprintf(&b, ": %s", oneLine(e.Messages[0], 100))
			}
			b.WriteString("\n")
		}
	}
	for _, fm := range r.FindMax {
		writeFindMax(&b, fm)
	}
	if len(r.Children) > 1 {
		b.WriteString("\nWorkers:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WORKER\tSTATUS\tOPS\tERRORS\tOPS/S\tP99\t")
		for _, c := range r.Children {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%.1f\t%s\t\n", c.WorkerID, c.Status, c.Total, c.Errors, c.QPS, Micros(c.P99US))
		}
		tw.Flush()
		for _, c := range r.Children {
			if c.Status == string(store.WorkerDead) && c.FailureReason != "" {
				fmt.Fprintf(&b, "  %s: %s\n", c.WorkerID, c.FailureReason)
			}
		}
	}
	writeServer(&b, r.Server)
	if len(r.Thresholds) > 0 {
		failed := 0
		b.WriteString("\nThresholds:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RESULT\tTHRESHOLD\tRULE\tACTUAL\t")
		for _, t := range r.Thresholds {
			verdict := "pass"
			if !t.Passed {
				verdict = "FAIL"
				failed++
			}
			actual := MetricValue(t.Metric, t.Actual)
			if t.Note != "" {
				actual = t.Note
			}
			rule := fmt.Sprintf("%s %s %s", t.Metric, t.Op, MetricValue(t.Metric, t.Limit))
			if t.Query != "" {
				rule += " (query " + t.Query + ")"
			}
			if t.Phase != "" {
				rule += " (phase " + t.Phase + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t\n", verdict, t.Name, rule, actual)
		}
		tw.Flush()
		if failed > 0 {
			fmt.Fprintf(&b, "%s failed.\n", Plural(failed, "threshold", "thresholds"))
		} else {
			b.WriteString("All thresholds passed.\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWindow prints a phase's window on the control plane's clock, the
// sessions it used and how the workers' clocks and starts lined up.
func writeWindow(b *strings.Builder, ph results.PhaseSummary) {
	if ph.Started.IsZero() {
		return
	}
	fmt.Fprintf(b, "  window %s → %s UTC", ph.Started.UTC().Format("15:04:05.000"), ph.Ended.UTC().Format("15:04:05.000"))
	if d := ph.Drained.Sub(ph.Ended); d > 0 {
		fmt.Fprintf(b, ", in-flight operations drained %s after", d.Round(time.Millisecond))
	}
	if ph.PeakSessions > 0 {
		fmt.Fprintf(b, "; peak sessions %d", ph.PeakSessions)
	}
	if ph.SessionErrors > 0 {
		fmt.Fprintf(b, ", %d could not be opened", ph.SessionErrors)
	}
	b.WriteString("\n")
	if len(ph.Clocks) == 0 {
		return
	}
	var late int64
	parts := make([]string, 0, len(ph.Clocks))
	for _, c := range ph.Clocks {
		late = max(late, c.LateUS)
		parts = append(parts, fmt.Sprintf("%s %+.3fms ±%.3fms", c.WorkerID, float64(c.OffsetUS)/1000, float64(c.UncertaintyUS)/1000))
	}
	fmt.Fprintf(b, "  worker clocks against the control plane: %s", strings.Join(parts, ", "))
	if late > 0 {
		fmt.Fprintf(b, "; latest start %s after the start instant", Micros(late))
	}
	b.WriteString("\n")
}

func writeQueryRow(w io.Writer, name string, ops, errs int64, qps float64, l histogram.Summary) {
	fmt.Fprintf(w, "  %s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", name, ops, errs, qps,
		Micros(l.P50), Micros(l.P95), Micros(l.P99), Micros(l.P999), Micros(l.Max))
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", f*100) }

// writeServerStats prints the target's own statistics over a phase (the
// pg_stat_statements deltas) next to the client-side table, busiest
// statements first, or why there are none.
func writeServerStats(b *strings.Builder, ss *pgstats.Report) {
	if ss == nil {
		return
	}
	if !ss.Available {
		fmt.Fprintf(b, "  server statistics: none (%s)\n", ss.Reason)
		return
	}
	b.WriteString("  server statistics (pg_stat_statements over the phase):\n")
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  CALLS\tMEAN EXEC\tTOTAL EXEC\tROWS\tBLKS HIT\tBLKS READ\tWAL BYTES\t  STATEMENT")
	for i, st := range ss.Statements {
		if i == 8 {
			break
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%d\t%d\t%d\t  %s\n", st.Calls, Micros(st.MeanExecUS), Micros(st.TotalExecUS),
			st.Rows, st.SharedHit, st.SharedRead, st.WALBytes, oneLine(st.Query, 60))
	}
	tw.Flush()
	if ss.Reset || ss.Evicted > 0 {
		fmt.Fprintf(b, "  (partial: statistics were reset or %d entries evicted during the phase)\n", ss.Evicted)
	}
}
