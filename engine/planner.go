package engine

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/dag"
	"github.com/flakebench/fbctl/engine/load"
)

// PlanOptions are the choices of one `fbctl plan`.
type PlanOptions struct {
	// Scenarios selects scenarios by name; empty selects all, in file order.
	Scenarios []string
	// Prune removes stored templates the files do not declare.
	Prune bool
	// ToolVersion is recorded in the plan.
	ToolVersion string
	// StoredScenarios is TEST_SCENARIOS as the store holds it (nil: none).
	StoredScenarios map[string]StoredTemplate
}

// DefaultFindMaxCeiling is the find_max concurrency ceiling when max is
// unset.
const DefaultFindMaxCeiling = 10000

// derivedLatency is the average latency an open phase without
// max_connections is budgeted for: sessions = ceil(peak rate × 100 ms).
const derivedLatency = 100 * time.Millisecond

// BuildPlan compiles an evaluated configuration and CONFIG's state into a
// Plan: a change per template (see DiffTemplates) and a RunPlan per selected
// scenario. It reports every problem at once as diagnostics with source
// ranges; when they hold errors the returned plan is a best effort and must
// not be applied.
func BuildPlan(cfg *dsl.Config, state map[string]StoredTemplate, opts PlanOptions) (*Plan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	plan := &Plan{FormatVersion: PlanFormatVersion, ToolVersion: opts.ToolVersion, Prune: opts.Prune}
	if cfg == nil {
		return plan, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration",
			Detail: "The planner was given no configuration."})
	}

	// Templates: canonical CONFIG and the diff against the stored state.
	order := templateOrder(cfg)
	payloads := make(map[string][]byte, len(order))
	hashes := make(map[string]string, len(order))
	var planned []string
	for _, name := range order {
		t := cfg.Templates[name]
		payload, hash, err := CanonicalConfig(cfg, t)
		if err != nil {
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Template cannot be compiled",
				Detail: fmt.Sprintf("Template %q cannot be turned into its CONFIG payload: %v.", name, err), Subject: rangePtr(t.DeclRange)}
			if errors.Is(err, ErrUnknownConnection) {
				d.Summary = "Unknown connection"
				d.Detail = fmt.Sprintf("Template %q uses connection %q, which is not declared.%s", name, t.Connection,
					didYouMean(t.Connection, cfg.ConnectionOrder, slices.Sorted(maps.Keys(cfg.Connections))))
			}
			diags = diags.Append(d)
			continue
		}
		payloads[name], hashes[name] = payload, hash
		planned = append(planned, name)
	}
	plan.Templates = DiffTemplates(planned, payloads, state, opts.Prune)

	// Scenarios: the runs, and their canonical CONFIG against the stored
	// state. Stored scenarios that the files declare but this plan did not
	// select are left out of the diff.
	var scenarioOrder []string
	scenarioPayloads := map[string][]byte{}
	for _, name := range selectScenarios(cfg, opts.Scenarios, &diags) {
		run, rdiags := buildRun(cfg, cfg.Scenarios[name], hashes)
		diags = append(diags, rdiags...)
		plan.Runs = append(plan.Runs, run)
		if payload, _, err := CanonicalScenario(run); err == nil {
			scenarioOrder = append(scenarioOrder, name)
			scenarioPayloads[name] = payload
		}
	}
	if plan.Runs == nil {
		plan.Runs = []RunPlan{}
	}
	stored := map[string]StoredTemplate{}
	for name, st := range opts.StoredScenarios {
		if _, declared := cfg.Scenarios[name]; !declared || scenarioPayloads[name] != nil {
			stored[name] = st
		}
	}
	plan.Scenarios = DiffTemplates(scenarioOrder, scenarioPayloads, stored, opts.Prune)

	var c ChangeCounts
	c.count(plan.Templates)
	plan.Summary.ToCreate, plan.Summary.ToUpdate, plan.Summary.ToDelete, plan.Summary.Unchanged, plan.Summary.NotManaged =
		c.ToCreate, c.ToUpdate, c.ToDelete, c.Unchanged, c.NotManaged
	plan.Summary.Scenarios.count(plan.Scenarios)
	plan.Summary.Runs = len(plan.Runs)
	return plan, diags
}

