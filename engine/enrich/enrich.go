package enrich

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/engine/store"
)

// Store is the part of *store.Store enrichment uses.
type Store interface {
	ListExecutionRefs(ctx context.Context, runID string) ([]store.ExecutionRef, error)
	UpdateServerTimings(ctx context.Context, runID string, timings []store.ServerTiming) (int64, error)
}

var _ Store = (*store.Store)(nil)

// History reads a target's query history: the timings of every query that
// ended within [from, to).
type History interface {
	Timings(ctx context.Context, from, to time.Time) ([]store.ServerTiming, error)
}

// Options configure Run.
type Options struct {
	Logger hclog.Logger // nil: no logging
	// Slack widens the run's window on both sides (clock skew between this
	// host and the target; default 1 minute).
	Slack time.Duration
	// HybridTables says the run's templates use hybrid tables, whose
	// short queries Snowflake leaves out of QUERY_HISTORY; the report then
	// explains low coverage.
	HybridTables bool
	// Now is the clock for a run that has not ended (nil: time.Now).
	Now func() time.Time
}

// Report is what one enrichment pass did.
type Report struct {
	RunID       string
	From, To    time.Time // the history window read
	Executions  int       // stored QUERY_EXECUTIONS rows of the run
	WithQueryID int       // of those, rows with a TARGET_QUERY_ID
	HistoryRows int       // history rows read in the window
	Matched     int       // rows with a query id found in the history
	Updated     int64     // rows the store changed
	Notes       []string  // explanations for the person reading the report
}

// Coverage is Matched over Executions (0 when there are none).
func (r Report) Coverage() float64 {
	if r.Executions == 0 {
		return 0
	}
	return float64(r.Matched) / float64(r.Executions)
}

// HybridNote explains why hybrid-table runs are partly covered.
const HybridNote = "hybrid tables: Snowflake does not record short-running queries on hybrid tables in " +
	"INFORMATION_SCHEMA.QUERY_HISTORY, so those executions keep no server timings of their own; " +
	"their calls and elapsed-time statistics per minute come from ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY " +
	"(read by the same command once available, 45 minutes to 3 hours after the run)"

// Run enriches the stored executions of run from h and writes the matched
// timings through st.
func Run(ctx context.Context, st Store, h History, run store.Run, opts Options) (Report, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Slack <= 0 {
		opts.Slack = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rep := Report{RunID: run.ID}
	from, to, err := Window(run, opts.Now())
	if err != nil {
		return rep, err
	}
	rep.From, rep.To = from.Add(-opts.Slack), to.Add(opts.Slack)
	refs, err := st.ListExecutionRefs(ctx, run.ID)
	if err != nil {
		return rep, err
	}
	rep.Executions = len(refs)
	want := make(map[string]bool, len(refs))
	for _, r := range refs {
		if r.TargetQueryID != "" {
			rep.WithQueryID++
			want[r.TargetQueryID] = true
		}
	}
	if rep.WithQueryID == 0 {
		rep.Notes = append(rep.Notes, "no stored execution carries a target query id: nothing to match (was the run's target Snowflake, and were executions stored?)")
		return rep, nil
	}
	hist, err := h.Timings(ctx, rep.From, rep.To)
	if err != nil {
		return rep, fmt.Errorf("run %s: read the query history: %w", run.ID, err)
	}
	rep.HistoryRows = len(hist)
	var matched []store.ServerTiming
	seen := map[string]bool{}
	for _, t := range hist {
		if want[t.TargetQueryID] && !seen[t.TargetQueryID] {
			seen[t.TargetQueryID] = true
			matched = append(matched, t)
		}
	}
	for _, r := range refs {
		if seen[r.TargetQueryID] {
			rep.Matched++
		}
	}
	opts.Logger.Debug("query history read", "run", run.ID, "rows", len(hist), "matched", len(matched))
	if rep.Updated, err = st.UpdateServerTimings(ctx, run.ID, matched); err != nil {
		return rep, err
	}
	if rep.Matched < rep.WithQueryID {
		if opts.HybridTables {
			rep.Notes = append(rep.Notes, HybridNote)
		} else {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d executions with a query id were not found in the history between %s and %s "+
				"(history can lag a few seconds behind; rerun `fbctl enrich %s` later)",
				rep.WithQueryID-rep.Matched, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), run.ID))
		}
	}
	if n := rep.Executions - rep.WithQueryID; n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d executions have no target query id (failed before reaching the server, or the driver gave none)", n))
	}
	return rep, nil
}

// Window is the run's time span: its start (else creation) to its end
// (else now, for a run still going).
func Window(run store.Run, now time.Time) (from, to time.Time, err error) {
	from = run.CreatedAt
	if run.StartTime != nil {
		from = *run.StartTime
	}
	to = now
	if run.EndTime != nil {
		to = *run.EndTime
	}
	if from.IsZero() {
		return from, to, errors.New("enrich: the run has no start time")
	}
	if to.Before(from) {
		to = from
	}
	return from.UTC(), to.UTC(), nil
}

// ms converts a history column in milliseconds to microseconds.
func ms(v sql.NullInt64) sql.NullInt64 {
	if !v.Valid {
		return v
	}
	return sql.NullInt64{Int64: v.Int64 * 1000, Valid: true}
}
