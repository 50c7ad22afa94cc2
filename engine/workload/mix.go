package workload

import (
	"errors"
	"fmt"
)

// Mix picks queries by smooth weighted round-robin (the nginx algorithm):
// over every cycle of sum(weights) picks, query i is picked exactly
// weights[i] times, and picks of heavy queries are spread between the light
// ones instead of bunched. It is deterministic; connections start at
// different offsets of the cycle so they do not send the same query at the
// same moment. A Mix is used by one goroutine.
type Mix struct {
	weights []int64
	current []int64
	total   int64
}

// NewMix returns a mix over the given weights (one per query, >= 0, at
// least one > 0), advanced by offset picks.
func NewMix(weights []int64, offset int) (*Mix, error) {
	m := &Mix{weights: append([]int64(nil), weights...), current: make([]int64, len(weights))}
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("query mix: weight %d of query %d is negative", w, i)
		}
		m.total += w
	}
	if m.total == 0 {
		return nil, errors.New("query mix: every weight is zero")
	}
	for range int64(offset) % m.total {
		m.Next()
	}
	return m, nil
}

// Len returns the number of picks in one full cycle (the sum of weights).
func (m *Mix) Len() int64 { return m.total }

// Next returns the index of the next query.
func (m *Mix) Next() int {
	best := -1
	for i, w := range m.weights {
		if w == 0 {
			continue
		}
		m.current[i] += w
		if best < 0 || m.current[i] > m.current[best] {
			best = i
		}
	}
	m.current[best] -= m.total
	return best
}