func templateOrder(cfg *dsl.Config) []string {
	return orderedKeys(cfg.TemplateOrder, cfg.Templates)
}

// orderedKeys returns the names in order that exist in m, then any key of m
// the order misses, sorted (a Config built without order slices).
func orderedKeys[V any](order []string, m map[string]V) []string {
	seen := make(map[string]bool, len(m))
	out := make([]string, 0, len(m))
	for _, n := range order {
		if _, ok := m[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	var rest []string
	for n := range m {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func selectScenarios(cfg *dsl.Config, want []string, diags *hcl.Diagnostics) []string {
	all := orderedKeys(cfg.ScenarioOrder, cfg.Scenarios)
	if len(want) == 0 {
		return all
	}
	picked := map[string]bool{}
	for _, name := range want {
		if _, ok := cfg.Scenarios[name]; ok {
			picked[name] = true
			continue
		}
		detail := fmt.Sprintf("There is no scenario named %q.", name)
		if s := dsl.Suggest(name, all); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else if len(all) > 0 {
			detail += " The files declare: " + strings.Join(all, ", ") + "."
		} else {
			detail += " The files declare no scenario."
		}
		*diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown scenario", Detail: detail})
	}
	var out []string
	for _, n := range all {
		if picked[n] {
			out = append(out, n)
		}
	}
	return out
}

// didYouMean returns ` Did you mean "x"?` for the closest of the names in
// order (then any others in all), or "" (dsl.Suggest's rule).
func didYouMean(given string, order, all []string) string {
	return dsl.DidYouMean(given, append(slices.Clone(order), all...))
}

func rangePtr(r hcl.Range) *hcl.Range {
	if r.Filename == "" && r.Start.Line == 0 {
		return nil
	}
	return &r
}

// Node names of the run DAG.
const (
	nodeSetup    = "setup"
	nodeWarmup   = "warmup"
	nodeTeardown = "teardown"
)

// PhaseNodeName returns the run DAG node name of a phase: "phase.<name>".
func PhaseNodeName(phase string) string { return "phase." + phase }

// phaseInfo is an expanded phase plus what the run needs from it.
type phaseInfo struct {
	plan   *PhasePlan
	budget int64 // connections split across the workers
	warmup int64 // connections a warmup borrowing from this phase uses
	ok     bool
}

func buildRun(cfg *dsl.Config, sc *dsl.Scenario, hashes map[string]string) (RunPlan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	run := RunPlan{Scenario: sc.Name, Description: sc.Description, Seed: sc.Seed, Template: sc.Template,
		Nodes: []Node{}, Thresholds: []ThresholdPlan{}}
	scRange := rangePtr(sc.DeclRange)
	if len(sc.Phases) == 0 {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Scenario has no phase",
			Detail: fmt.Sprintf("Scenario %q declares no phase block, so a run would measure nothing. Add at least one phase.", sc.Name), Subject: scRange})
		return run, diags
	}

	// The graph.
	g := dag.New()
	if len(sc.Setup) > 0 {
		g.Add(nodeSetup)
	}
	if sc.Warmup != nil {
		g.Add(nodeWarmup)
	}
	phases := map[string]*dsl.Phase{}
	for _, p := range sc.Phases {
		if _, dup := phases[p.Name]; dup {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate phase",
				Detail: fmt.Sprintf("Scenario %q declares phase %q twice; phase names must be unique.", sc.Name, p.Name), Subject: rangePtr(p.DeclRange)})
			continue
		}
		phases[p.Name] = p
		g.Add(PhaseNodeName(p.Name))
	}
	if len(sc.Teardown) > 0 {
		g.Add(nodeTeardown)
	}
	entry := ""
	switch {
	case sc.Warmup != nil:
		entry = nodeWarmup
		if len(sc.Setup) > 0 {
			_ = g.Connect(nodeSetup, nodeWarmup)
		}
	case len(sc.Setup) > 0:
		entry = nodeSetup
	}
	phaseNames := make([]string, 0, len(phases))
	for _, p := range sc.Phases {
		if phases[p.Name] != p {
			continue
		}
		phaseNames = append(phaseNames, p.Name)
		deps := 0
		for _, dep := range p.DependsOn {
			if _, ok := phases[dep]; !ok {
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown phase in depends_on",
					Detail: fmt.Sprintf("Phase %q depends on phase %q, which scenario %q does not declare.%s",
						p.Name, dep, sc.Name, didYouMean(dep, phaseNamesOf(sc), nil)), Subject: rangePtr(p.DeclRange)})
				continue
			}
			_ = g.Connect(PhaseNodeName(dep), PhaseNodeName(p.Name))
			deps++
		}
		if deps == 0 && entry != "" {
			_ = g.Connect(entry, PhaseNodeName(p.Name))
		}
	}
	if len(sc.Teardown) > 0 {
		leaves := 0
		for _, name := range phaseNames {
			if len(g.Dependants(PhaseNodeName(name))) == 0 {
				_ = g.Connect(PhaseNodeName(name), nodeTeardown)
				leaves++
			}
		}
		if leaves == 0 && entry != "" {
			_ = g.Connect(entry, nodeTeardown)
		}
	}
	order, err := g.TopologicalOrder()
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			for _, c := range ce.Cycles {
				names := make([]string, len(c))
				for i, n := range c {
					names[i] = strings.TrimPrefix(n, "phase.")
				}
				diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Phase dependency cycle",
					Detail: fmt.Sprintf("The phases of scenario %q depend on each other in a cycle: %s. Remove one of these depends_on references.",
						sc.Name, strings.Join(names, " → ")), Subject: scRange})
			}
		} else {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid run graph", Detail: err.Error() + ".", Subject: scRange})
		}
		order = g.Vertices()
	}

	// Phases.
	infos := map[string]*phaseInfo{}
	for _, name := range phaseNames {
		info, pdiags := expandPhase(cfg, sc, phases[name], hashes)
		diags = append(diags, pdiags...)
		infos[name] = info
	}

	// Sampling, decided for the run and applied to every phase.
	run.Sampling = planSampling(sc, phaseNames, infos)
	for _, name := range phaseNames {
		pp := infos[name].plan
		pp.SampleRate = run.Sampling.Rate
		if pp.ExpectedOperations != nil && pp.SampleRate != nil {
			rows := int64(math.Round(float64(*pp.ExpectedOperations) * *pp.SampleRate))
			pp.ExpectedStoredRows = &rows
		}
	}
	run.ExpectedOperations, run.Sampling.ExpectedStoredRows = sumKnown(phaseNames, infos)

	// Nodes in topological order.
	var firstPhase string
	for _, n := range order {
		node := Node{Name: n, DependsOn: g.DependsOn(n)}
		if node.DependsOn == nil {
			node.DependsOn = []string{}
		}
		switch {
		case n == nodeSetup:
			node.Kind, node.SQL = NodeSetup, slices.Clone(sc.Setup)
		case n == nodeTeardown:
			node.Kind, node.SQL = NodeTeardown, slices.Clone(sc.Teardown)
		case n == nodeWarmup:
			node.Kind = NodeWarmup
		default:
			name := strings.TrimPrefix(n, "phase.")
			if firstPhase == "" {
				firstPhase = name
			}
			node.Kind, node.Phase = NodePhase, infos[name].plan
			run.Workers = max(run.Workers, node.Phase.Workers)
		}
		run.Nodes = append(run.Nodes, node)
	}
	if sc.Warmup != nil {
		w, wdiags := planWarmup(sc, infos[firstPhase], firstPhase)
		diags = append(diags, wdiags...)
		for i := range run.Nodes {
			if run.Nodes[i].Kind == NodeWarmup {
				run.Nodes[i].Warmup = w
			}
		}
		run.Workers = max(run.Workers, w.Workers)
	}

	run.Thresholds = planThresholds(cfg, sc, phaseNames, infos)
	run.Regressions = planRegressions(sc)
	planServerObjects(cfg, sc, &run)
	planTimeline(&run)
	redactRun(sc, &run)
	return run, diags
}

