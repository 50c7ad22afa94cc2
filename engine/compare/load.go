package compare

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// Reader is what Load needs of the results store.
type Reader interface {
	GetRun(ctx context.Context, runID string) (store.Run, error)
	GetTestResult(ctx context.Context, testID string) (store.TestResult, error)
	ListMetricsSnapshots(ctx context.Context, runID string) ([]store.MetricsSnapshot, error)
	RunTags(ctx context.Context, runID string) (map[string]string, error)
}

var _ Reader = (*store.Store)(nil)

// Load reads one side of a comparison: the run, its plan, its parent
// row's phases, its exact interval series and its tags.
func Load(ctx context.Context, st Reader, runID string) (Run, error) {
	var out Run
	r, err := st.GetRun(ctx, runID)
	if err != nil {
		return out, err
	}
	out.Run = r
	if len(r.Plan) > 0 {
		if err := json.Unmarshal(r.Plan, &out.Plan); err != nil {
			return out, fmt.Errorf("run %s: the stored plan is unreadable: %w", runID, err)
		}
	}
	parent, err := st.GetTestResult(ctx, runID)
	if err != nil {
		return out, fmt.Errorf("run %s has no merged results yet (is it still running?): %w", runID, err)
	}
	if len(parent.PhaseResults) > 0 {
		if err := json.Unmarshal(parent.PhaseResults, &out.Phases); err != nil {
			return out, fmt.Errorf("run %s: phase results are unreadable: %w", runID, err)
		}
	}
	snaps, err := st.ListMetricsSnapshots(ctx, runID)
	if err != nil {
		return out, err
	}
	if out.Series, err = results.Series(snaps); err != nil {
		return out, fmt.Errorf("run %s: %w", runID, err)
	}
	if out.Tags, err = st.RunTags(ctx, runID); err != nil {
		return out, err
	}
	return out, nil
}
