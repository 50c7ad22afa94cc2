// Package executor owns how load is generated: one file per load model
// (closed.go, open.go, ramp.go, findmax.go) behind the small Executor
// interface, the Target/Session abstraction over the database (SQLTarget
// for database/sql), and the Recorder that turns every operation into
// histogram values, counters and optional per-operation Records for a Sink.
//
// Executors never print and never block on a sink. They do not know about
// the control plane, stores or the CLI; the orchestrator builds an Env and
// calls Run once per phase and worker. Database drivers are never imported
// here: errors are classified through small interfaces
// (interface{ SQLState() string }) or a Classifier the caller injects.
package executor
