package engine

import (
	"fmt"
	"strings"
)

// CanonicalScenario compiles a planned run to its scenario's canonical
// CONFIG payload, the JSON stored in TEST_SCENARIOS.CONFIG, and its hash.
// It holds everything that changes what a run does, keyed by name so a
// diff names what changed (phases.steady.connections: 4 → 64): the
// template, seed, setup and teardown SQL, the warmup, every phase (model,
// duration, sessions, rate, ramp, find_max, think time, workers and
// scaling, dependencies), sampling and thresholds. Derived values (worker
// assignments, the timeline, expected counts) and template hashes (the
// template's own row carries its changes) are left out. It is built from
// the plan, which carries no secret (sensitive values are markers).
func CanonicalScenario(r RunPlan) (payload []byte, hash string, err error) {
	doc := map[string]any{
		"config_version": ConfigVersion,
		"name":           r.Scenario,
		"seed":           r.Seed,
	}
	if r.Description != "" {
		doc["description"] = r.Description
	}
	if r.Template != "" {
		doc["template"] = r.Template
	}
	phases := map[string]any{}
	for _, n := range r.Nodes {
		switch {
		case n.Kind == NodeSetup:
			doc["setup"] = n.SQL
		case n.Kind == NodeTeardown:
			doc["teardown"] = n.SQL
		case n.Warmup != nil:
			w := n.Warmup
			doc["warmup"] = map[string]any{"duration_ms": w.Duration.Millis(), "connections": w.Connections}
		case n.CacheWarmup != nil:
			c := n.CacheWarmup
			doc["cache_warmup"] = map[string]any{"max_duration_ms": c.MaxDuration.Millis(), "window_ms": c.Window.Millis(), "tolerance": c.Tolerance}
		case n.Phase != nil:
			phases[n.Phase.Name] = phaseDoc(n)
		}
	}
	doc["phases"] = phases
	s := r.Sampling
	sampling := map[string]any{"mode": s.Mode}
	if s.Rate != nil && s.Mode != SampleAuto {
		sampling["rate"] = *s.Rate
	}
	if s.MaxRowsPerSecond > 0 {
		sampling["max_rows_per_second"] = s.MaxRowsPerSecond
	}
	doc["sampling"] = sampling
	if len(r.Thresholds) > 0 {
		ths := map[string]any{}
		for _, t := range r.Thresholds {
			th := map[string]any{"metric": t.Metric, "source": t.Source}
			for k, v := range map[string]string{"query": t.Query, "phase": t.Phase, "template": t.Template} {
				if v != "" {
					th[k] = v
				}
			}
			if t.Below != nil {
				th["below"] = *t.Below
			}
			if t.Above != nil {
				th["above"] = *t.Above
			}
			name := t.Name
			if t.Phase != "" && t.Source == "slo" {
				name += "@" + t.Phase // an SLO per phase of its template
			}
			ths[name] = th
		}
		doc["thresholds"] = ths
	}
	if len(r.Regressions) > 0 {
		doc["regressions"] = regressionsDoc(r.Regressions)
	}
	payload, err = encodeCanonical(doc)
	if err != nil {
		return nil, "", fmt.Errorf("canonical CONFIG of scenario %q: %w", r.Scenario, err)
	}
	return payload, HashConfig(payload), nil
}

func phaseDoc(n Node) map[string]any {
	p := n.Phase
	deps := []string{}
	for _, d := range n.DependsOn {
		if name, ok := strings.CutPrefix(d, "phase."); ok {
			deps = append(deps, name)
		}
	}
	doc := map[string]any{
		"template":      p.Template,
		"model":         string(p.Model),
		"duration_ms":   p.Duration.Millis(),
		"connections":   p.Connections,
		"sessions":      p.Sessions,
		"think_time_ms": p.ThinkTime.Millis(),
		"workers":       p.Workers,
		"scaling":       p.Scaling,
		"depends_on":    deps,
	}
	if p.Rate > 0 {
		doc["rate"] = p.Rate
	}
	if r := p.Ramp; r != nil {
		doc["ramp"] = map[string]any{"from": r.From, "to": r.To, "over_ms": r.Over.Millis()}
	}
	if f := p.FindMax; f != nil {
		doc["find_max"] = map[string]any{"start": f.Start, "step": f.Step, "max": f.Max, "step_duration_ms": f.StepDuration.Millis(),
			"max_error_rate": f.MaxErrorRate, "max_p95_increase": f.MaxP95Increase, "max_qps_drop": f.MaxQPSDrop}
	}
	if q := p.QPSTarget; q != nil {
		doc["qps_target"] = map[string]any{"target": q.Target, "min_connections": q.MinConnections, "max_connections": q.MaxConnections}
	}
	return doc
}