// redactRun replaces what the run plan carries from sensitive values (the
// description, setup and teardown statements) by Redacted markers: the
// plan is shown, saved and stored in RUN_STATUS.PLAN. The run takes the
// real statements from the files through NodeSQL.
func redactRun(sc *dsl.Scenario, run *RunPlan) {
	scope := "scenario." + sc.Name + "."
	run.Description = redactIf(sc.Sensitive.Has("description"), scope+"description", run.Description)
	for i := range run.Nodes {
		n := &run.Nodes[i]
		for j, stmt := range n.SQL {
			key := fmt.Sprintf("%s[%d]", n.Kind, j)
			n.SQL[j] = redactIf(sc.Sensitive.Has(key), scope+key, stmt)
		}
	}
}

// NodeSQL returns the statements a setup or teardown node runs: the
// node's own, or, where the plan holds Redacted markers, the real
// statements of the scenario in cfg (the files apply loaded).
func NodeSQL(cfg *dsl.Config, scenario string, n Node) []string {
	var sc *dsl.Scenario
	if cfg != nil {
		sc = cfg.Scenarios[scenario]
	}
	if sc == nil || len(sc.Sensitive) == 0 {
		return n.SQL
	}
	var real []string
	switch n.Kind {
	case NodeSetup:
		real = sc.Setup
	case NodeTeardown:
		real = sc.Teardown
	}
	out := slices.Clone(n.SQL)
	for i := range out {
		if IsRedacted(out[i]) && i < len(real) {
			out[i] = real[i]
		}
	}
	return out
}

