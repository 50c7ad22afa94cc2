package stream

import (
	"strconv"
	"testing"

	"github.com/flakebench/fbctl/engine/store"
)

// Handing a record to the streamer (the hot path's part of streaming)
// allocates nothing, every record kept or one in ten, on the buffer and
// on the spill queue (TestOfferAllocatesNothing covers the buffer alone).
func TestOfferAllocatesNothingOnEitherQueue(t *testing.T) {
	for _, rate := range []float64{1, 0.1} {
		t.Run("rate="+strconv.FormatFloat(rate, 'g', -1, 64), func(t *testing.T) {
			// No Run: nothing drains, so the first 1024 records fill the
			// buffer and the next ones the spill queue.
			s := New(Options{Store: newMemWriter(), RunID: "run1", WorkerID: "worker-0", FlushRows: 256, BufferRows: 1024,
				SpillRows: 8192, JournalDir: t.TempDir(), Sampler: Sampler{Rate: rate}})
			r, _ := gen(1, 0)
			seq := int64(0)
			allocs := testing.AllocsPerRun(4000, func() {
				seq++
				r.ExecutionSeq = seq
				s.Offer(r)
			})
			st := s.Stats()
			if allocs != 0 && !raceEnabled {
				t.Fatalf("Offer allocates %.2f times per record", allocs)
			}
			if rate == 1 && st.Spilled == 0 {
				t.Fatalf("no record took the spill queue: %+v", st)
			}
			if rate < 1 && st.SampledOut == 0 {
				t.Fatalf("no record was sampled out: %+v", st)
			}
		})
	}
}

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
