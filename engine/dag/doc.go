// Package dag is a small, generic directed acyclic graph: vertices are
// strings, an edge "a → b" means b depends on a (a runs first).
//
// It owns three things and nothing else:
//
//   - Validate: every cycle, found by internal/graph (the cycle finder the
//     scenario language shares) and reported in a stable order so error
//     text is the same on every run ("a → b → c → a", starting at the
//     smallest name);
//   - Topological order, stable by insertion (among vertices that are ready
//     at the same time, the one added first comes first);
//   - Walk: run a function on every vertex with bounded parallelism
//     (errgroup.SetLimit), where a failed vertex skips all its dependants
//     (only the root cause is returned) and a cancelled context stops
//     vertices from starting.
//
// The package knows nothing about fbctl: it is used by the planner (the run
// DAG of setup → warmup → phases → teardown) and by the orchestrator that
// walks it.
package dag
