// Package graph finds the cycles of a small directed graph of named
// vertices, in a stable order, so that every cycle fbctl reports reads the
// same way on every run.
//
// It is the one cycle finder of the tree: the scenario language uses it for
// locals and phase dependencies (dsl may import no engine package), and
// engine/dag builds its Validate and topological order on it. It owns the
// algorithm only; what a cycle means and how it is worded belongs to the
// caller.
package graph
