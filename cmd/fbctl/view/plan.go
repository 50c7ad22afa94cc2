package view

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/load"
)

// Plan writes a plan for people, Terraform-style: template changes against
// CONFIG first, then each run's DAG, then a summary line.
func Plan(w io.Writer, p *engine.Plan, color bool) error {
	var b strings.Builder
	pt := painter{color}

	b.WriteString("Templates (TEST_TEMPLATES.CONFIG):\n")
	if len(p.Templates) == 0 {
		b.WriteString("  (none declared)\n")
	}
	for _, t := range p.Templates {
		writeTemplateChange(&b, pt, "template", t)
	}
	if len(p.Scenarios) > 0 {
		b.WriteString("\nScenarios (TEST_SCENARIOS.CONFIG):\n")
		for _, t := range p.Scenarios {
			writeTemplateChange(&b, pt, "scenario", t)
		}
	}

	for _, r := range p.Runs {
		b.WriteString("\n")
		writeRun(&b, pt, r)
	}

	for _, w := range p.Warnings {
		where := ""
		if w.Scenario != "" {
			where = " (scenario " + w.Scenario
			if w.Node != "" {
				where += ", " + w.Node
			}
			where += ")"
		}
		fmt.Fprintf(&b, "\n%s %s%s\n%s\n", pt.yellow("Warning:"), w.Summary, where, indent(wrap(w.Detail, 96), "  "))
	}

	s := p.Summary
	fmt.Fprintf(&b, "\n%s %d to create, %d to update, %d to remove, %d unchanged",
		pt.bold("Plan:"), s.ToCreate, s.ToUpdate, s.ToDelete, s.Unchanged)
	if s.NotManaged > 0 {
		fmt.Fprintf(&b, ", %d not managed (use -prune to remove)", s.NotManaged)
	}
	if sc := s.Scenarios; sc.ToCreate+sc.ToUpdate+sc.ToDelete+sc.Unchanged+sc.NotManaged > 0 {
		fmt.Fprintf(&b, "; scenarios: %d to create, %d to update, %d to remove, %d unchanged", sc.ToCreate, sc.ToUpdate, sc.ToDelete, sc.Unchanged)
	}
	fmt.Fprintf(&b, "; %s.\n", Plural(s.Runs, "run", "runs"))
	if !p.HasChanges() {
		b.WriteString("No changes to CONFIG: the stored templates and scenarios match the files.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTemplateChange(b *strings.Builder, pt painter, what string, t engine.TemplateChange) {
	sym := t.Action.Symbol()
	switch t.Action {
	case engine.ActionCreate:
		fmt.Fprintf(b, "  %s %s %q will be created (%s)\n", pt.green(sym), what, t.Name, short(t.Hash))
	case engine.ActionUpdate:
		fmt.Fprintf(b, "  %s %s %q will be updated in place (version %d → %d, %s → %s)\n",
			pt.yellow(sym), what, t.Name, t.PriorVersion, t.PriorVersion+1, short(t.PriorHash), short(t.Hash))
		for _, d := range t.Diff {
			fmt.Fprintf(b, "      %s %s\n", pt.action(d.Action), d.String())
		}
	case engine.ActionDelete:
		fmt.Fprintf(b, "  %s %s %q will be removed (version %d)\n", pt.red(sym), what, t.Name, t.PriorVersion)
	case engine.ActionNoOp:
		fmt.Fprintf(b, "    %s %q is unchanged (version %d)\n", what, t.Name, t.PriorVersion)
	case engine.ActionNotManaged:
		fmt.Fprintf(b, "    %s %q is stored but not declared in these files; left alone\n", what, t.Name)
	}
}

func writeRun(b *strings.Builder, pt painter, r engine.RunPlan) {
	fmt.Fprintf(b, "%s (seed %d, %s)\n", pt.bold(fmt.Sprintf("Run scenario %q", r.Scenario)), r.Seed,
		Plural(int(r.Workers), "worker", "workers"))
	if r.Description != "" {
		fmt.Fprintf(b, "  %s\n", r.Description)
	}
	for _, n := range r.Nodes {
		after := ""
		if len(n.DependsOn) > 0 {
			after = "  (after " + strings.Join(n.DependsOn, ", ") + ")"
		}
		switch n.Kind {
		case engine.NodeSetup, engine.NodeTeardown:
			fmt.Fprintf(b, "  %-8s %s on the target%s\n", n.Name, Plural(len(n.SQL), "statement", "statements"), after)
			for _, sql := range n.SQL {
				fmt.Fprintf(b, "             %s\n", oneLine(sql, 90))
			}
		case engine.NodeWarmup:
			wp := n.Warmup
			fmt.Fprintf(b, "  %-8s %s closed model, %s on %s (excluded from results)%s\n",
				n.Name, wp.Duration, Plural(int(wp.Connections), "connection", "connections"), Plural(int(wp.Workers), "worker", "workers"), after)
		case engine.NodePhase:
			writePhase(b, n, after)
		case engine.NodeCacheWarmup:
			cw := n.CacheWarmup
			fmt.Fprintf(b, "  %-8s one session of %q until the median latency of a %s window is within %s of the previous one, at most %s (measured on its own, excluded from results)%s\n",
				n.Name, cw.Template, cw.Window, pct(cw.Tolerance), cw.MaxDuration, after)
		}
	}
	writeServerObjects(b, r)
	writeTimeline(b, r)
	writeSessions(b, r.Sessions)
	writeSampling(b, r.Sampling)
	if r.ExpectedOperations != nil {
		fmt.Fprintf(b, "  expected operations: %d\n", *r.ExpectedOperations)
	}
	if len(r.Thresholds) > 0 {
		b.WriteString("  thresholds:\n")
		for _, t := range r.Thresholds {
			fmt.Fprintf(b, "    %-24s %s\n", t.Name, ThresholdRule(t))
		}
	}
	writeRegressions(b, r.Regressions)
}

func writePhase(b *strings.Builder, n engine.Node, after string) {
	ph := n.Phase
	var model string
	switch ph.Model {
	case load.Closed:
		model = "closed model, " + Plural(int(ph.Connections), "connection", "connections")
	case load.Open:
		model = fmt.Sprintf("open model, %s ops/s, %d sessions opened before the start, at most %d", num(ph.Rate), ph.Sessions, ph.Connections)
	case load.Ramp:
		model = fmt.Sprintf("open model ramping %s → %s ops/s over %s, %d sessions opened before the start, at most %d",
			num(ph.Ramp.From), num(ph.Ramp.To), ph.Ramp.Over, ph.Sessions, ph.Connections)
	case load.FindMax:
		fm := ph.FindMax
		model = fmt.Sprintf("find-max from %d by %d up to %d connections, %s per step (at most %d steps)",
			fm.Start, fm.Step, fm.Max, fm.StepDuration, fm.Steps)
	case load.QPSTarget:
		q := ph.QPSTarget
		model = fmt.Sprintf("qps target %s ops/s, sessions adjusted by the orchestrator between %d and %d, starting at %d",
			num(q.Target), q.MinConnections, q.MaxConnections, ph.Sessions)
	default:
		model = string(ph.Model)
	}
	fmt.Fprintf(b, "  %s  %s, %s, template %q%s\n", n.Name, ph.Duration, model, ph.Template, after)
	if ph.ThinkTime > 0 {
		fmt.Fprintf(b, "      think time %s\n", ph.ThinkTime)
	}
	fmt.Fprintf(b, "      %s (%s)\n", Plural(int(ph.Workers), "worker", "workers"), scalingText(ph.Scaling))
	for _, a := range ph.Assignments {
		fmt.Fprintf(b, "        %-10s group %d: %s\n", a.WorkerID, a.WorkerGroupID, loadText(a.Load))
	}
	for _, sq := range ph.Sequences {
		start := "MAX(" + sq.Column + ")+1"
		if sq.Start != nil {
			start = strconv.FormatInt(*sq.Start, 10)
		}
		fmt.Fprintf(b, "      sequence keys from %s: connection g of %d takes %s+g, +%d, …", start, sq.Stride, start, sq.Stride)
		if sq.ExpectedKeys != nil {
			fmt.Fprintf(b, "; about %d keys, all below %s+%d", *sq.ExpectedKeys, start, *sq.ExpectedKeys+sq.Stride)
		}
		b.WriteString("\n")
	}
	switch {
	case ph.ExpectedOperations != nil:
		fmt.Fprintf(b, "      expected operations: %d", *ph.ExpectedOperations)
		if ph.ExpectedStoredRows != nil {
			fmt.Fprintf(b, ", stored rows: %d", *ph.ExpectedStoredRows)
		}
		b.WriteString("\n")
	case ph.ExpectedOperationsNote != "":
		fmt.Fprintf(b, "      expected operations: %s\n", ph.ExpectedOperationsNote)
	}
}

// loadText is one worker's share of a node: "4 connections", "200 ops/s on
// 2 sessions, growing to 8".
func loadText(l load.Spec) string {
	switch l.Model {
	case load.Open, load.Ramp:
		rate := num(l.Rate) + " ops/s"
		if r := l.Ramp; r != nil {
			rate = num(r.From) + " → " + num(r.To) + " ops/s"
		}
		return fmt.Sprintf("%s on %s, growing to %d", rate, Plural(int(l.Sessions), "session", "sessions"), l.MaxSessions)
	case load.FindMax:
		f := l.FindMax
		return fmt.Sprintf("%d, %d, … up to %d connections", f.Start, f.Start+f.Step, f.Max)
	case load.QPSTarget:
		return fmt.Sprintf("%s ops/s share on %d to %d connections, starting at %d", num(l.Rate), l.MinSessions, l.MaxSessions, l.Sessions)
	}
	return Plural(int(l.Sessions), "connection", "connections")
}

// timelineWidth is the width of the bars of the planned timeline.
const timelineWidth = 40

// writeTimeline draws the load nodes on the run's planned timeline (each
// lasting its planned duration, starting when its dependencies ended), so
// a reviewer sees which phases overlap, and the run's session bounds.
func writeTimeline(b *strings.Builder, r engine.RunPlan) {
	var nodes []engine.Node
	var end load.Duration
	width := 0
	for _, n := range r.Nodes {
		if n.Warmup != nil || n.Phase != nil {
			nodes = append(nodes, n)
			end = max(end, n.End)
			width = max(width, len(n.Name))
		}
	}
	if len(nodes) < 2 || end <= 0 {
		return
	}
	b.WriteString("  timeline (planned durations; a node starts when every node it depends on ended):\n")
	for _, n := range nodes {
		from := int(float64(n.Start) / float64(end) * timelineWidth)
		to := max(int(float64(n.End)/float64(end)*timelineWidth+0.5), from+1)
		bar := strings.Repeat(" ", from) + strings.Repeat("█", to-from) + strings.Repeat(" ", timelineWidth-to)
		with := ""
		if len(n.Concurrent) > 0 {
			with = "  side by side with " + strings.Join(n.Concurrent, ", ")
		}
		fmt.Fprintf(b, "    %-*s |%s| %s → %s%s\n", width, n.Name, bar, n.Start, n.End, with)
	}
}

func writeSessions(b *strings.Builder, s engine.SessionsPlan) {
	if s.Max == 0 {
		return
	}
	keys := make([]string, 0, len(s.ByConnection))
	for k := range s.ByConnection {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := s.ByConnection[k]
		fmt.Fprintf(b, "  sessions on %s: %d opened before the nodes that run at once start, at most %d\n", k, c.PreOpened, c.Max)
	}
}

func writeSampling(b *strings.Builder, s engine.SamplingPlan) {
	switch {
	case s.Mode == engine.SampleAll:
		b.WriteString("  sampling: every operation stored in QUERY_EXECUTIONS")
	case s.Rate != nil:
		fmt.Fprintf(b, "  sampling: %s, rate %s of measurement operations (errors and warmup always stored)", s.Mode, num(*s.Rate))
		if s.Note != "" {
			fmt.Fprintf(b, "; %s", s.Note)
		}
	default:
		fmt.Fprintf(b, "  sampling: %s, rate %s", s.Mode, s.Note)
	}
	if s.ExpectedStoredRows != nil {
		fmt.Fprintf(b, "; expected stored rows: %d", *s.ExpectedStoredRows)
	}
	b.WriteString("\n")
}

func scalingText(s engine.ScalingPlan) string {
	if s.Mode == engine.ScaleWorkers {
		return "fixed worker count"
	}
	return fmt.Sprintf("scaling %s: %d–%d workers, at most %d connections each",
		s.Mode, s.MinWorkers, s.MaxWorkers, s.MaxConnectionsPerWorker)
}

// ThresholdRule renders a threshold as "p99 below 50ms (query q, phase p)".
func ThresholdRule(t engine.ThresholdPlan) string {
	var rule string
	switch {
	case t.Below != nil:
		rule = fmt.Sprintf("%s below %s", t.Metric, MetricValue(t.Metric, *t.Below))
	case t.Above != nil:
		rule = fmt.Sprintf("%s above %s", t.Metric, MetricValue(t.Metric, *t.Above))
	}
	var scope []string
	if t.Query != "" {
		scope = append(scope, "query "+t.Query)
	}
	if t.Phase != "" {
		scope = append(scope, "phase "+t.Phase)
	}
	if len(scope) == 0 {
		scope = append(scope, "all queries")
	}
	return rule + " (" + strings.Join(scope, ", ") + ")"
}

// MetricValue renders a threshold value: latencies as durations, rates as
// plain numbers.
func MetricValue(metric dsl.Metric, v float64) string {
	if metric.IsLatency() {
		return ms(v)
	}
	return num(v)
}

func ms(v float64) string {
	return time.Duration(v * float64(time.Millisecond)).String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func short(hash string) string {
	if i := strings.IndexByte(hash, ':'); i >= 0 && len(hash) > i+13 {
		return hash[:i+13]
	}
	return hash
}

func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > width {
		return s[:width-1] + "…"
	}
	return s
}

// Plural renders a count with its noun: "1 worker", "3 workers".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

type painter struct{ on bool }

func (p painter) wrap(code, s string) string {
	if !p.on {
		return s
	}
	return code + s + ansiReset
}
func (p painter) bold(s string) string   { return p.wrap(ansiBold, s) }
func (p painter) green(s string) string  { return p.wrap("\x1b[32m", s) }
func (p painter) yellow(s string) string { return p.wrap("\x1b[33m", s) }
func (p painter) red(s string) string    { return p.wrap("\x1b[31m", s) }
func (p painter) action(a engine.Action) string {
	switch a {
	case engine.ActionCreate:
		return p.green("+")
	case engine.ActionDelete:
		return p.red("-")
	}
	return p.yellow("~")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + " %" }

// writeServerObjects lists what must exist on the server (checked after
// setup) and what the run does to its warehouses.
func writeServerObjects(b *strings.Builder, r engine.RunPlan) {
	if len(r.Requires) > 0 {
		b.WriteString("  must exist after setup (checked by apply, not created):\n")
		for _, q := range r.Requires {
			fmt.Fprintf(b, "    %s %s: %s\n", strings.ReplaceAll(q.Kind, "_", " "), q.Name, q.Detail)
			if q.DDL != "" {
				fmt.Fprintf(b, "      e.g. %s\n", q.DDL)
			}
		}
	}
	for _, a := range r.WarehouseActions {
		var parts []string
		if a.Resume {
			parts = append(parts, "resumed before setup if suspended, suspended after teardown if the run resumed it")
		}
		if a.Size != "" {
			parts = append(parts, "WAREHOUSE_SIZE = "+a.Size)
		}
		if a.MaxClusters > 0 {
			parts = append(parts, fmt.Sprintf("MAX_CLUSTER_COUNT = %d", a.MaxClusters))
		}
		if a.Size != "" || a.MaxClusters > 0 {
			parts[len(parts)-1] += " for the run, restored afterwards"
		}
		fmt.Fprintf(b, "  warehouse %s: %s\n", a.Warehouse, strings.Join(parts, "; "))
	}
}
