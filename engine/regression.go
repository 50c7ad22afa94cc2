package engine

import "github.com/flakebench/fbctl/dsl"

// RegressionPlan is a scenario's `regression` rule: how much a metric may
// change against a baseline run before `fbctl compare` fails. Exactly one
// of MaxIncrease/MaxDecrease is set, a fraction of the baseline (0.1:
// 10 %). File, Line and Column locate the block, for CI annotations.
type RegressionPlan struct {
	Name        string     `json:"name"`
	Metric      dsl.Metric `json:"metric"`
	Query       string     `json:"query,omitempty"`
	Phase       string     `json:"phase,omitempty"`
	MaxIncrease *float64   `json:"max_increase,omitempty"`
	MaxDecrease *float64   `json:"max_decrease,omitempty"`
	File        string     `json:"file"`
	Line        int        `json:"line"`
	Column      int        `json:"column"`
}

// planRegressions turns the scenario's regression blocks into plans.
func planRegressions(sc *dsl.Scenario) []RegressionPlan {
	var out []RegressionPlan
	for _, r := range sc.Regressions {
		out = append(out, RegressionPlan{Name: r.Name, Metric: r.Metric, Query: r.Query, Phase: r.Phase,
			MaxIncrease: r.MaxIncrease, MaxDecrease: r.MaxDecrease,
			File: r.DeclRange.Filename, Line: r.DeclRange.Start.Line, Column: r.DeclRange.Start.Column})
	}
	return out
}

// regressionsDoc is the regression rules' part of a scenario's canonical
// CONFIG (the location is left out: moving a block changes nothing).
func regressionsDoc(rs []RegressionPlan) map[string]any {
	doc := map[string]any{}
	for _, r := range rs {
		m := map[string]any{"metric": r.Metric}
		if r.Query != "" {
			m["query"] = r.Query
		}
		if r.Phase != "" {
			m["phase"] = r.Phase
		}
		if r.MaxIncrease != nil {
			m["max_increase"] = *r.MaxIncrease
		}
		if r.MaxDecrease != nil {
			m["max_decrease"] = *r.MaxDecrease
		}
		doc[r.Name] = m
	}
	return doc
}