func phaseNamesOf(sc *dsl.Scenario) []string {
	out := make([]string, len(sc.Phases))
	for i, p := range sc.Phases {
		out[i] = p.Name
	}
	return out
}

func sumKnown(names []string, infos map[string]*phaseInfo) (ops, rows *int64) {
	var o, r int64
	opsOK, rowsOK := true, true
	for _, n := range names {
		pp := infos[n].plan
		if pp.ExpectedOperations == nil {
			opsOK = false
		} else {
			o += *pp.ExpectedOperations
		}
		if pp.ExpectedStoredRows == nil {
			rowsOK = false
		} else {
			r += *pp.ExpectedStoredRows
		}
	}
	if opsOK {
		ops = &o
	}
	if rowsOK {
		rows = &r
	}
	return ops, rows
}

func planWarmup(sc *dsl.Scenario, first *phaseInfo, firstName string) (*WarmupPlan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	w := sc.Warmup
	wp := &WarmupPlan{Duration: load.Duration(w.Duration), Connections: w.Connections, ConnectionsFrom: "warmup", Workers: 1}
	rng := rangePtr(w.DeclRange)
	if w.Duration <= 0 {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid warmup duration",
			Detail: fmt.Sprintf("The warmup of scenario %q must last longer than zero (got %s).", sc.Name, w.Duration), Subject: rng})
	}
	if first != nil && first.plan != nil {
		wp.Workers = first.plan.Workers
		if w.Connections == 0 {
			wp.Connections = first.warmup
			wp.ConnectionsFrom = PhaseNodeName(firstName)
		}
	}
	if wp.Connections < 0 {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid warmup connections",
			Detail: fmt.Sprintf("The warmup of scenario %q has %d connections; it needs at least one.", sc.Name, wp.Connections), Subject: rng})
		wp.Connections = 0
	}
	if wp.Workers > 0 && wp.Connections < wp.Workers && wp.Connections >= 0 && (first == nil || first.ok) {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Warmup leaves workers idle",
			Detail: fmt.Sprintf("The warmup of scenario %q runs on the %d workers of phase %q but has only %d connections, so %s. Set warmup connections to at least %d.",
				sc.Name, wp.Workers, firstName, wp.Connections, idleWorkers(wp.Connections, wp.Workers), wp.Workers), Subject: rng})
	}
	var think load.Duration
	if first != nil && first.plan != nil {
		think = first.plan.ThinkTime
	}
	wp.Assignments = warmupAssignments(wp, think)
	return wp, diags
}

// idleWorkers describes the workers left with no connection.
func idleWorkers(conns, workers int64) string {
	if workers-conns == 1 {
		return WorkerID(workers-1) + " would get 0 connections"
	}
	return fmt.Sprintf("%s to %s would get 0 connections", WorkerID(conns), WorkerID(workers-1))
}
