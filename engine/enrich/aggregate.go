package enrich

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// Latency bounds of SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY: rows
// appear 45 minutes to 3 hours after the queries ran.
const (
	AggregateMinDelay = 45 * time.Minute
	AggregateMaxDelay = 3 * time.Hour
)

// AggregateRow is one minute of one parameterized query of the run.
type AggregateRow struct {
	IntervalStart    time.Time
	QueryHash        string // QUERY_PARAMETERIZED_HASH
	QueryTag         string
	Calls            int64
	AvgElapsedMS     float64
	P90ElapsedMS     float64
	P99ElapsedMS     float64
	MaxElapsedMS     float64
	ErrorsInInterval int64
}

// AggregateReport is what Aggregate found, or why it found nothing yet.
type AggregateReport struct {
	Available bool
	// Explanation says what the view is, its delay, and when to retry.
	Explanation string
	RetryAfter  time.Time // zero when Available or when retrying cannot help
	Rows        []AggregateRow
}

var runIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

const aggregateSQL = `SELECT INTERVAL_START_TIME, QUERY_PARAMETERIZED_HASH, QUERY_TAG, CALLS,
       TOTAL_ELAPSED_TIME:"avg"::NUMBER(38,3), TOTAL_ELAPSED_TIME:"p90"::NUMBER(38,3),
       TOTAL_ELAPSED_TIME:"p99"::NUMBER(38,3), TOTAL_ELAPSED_TIME:"max"::NUMBER(38,3),
       COALESCE(ARRAY_SIZE(ERRORS), 0)
  FROM SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY
 WHERE INTERVAL_START_TIME >= TO_TIMESTAMP_LTZ('%s')
   AND INTERVAL_START_TIME < TO_TIMESTAMP_LTZ('%s')
   AND QUERY_TAG LIKE '%%%s%%'
 ORDER BY INTERVAL_START_TIME, QUERY_PARAMETERIZED_HASH`

// Aggregate reads the per-minute aggregates of run's queries (matched by
// the run id in QUERY_TAG) from ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY. Right
// after a run it reads nothing and says when to come back.
func Aggregate(ctx context.Context, db *sql.DB, run store.Run, now time.Time) (AggregateReport, error) {
	from, to, err := Window(run, now)
	if err != nil {
		return AggregateReport{}, err
	}
	if !runIDRE.MatchString(run.ID) {
		return AggregateReport{}, fmt.Errorf("enrich: run id %q cannot be matched in QUERY_TAG", run.ID)
	}
	rep := AggregateReport{Explanation: "SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY holds per-minute aggregates " +
		"(calls, elapsed-time percentiles, errors) of every query, including the short hybrid-table queries " +
		"QUERY_HISTORY leaves out; Snowflake fills it 45 minutes to 3 hours after the queries ran."}
	if age := now.Sub(to); age < AggregateMinDelay {
		rep.RetryAfter = to.Add(AggregateMinDelay)
		rep.Explanation += fmt.Sprintf(" The run ended %s ago: retry after %s (complete by %s).",
			age.Round(time.Second), rep.RetryAfter.UTC().Format(time.RFC3339), to.Add(AggregateMaxDelay).UTC().Format(time.RFC3339))
		return rep, nil
	}
	const layout = "2006-01-02 15:04:05.000000 -0700"
	q := fmt.Sprintf(aggregateSQL, from.Truncate(time.Minute).Format(layout), to.Add(time.Minute).Format(layout), run.ID)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		rep.Explanation += " It could not be read: " + err.Error() +
			" (it needs IMPORTED PRIVILEGES on the SNOWFLAKE database, and does not exist outside Snowflake)."
		return rep, nil
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r                   AggregateRow
			hash, tag           sql.NullString
			avg, p90, p99, mx   sql.NullFloat64
			calls, errsInMinute sql.NullInt64
		)
		if err := rows.Scan(&r.IntervalStart, &hash, &tag, &calls, &avg, &p90, &p99, &mx, &errsInMinute); err != nil {
			return rep, fmt.Errorf("enrich: read AGGREGATE_QUERY_HISTORY: %w", err)
		}
		r.QueryHash, r.QueryTag, r.Calls = hash.String, tag.String, calls.Int64
		r.AvgElapsedMS, r.P90ElapsedMS, r.P99ElapsedMS, r.MaxElapsedMS = avg.Float64, p90.Float64, p99.Float64, mx.Float64
		r.ErrorsInInterval = errsInMinute.Int64
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("enrich: read AGGREGATE_QUERY_HISTORY: %w", err)
	}
	rep.Available = len(rep.Rows) > 0
	if !rep.Available && now.Sub(to) < AggregateMaxDelay {
		rep.RetryAfter = to.Add(AggregateMaxDelay)
		rep.Explanation += fmt.Sprintf(" Nothing yet for this run: retry after %s.", rep.RetryAfter.UTC().Format(time.RFC3339))
	}
	return rep, nil
}
