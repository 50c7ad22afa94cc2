package run

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// RecoverStore is what RecoverJournals needs of the results store
// (*store.Store).
type RecoverStore interface {
	stream.Writer
	executionCounter
	GetRun(ctx context.Context, runID string) (store.Run, error)
	ListResults(ctx context.Context, runID string) ([]store.TestResult, error)
	WriteTestResult(ctx context.Context, r store.TestResult) error
}

var _ RecoverStore = (*store.Store)(nil)

// RecoverOptions tune RecoverJournals.
type RecoverOptions struct {
	// AnyState replays the journals of runs in any state (`fbctl
	// recover`); by default only those of ended runs (COMPLETED, FAILED,
	// CANCELLED), since a running run's workers may still write them.
	AnyState bool
}

// Recovered is what RecoverJournals did: the journals it replayed or left,
// and the result rows whose ROWS_STORED it corrected.
type Recovered struct {
	Journals []stream.Replayed
	// Rows is the number of journal rows written (some may have been
	// stored already: a journal keeps rows until it is drained entirely);
	// Added is by run how many rows QUERY_EXECUTIONS gained; Runs the runs
	// replayed, in order.
	Rows  int64
	Added map[string]int64
	Runs  []string
}

// RecoverJournals replays the spill journals left in dir by runs of this
// store (stream.Replay): a journal whose run is not in the store is left
// alone (it belongs to another store), one whose run has not ended is left
// unless AnyState. It then makes each touched result row true again:
// ROWS_STORED of every worker row and of the parent is recounted from
// QUERY_EXECUTIONS, and a failure reason that said rows were kept in the
// journal says they were replayed. It is idempotent: a second call finds
// nothing, and replaying rows already stored changes nothing.
func RecoverJournals(ctx context.Context, st RecoverStore, dir string, opts RecoverOptions) (Recovered, error) {
	out := Recovered{Added: map[string]int64{}}
	before := map[string]int64{}
	accept := func(ctx context.Context, runID string) (bool, string) {
		r, err := st.GetRun(ctx, runID)
		if errors.Is(err, store.ErrNotFound) {
			return false, "its run is not in this results store"
		}
		if err != nil {
			return false, err.Error()
		}
		if !opts.AnyState && !r.Status.Terminal() {
			return false, fmt.Sprintf("its run is %s; `fbctl recover` replays it anyway", r.Status)
		}
		if _, ok := before[runID]; !ok {
			n, err := st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: runID})
			if err != nil {
				return false, err.Error()
			}
			before[runID] = n
		}
		return true, ""
	}
	js, err := stream.Replay(ctx, dir, st, stream.ReplayOptions{Accept: accept})
	out.Journals = js
	if err != nil {
		return out, err
	}
	touched := map[string]map[string]bool{} // run → child TEST_IDs
	var order []string
	for _, j := range js {
		if j.Skipped != "" || (j.Err != nil && j.Rows == 0) {
			continue
		}
		out.Rows += j.Rows
		if touched[j.RunID] == nil {
			touched[j.RunID] = map[string]bool{}
			order = append(order, j.RunID)
		}
		touched[j.RunID][j.TestID] = true
	}
	out.Runs = order
	var errs []error
	for _, runID := range order {
		if err := recount(ctx, st, runID, js); err != nil {
			errs = append(errs, err)
		}
		if n, err := st.CountQueryExecutions(ctx, store.QueryExecutionFilter{RunID: runID}); err == nil {
			out.Added[runID] = n - before[runID]
		}
	}
	for _, j := range js {
		if j.Err != nil {
			errs = append(errs, j.Err)
		}
	}
	return out, errors.Join(errs...)
}

// recount sets ROWS_STORED of a run's result rows from QUERY_EXECUTIONS
// and rewrites the failure reasons that named a replayed journal.
func recount(ctx context.Context, st RecoverStore, runID string, js []stream.Replayed) error {
	rows, err := st.ListResults(ctx, runID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		f := store.QueryExecutionFilter{RunID: runID}
		if !r.IsParent() {
			f.TestID = r.TestID
		}
		n, err := st.CountQueryExecutions(ctx, f)
		if err != nil {
			return err
		}
		reason := r.FailureReason
		for _, j := range js {
			if j.RunID == runID && j.Skipped == "" && j.Err == nil {
				reason = strings.ReplaceAll(reason, "; they are kept in "+j.Path, "; they were written later from the spill journal (replayed)")
				reason = strings.ReplaceAll(reason, " (kept in "+j.Path+")", " (written later from the spill journal)")
			}
		}
		if n == r.RowsStored && reason == r.FailureReason {
			continue
		}
		r.RowsStored, r.FailureReason = n, reason
		if err := st.WriteTestResult(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
