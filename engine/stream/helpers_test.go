package stream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/pgtest"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var errDown = errors.New("store down (test)")

// memWriter is an in-memory Writer that can refuse writes: while down is
// set, or until failUntil. It records every row by execution id and
// counts duplicates.
type memWriter struct {
	mu        sync.Mutex
	rows      map[string]store.QueryExecution
	dups      int
	calls     int
	down      bool
	failUntil time.Time
	keep      bool // keep rows (false: count only)
	n         int64
}

func newMemWriter() *memWriter {
	return &memWriter{rows: map[string]store.QueryExecution{}, keep: true}
}

func (w *memWriter) InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.down || time.Now().Before(w.failUntil) {
		return errDown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.n += int64(len(batch))
	if !w.keep {
		return nil
	}
	for _, r := range batch {
		if _, ok := w.rows[r.ExecutionID]; ok {
			w.dups++
		}
		w.rows[r.ExecutionID] = r
	}
	return nil
}

func (w *memWriter) setDown(d bool) {
	w.mu.Lock()
	w.down = d
	w.mu.Unlock()
}

func (w *memWriter) count() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// failingWriter wraps a real store and refuses writes while down.
type failingWriter struct {
	inner Writer
	mu    sync.Mutex
	down  bool
	fails int
}

func (w *failingWriter) InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error {
	w.mu.Lock()
	down := w.down
	if down {
		w.fails++
	}
	w.mu.Unlock()
	if down {
		return fmt.Errorf("insert %d query executions: %w", len(batch), errDown)
	}
	return w.inner.InsertQueryExecutions(ctx, batch)
}

func (w *failingWriter) setDown(d bool) {
	w.mu.Lock()
	w.down = d
	w.mu.Unlock()
}

// kind of a generated record.
type kind int

const (
	kindMeasure kind = iota
	kindWarmup
	kindError
)

// gen makes record seq: every 10th an error, the first warmupN warmup.
func gen(seq int64, warmupN int64) (executor.Record, kind) {
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC).UnixMicro() + seq*100
	r := executor.Record{
		ExecutionSeq:  seq,
		Phase:         "steady",
		Query:         "point_lookup",
		Kind:          "read",
		IntendedStart: now,
		ActualStart:   now + 5,
		LatencyUS:     250 + seq%97,
		ServiceUS:     245 + seq%97,
		Success:       true,
		Rows:          1,
	}
	k := kindMeasure
	if seq <= warmupN {
		r.Phase, r.Warmup = "warmup", true
		k = kindWarmup
	}
	if seq%10 == 0 {
		r.Success, r.ErrorCode, r.SQLState, r.ErrorMessage, r.Rows = false, "40001", "40001", "serialization failure", 0
		k = kindError
	}
	return r, k
}
