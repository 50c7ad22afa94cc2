package warehouse

import (
	"context"
	"fmt"
	"sync"

	"github.com/flakebench/fbctl/engine/executor"
)

// QueueSignal decides, from warehouse samples, that a find-max search
// should stop: statements queued on the benchmark warehouse in at least
// MinSamples samples taken during a step. Feed it with Observe (Poller's
// OnSample) and give Signal to executor.FindMax.Signal.
type QueueSignal struct {
	// MinSamples is how many samples with queued statements within one
	// step stop the search (0: 1).
	MinSamples int

	mu      sync.Mutex
	samples []Sample
}

// Observe records a sample.
func (q *QueueSignal) Observe(s Sample) {
	q.mu.Lock()
	q.samples = append(q.samples, s)
	if len(q.samples) > 10000 {
		q.samples = q.samples[len(q.samples)-5000:]
	}
	q.mu.Unlock()
}

// Signal is an executor.StopSignal: stop after a step during which the
// warehouse queued statements.
func (q *QueueSignal) Signal(_ context.Context, step executor.Step) (bool, string) {
	need := max(q.MinSamples, 1)
	q.mu.Lock()
	defer q.mu.Unlock()
	seen, most := 0, int64(0)
	for _, s := range q.samples {
		if s.At.Before(step.Started) || s.At.After(step.Ended) || s.Queued == 0 {
			continue
		}
		seen++
		most = max(most, s.Queued)
	}
	if seen < need {
		return false, ""
	}
	return true, fmt.Sprintf("warehouse queueing: up to %d statements queued at concurrency %d", most, step.Concurrency)
}

var _ executor.StopSignal = (*QueueSignal)(nil).Signal
