package dag

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/flakebench/fbctl/internal/graph"
)

// Graph is a directed graph of named vertices. The zero value is not ready
// for use; call New. A Graph is not safe for concurrent mutation; Walk only
// reads it.
type Graph struct {
	names []string       // insertion order
	index map[string]int // name -> position in names
	down  [][]int        // down[i]: vertices that depend on i, in edge insertion order
	up    [][]int        // up[i]: vertices i depends on, in edge insertion order
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[string]int{}}
}

// Add adds a vertex. Adding a name twice is a no-op.
func (g *Graph) Add(name string) {
	if _, ok := g.index[name]; ok {
		return
	}
	g.index[name] = len(g.names)
	g.names = append(g.names, name)
	g.down = append(g.down, nil)
	g.up = append(g.up, nil)
}

// Vertices returns the vertex names in insertion order.
func (g *Graph) Vertices() []string { return slices.Clone(g.names) }

// Connect adds the edge from → to: to depends on from, so from runs first.
// Both vertices must have been added. A repeated edge is a no-op; a
// self-edge is accepted and reported by Validate as a cycle.
func (g *Graph) Connect(from, to string) error {
	f, ok := g.index[from]
	if !ok {
		return fmt.Errorf("dag: edge %s → %s: unknown vertex %q", from, to, from)
	}
	t, ok := g.index[to]
	if !ok {
		return fmt.Errorf("dag: edge %s → %s: unknown vertex %q", from, to, to)
	}
	if slices.Contains(g.down[f], t) {
		return nil
	}
	g.down[f] = append(g.down[f], t)
	g.up[t] = append(g.up[t], f)
	return nil
}

// DependsOn returns the names of the vertices name depends on, in edge
// insertion order (nil for an unknown vertex).
func (g *Graph) DependsOn(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.namesOf(g.up[i])
}

// Dependants returns the names of the vertices that depend on name directly.
func (g *Graph) Dependants(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.namesOf(g.down[i])
}

func (g *Graph) namesOf(ids []int) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for k, id := range ids {
		out[k] = g.names[id]
	}
	return out
}

// CycleError lists every cycle of a graph. Each cycle starts and ends at
// its lexically smallest vertex, and the cycles are sorted, so the message
// is the same on every run. Callers can detect it with errors.As.
type CycleError struct {
	// Cycles holds each cycle as a closed path: the first name is repeated
	// at the end ([a b c a] for a → b → c → a).
	Cycles [][]string
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(c, " → ")
	}
	if len(parts) == 1 {
		return "dependency cycle: " + parts[0]
	}
	return fmt.Sprintf("%d dependency cycles: %s", len(parts), strings.Join(parts, "; "))
}

// Validate returns a *CycleError naming every cycle, or nil when the graph
// is acyclic. One cycle is reported per strongly connected component, plus
// one per self-edge (internal/graph finds them).
func (g *Graph) Validate() error {
	ids := graph.Cycles(g.names, g.down)
	if len(ids) == 0 {
		return nil
	}
	cycles := make([][]string, len(ids))
	for i, c := range ids {
		cycles[i] = graph.Names(g.names, c)
	}
	return &CycleError{Cycles: cycles}
}

// TopologicalOrder returns every vertex after the vertices it depends on.
// Among vertices ready at the same time the one added first comes first, so
// the order is stable. A cyclic graph returns Validate's *CycleError.
func (g *Graph) TopologicalOrder() ([]string, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	indeg := make([]int, len(g.names))
	for v := range g.names {
		indeg[v] = len(g.up[v])
	}
	var ready readyQueue
	for v, d := range indeg {
		if d == 0 {
			ready.push(v)
		}
	}
	out := make([]string, 0, len(g.names))
	for ready.len() > 0 {
		v := ready.pop()
		out = append(out, g.names[v])
		for _, w := range g.down[v] {
			indeg[w]--
			if indeg[w] == 0 {
				ready.push(w)
			}
		}
	}
	if len(out) != len(g.names) {
		return nil, errors.New("dag: internal error: topological order incomplete")
	}
	return out, nil
}

// readyQueue keeps vertex ids sorted by insertion position. Graphs here are
// small (tens of vertices), so a sorted slice beats a heap for clarity.
type readyQueue struct{ ids []int }

func (q *readyQueue) len() int { return len(q.ids) }

func (q *readyQueue) push(v int) {
	i, _ := slices.BinarySearch(q.ids, v)
	q.ids = slices.Insert(q.ids, i, v)
}

func (q *readyQueue) pop() int {
	v := q.ids[0]
	q.ids = q.ids[1:]
	return v
}
