package dag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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

// Has reports whether the graph holds the vertex.
func (g *Graph) Has(name string) bool {
	_, ok := g.index[name]
	return ok
}

// Len returns the number of vertices.
func (g *Graph) Len() int { return len(g.names) }

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
// one per self-edge.
func (g *Graph) Validate() error {
	var cycles [][]string
	for _, scc := range g.sccs() {
		if len(scc) == 1 {
			v := scc[0]
			if slices.Contains(g.down[v], v) {
				cycles = append(cycles, []string{g.names[v], g.names[v]})
			}
			continue
		}
		cycles = append(cycles, g.cycleIn(scc))
	}
	if len(cycles) == 0 {
		return nil
	}
	slices.SortFunc(cycles, func(a, b []string) int {
		return slices.Compare(a, b)
	})
	return &CycleError{Cycles: cycles}
}

// cycleIn finds one cycle inside a strongly connected component, starting
// at its lexically smallest vertex and following edges in insertion order.
func (g *Graph) cycleIn(scc []int) []string {
	in := make(map[int]bool, len(scc))
	start := scc[0]
	for _, v := range scc {
		in[v] = true
		if g.names[v] < g.names[start] {
			start = v
		}
	}
	// Depth-first search from start for a path back to start that stays in
	// the component. Every vertex of an SCC reaches start, so it succeeds.
	visited := map[int]bool{}
	var path []int
	var dfs func(v int) bool
	dfs = func(v int) bool {
		visited[v] = true
		path = append(path, v)
		for _, w := range g.down[v] {
			if !in[w] {
				continue
			}
			if w == start {
				return true
			}
			if !visited[w] && dfs(w) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	dfs(start)
	out := make([]string, 0, len(path)+1)
	for _, v := range path {
		out = append(out, g.names[v])
	}
	return append(out, g.names[start])
}

// sccs returns the strongly connected components (Tarjan), each as vertex
// ids.
func (g *Graph) sccs() [][]int {
	n := len(g.names)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.down[v] {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for v := range n {
		if index[v] < 0 {
			strong(v)
		}
	}
	return out
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
