package engine

import (
	"math"

	"github.com/flakebench/fbctl/dsl"
)

// planSequences states the key range of every sequence() generator of
// template t in phase pp: the stride is the phase's connections across
// workers as the workers number them (workers × the most sessions any
// worker opens), and the expected keys follow from the expected
// operations and the query weights.
func planSequences(t *dsl.Template, pp *PhasePlan) []SequencePlan {
	if t == nil {
		return nil
	}
	var perWorker int64
	for _, a := range pp.Assignments {
		perWorker = max(perWorker, a.Load.Sessions, a.Load.MaxSessions)
	}
	stride := max(pp.Workers, 1) * max(perWorker, 1)
	var total int64
	for _, name := range t.QueryOrder {
		if q := t.Queries[name]; q != nil {
			total += q.Weight
		}
	}
	type key struct {
		column string
		start  int64
	}
	draws := map[key]float64{} // sequence draws per operation
	var order []key
	for _, name := range t.QueryOrder {
		q := t.Queries[name]
		if q == nil || total == 0 {
			continue
		}
		for _, g := range q.Generators() {
			if g.Kind != dsl.GenSequence {
				continue
			}
			k := key{g.Column, g.Start}
			if _, seen := draws[k]; !seen {
				order = append(order, k)
			}
			draws[k] += float64(q.Weight) / float64(total)
		}
	}
	var out []SequencePlan
	for _, k := range order {
		sp := SequencePlan{Column: k.column, Stride: stride}
		if k.column == "" {
			start := k.start
			sp.Start = &start
		}
		if pp.ExpectedOperations != nil {
			n := int64(math.Ceil(draws[k] * float64(*pp.ExpectedOperations)))
			sp.ExpectedKeys = &n
		}
		out = append(out, sp)
	}
	return out
}
