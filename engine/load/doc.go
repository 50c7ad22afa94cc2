// Package load is the runtime specification of a load: what one worker
// runs for one node of a run's DAG, fully resolved by the planner and
// carried in the plan (engine.WorkerAssignment.Load), so that executors
// are built from the plan alone (executor.FromSpec) and never from the
// scenario language.
//
// It owns the load-model vocabulary (Model), which the scenario language
// (dsl.Phase.Model) and the executors share, the per-worker Spec and a
// Duration type that is a time.Duration in Go and milliseconds in JSON
// (the plan's documented format). It imports nothing of fbctl.
package load
