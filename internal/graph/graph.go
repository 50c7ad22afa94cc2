package graph

import "slices"

// Cycles returns the cycles of the directed graph with vertices names[0..n)
// and edges out[v] (the vertices v has an edge to, in order; out may be
// shorter than names). Each cycle is a closed path of vertex ids, the first
// id repeated at the end ([a b c a] for a → b → c → a).
//
// One cycle is reported per strongly connected component of two or more
// vertices, plus one per self-edge ([v v]). A cycle starts at the lexically
// smallest name of its component (the lower id on equal names) and follows
// edges in their order, so the same graph always gives the same cycles.
// The cycles are sorted by their names.
func Cycles(names []string, out [][]int) [][]int {
	edges := func(v int) []int {
		if v < len(out) {
			return out[v]
		}
		return nil
	}
	var cycles [][]int
	for _, scc := range components(len(names), edges) {
		if len(scc) == 1 {
			if v := scc[0]; slices.Contains(edges(v), v) {
				cycles = append(cycles, []int{v, v})
			}
			continue
		}
		cycles = append(cycles, cycleIn(names, edges, scc))
	}
	slices.SortFunc(cycles, func(a, b []int) int {
		for i := range min(len(a), len(b)) {
			if c := compareNames(names, a[i], b[i]); c != 0 {
				return c
			}
		}
		return len(a) - len(b)
	})
	return cycles
}

// Names turns a cycle of vertex ids into their names.
func Names(names []string, cycle []int) []string {
	out := make([]string, len(cycle))
	for i, v := range cycle {
		out[i] = names[v]
	}
	return out
}

func compareNames(names []string, a, b int) int {
	if names[a] != names[b] {
		if names[a] < names[b] {
			return -1
		}
		return 1
	}
	return a - b
}

// cycleIn finds one cycle inside a strongly connected component, starting
// at its smallest vertex and following edges in order.
func cycleIn(names []string, edges func(int) []int, scc []int) []int {
	in := make(map[int]bool, len(scc))
	start := scc[0]
	for _, v := range scc {
		in[v] = true
		if compareNames(names, v, start) < 0 {
			start = v
		}
	}
	// Depth-first search from start for a path back to start that stays in
	// the component. Every vertex of a component reaches start, so it
	// succeeds.
	visited := map[int]bool{}
	var path []int
	var dfs func(v int) bool
	dfs = func(v int) bool {
		visited[v] = true
		path = append(path, v)
		for _, w := range edges(v) {
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
	return append(path, start)
}

// components returns the strongly connected components (Tarjan), each as
// vertex ids.
func components(n int, edges func(int) []int) [][]int {
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
		for _, w := range edges(v) {
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
