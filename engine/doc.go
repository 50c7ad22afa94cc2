// Package engine owns the meaning of a run: the plan model, compiling an
// evaluated scenario configuration (dsl.Config) into a plan, the canonical
// CONFIG payload of a template or scenario and its diff against the stored one, the
// planned timeline and session bounds of a run.
//
// It does not parse HCL (package dsl does), does not read or write plan
// files (engine/planfile does), does not talk to databases (engine/store
// does) and never prints: rendering a Plan for humans or as JSON is the
// CLI's job. The Plan struct's JSON tags are the documented machine format
// (docs/plan-format.md), versioned by PlanFormatVersion.
//
// Files:
//
//	plan.go      the plan model (plain data, JSON tags)
//	planner.go   BuildPlan: templates diff + one RunPlan per scenario
//	config.go    CanonicalConfig: a template's canonical CONFIG JSON and hash
//	scenario_config.go  CanonicalScenario: a scenario's canonical CONFIG (TEST_SCENARIOS)
//	diff.go      StoredTemplate and the attribute-level CONFIG diff
//	assign.go    worker count resolution and exact connection/rate splits
//	phase.go     one phase resolved: model, budget, workers, every worker's load.Spec
//	timeline.go  planned node offsets, nodes that may run at once, session bounds
//	errors.go    typed errors
package engine
