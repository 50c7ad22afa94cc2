// Package executor owns how load is generated: one file per load model
// (closed.go, open.go, ramp.go, findmax.go) behind the small Executor
// interface, the Target/Session abstraction over the database (SQLTarget
// for database/sql), and the Recorder that turns every operation into
// histogram values, counters and optional per-operation Records for a Sink.
//
// Executors are built from a load.Spec (FromSpec) and used in two steps:
// Open opens the sessions the load starts with, Run issues it from a start
// instant for its duration (in-flight operations drain and are counted).
// Executors never print and never block on a sink. They do not know about
// the control plane, stores or the CLI; the worker builds an Env and runs
// one executor per node. Database drivers are never imported
// here: errors are classified through small interfaces
// (interface{ SQLState() string }) or a Classifier the caller injects.
package executor
