package engine

import (
	"slices"

	"github.com/flakebench/fbctl/engine/load"
)

// loadNode is a warmup or phase node as the timeline sees it.
type loadNode struct {
	name       string
	deps       []string // direct dependencies that are load nodes
	duration   load.Duration
	connection string
	preOpened  int64 // sessions opened before its start, over all workers
	maxSess    int64 // sessions it may grow to
}

// planTimeline fills each load node's Start, End and Concurrent and the
// run's session bounds. ancestors holds every node's transitive
// dependencies (load nodes only).
func planTimeline(run *RunPlan) {
	var nodes []loadNode
	idx := map[string]int{}
	for _, n := range run.Nodes {
		ln := loadNode{name: n.Name}
		switch {
		case n.Warmup != nil:
			ln.duration, ln.preOpened, ln.maxSess = n.Warmup.Duration, n.Warmup.Connections, n.Warmup.Connections
			ln.connection = warmupConnection(run)
		case n.Phase != nil:
			ln.duration, ln.preOpened, ln.maxSess = n.Phase.Duration, n.Phase.Sessions, n.Phase.Connections
			ln.connection = n.Phase.Connection
		default:
			continue
		}
		for _, d := range n.DependsOn {
			if _, ok := idx[d]; ok {
				ln.deps = append(ln.deps, d)
			}
		}
		idx[n.Name] = len(nodes)
		nodes = append(nodes, ln)
	}
	// Nodes are in topological order, so dependencies come first.
	anc := make([]map[int]bool, len(nodes))
	start := make([]load.Duration, len(nodes))
	for i, n := range nodes {
		anc[i] = map[int]bool{}
		for _, d := range n.deps {
			j := idx[d]
			anc[i][j] = true
			for k := range anc[j] {
				anc[i][k] = true
			}
			start[i] = max(start[i], start[j]+nodes[j].duration)
		}
	}
	comparable := func(i, j int) bool { return i == j || anc[i][j] || anc[j][i] }
	for k := range run.Nodes {
		i, ok := idx[run.Nodes[k].Name]
		if !ok {
			continue
		}
		run.Nodes[k].Start, run.Nodes[k].End = start[i], start[i]+nodes[i].duration
		var conc []string
		for j := range nodes {
			if !comparable(i, j) {
				conc = append(conc, nodes[j].name)
			}
		}
		run.Nodes[k].Concurrent = conc
	}

	all := make([]int, len(nodes))
	for i := range all {
		all[i] = i
	}
	pre := func(i int) int64 { return nodes[i].preOpened }
	mx := func(i int) int64 { return nodes[i].maxSess }
	run.Sessions = SessionsPlan{PreOpened: heaviestAntichain(all, comparable, pre), Max: heaviestAntichain(all, comparable, mx)}
	byConn := map[string][]int{}
	for i, n := range nodes {
		if n.connection != "" {
			byConn[n.connection] = append(byConn[n.connection], i)
		}
	}
	if len(byConn) > 0 {
		run.Sessions.ByConnection = map[string]SessionBound{}
		for c, ids := range byConn {
			run.Sessions.ByConnection[c] = SessionBound{PreOpened: heaviestAntichain(ids, comparable, pre), Max: heaviestAntichain(ids, comparable, mx)}
		}
	}
}

func warmupConnection(run *RunPlan) string {
	for _, n := range run.Nodes {
		if n.Phase != nil {
			return n.Phase.Connection
		}
	}
	return ""
}

// exactAntichainLimit bounds the exhaustive search of heaviestAntichain;
// above it the sum of all weights is returned (an upper bound).
const exactAntichainLimit = 24

// heaviestAntichain returns the largest total weight of a set of the given
// nodes no two of which are comparable: the most that can run at once.
func heaviestAntichain(ids []int, comparable func(i, j int) bool, weight func(int) int64) int64 {
	if len(ids) > exactAntichainLimit {
		var sum int64
		for _, i := range ids {
			sum += weight(i)
		}
		return sum
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b int) int { return int(weight(b) - weight(a)) })
	var best int64
	var chosen []int
	var search func(k int, total, rest int64)
	search = func(k int, total, rest int64) {
		if total > best {
			best = total
		}
		if k == len(ids) || total+rest <= best {
			return
		}
		i := ids[k]
		w := weight(i)
		ok := true
		for _, c := range chosen {
			if comparable(i, c) {
				ok = false
				break
			}
		}
		if ok {
			chosen = append(chosen, i)
			search(k+1, total+w, rest-w)
			chosen = chosen[:len(chosen)-1]
		}
		search(k+1, total, rest-w)
	}
	var rest int64
	for _, i := range ids {
		rest += weight(i)
	}
	search(0, 0, rest)
	return best
}
