package stream

import (
	"strconv"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

// Turning a batch into rows allocates once for the whole batch (the
// execution ids' buffer), and every row keeps its own id.
func TestToRowsAllocatesOncePerBatch(t *testing.T) {
	s := New(Options{Store: newMemWriter(), RunID: "run1", WorkerID: "worker-0", JournalDir: t.TempDir()})
	batch := make([]slot, 1000)
	for i := range batch {
		r, _ := gen(int64(i+1), 0)
		batch[i] = slot{rec: r, weight: 1}
	}
	rows := make([]store.QueryExecution, 0, len(batch))
	allocs := testing.AllocsPerRun(20, func() { rows = s.toRows(rows[:0], batch) })
	if allocs > 1 && !raceEnabled {
		t.Fatalf("%v allocations for a batch of %d rows, want 1", allocs, len(batch))
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if want := "run1-worker-0-" + strconv.Itoa(i+1); r.ExecutionID != want {
			t.Fatalf("row %d: id %q, want %q", i, r.ExecutionID, want)
		}
		seen[r.ExecutionID] = true
	}
	// A second batch does not overwrite the ids of the first.
	first := rows
	rows = s.toRows(make([]store.QueryExecution, 0, 1), batch[:1])
	if first[0].ExecutionID != "run1-worker-0-1" || len(seen) != len(batch) || rows[0].ExecutionID != "run1-worker-0-1" {
		t.Fatalf("ids changed: %q, %d distinct", first[0].ExecutionID, len(seen))
	}
}
