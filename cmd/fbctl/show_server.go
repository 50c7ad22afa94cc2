package main

import (
	"context"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/store"
)

// loadServerReport reads what the servers said about a run (migration
// 005's tables). A store that cannot answer gives no section rather than
// failing `fbctl show`.
func loadServerReport(ctx context.Context, st *store.Store, runID string) *view.ServerReport {
	fps, err := st.ListRunFingerprints(ctx, runID)
	if err != nil {
		return nil
	}
	aggs, _ := st.ListQueryAggregates(ctx, runID)
	samples, _ := st.ListServerSamples(ctx, runID)
	waits, _ := st.ListLockWaits(ctx, runID)
	r := view.SummarizeServer(fps, aggs, samples, waits)
	if r.Empty() {
		return nil
	}
	return r
}
