package enrich

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
)

// Latency bounds of SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY: rows
// appear 45 minutes to 3 hours after the queries ran.
const (
	AggregateMinDelay = 45 * time.Minute
	AggregateMaxDelay = 3 * time.Hour
)

// AggregateRow is one interval of one parameterized query of the run.
type AggregateRow struct {
	IntervalStart, IntervalEnd time.Time
	QueryHash                  string // QUERY_PARAMETERIZED_HASH
	QueryText                  string
	QueryTag                   string
	Warehouse                  string
	QueryName                  string // the template query whose text matched ("" if none)
	Phase                      string // from fbctl's part of QUERY_TAG ("" if none)
	Calls                      int64
	AvgElapsedMS               float64
	MedianElapsedMS            float64
	P90ElapsedMS               float64
	P99ElapsedMS               float64
	MaxElapsedMS               float64
	AvgCompileMS               float64
	AvgExecutionMS             float64
	AvgQueuedMS                float64
	ErrorsInInterval           int64
	ErrorsJSON                 string // the view's ERRORS array as returned
}

// AggregateReport is what Aggregate found, or why it found nothing yet.
type AggregateReport struct {
	Available bool
	// Explanation says what the view is, its delay, and when to retry.
	Explanation string
	RetryAfter  time.Time // zero when Available or when retrying cannot help
	Rows        []AggregateRow
}

// AggregateOptions configure Aggregate.
type AggregateOptions struct {
	Now time.Time // zero: time.Now()
	// IgnoreDelay reads the view even before AggregateMinDelay has passed
	// (the local server fills it at once; on Snowflake the answer may be
	// partial).
	IgnoreDelay bool
	// Queries maps the run's template query names to their SQL, to name
	// the aggregate rows whose text matches.
	Queries map[string]string
}

var runIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

const aggregateSQL = `SELECT INTERVAL_START_TIME, INTERVAL_END_TIME, QUERY_PARAMETERIZED_HASH, QUERY_TEXT, QUERY_TAG,
       WAREHOUSE_NAME, CALLS,
       TOTAL_ELAPSED_TIME:"avg"::NUMBER(38,3), TOTAL_ELAPSED_TIME:"median"::NUMBER(38,3),
       TOTAL_ELAPSED_TIME:"p90"::NUMBER(38,3), TOTAL_ELAPSED_TIME:"p99"::NUMBER(38,3),
       TOTAL_ELAPSED_TIME:"max"::NUMBER(38,3), COMPILATION_TIME:"avg"::NUMBER(38,3),
       EXECUTION_TIME:"avg"::NUMBER(38,3), QUEUED_OVERLOAD_TIME:"avg"::NUMBER(38,3), ERRORS
  FROM SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY
 WHERE INTERVAL_START_TIME >= TO_TIMESTAMP_LTZ('%s')
   AND INTERVAL_START_TIME < TO_TIMESTAMP_LTZ('%s')
   AND QUERY_TAG LIKE '%%%s%%'
 ORDER BY INTERVAL_START_TIME, QUERY_PARAMETERIZED_HASH`

// Aggregate reads the per-interval aggregates of run's queries (matched by
// the run id in QUERY_TAG and the run's window) from
// ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY. Right after a run it reads nothing
// and says when to come back, unless opts.IgnoreDelay.
func Aggregate(ctx context.Context, db *sql.DB, run store.Run, opts AggregateOptions) (AggregateReport, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
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
	if age := now.Sub(to); age < AggregateMinDelay && !opts.IgnoreDelay {
		rep.RetryAfter = to.Add(AggregateMinDelay)
		rep.Explanation += fmt.Sprintf(" The run ended %s ago: retry after %s (complete by %s).",
			age.Round(time.Second), rep.RetryAfter.UTC().Format(time.RFC3339), to.Add(AggregateMaxDelay).UTC().Format(time.RFC3339))
		return rep, nil
	}
	// An offset with a colon: Snowflake's AUTO timestamp format reads it,
	// and so does SQLite behind the local server.
	const layout = "2006-01-02 15:04:05.000000 -07:00"
	q := fmt.Sprintf(aggregateSQL, from.Truncate(time.Minute).Format(layout), to.Add(time.Minute).Format(layout), run.ID)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		rep.Explanation += " It could not be read: " + err.Error() +
			" (it needs IMPORTED PRIVILEGES on the SNOWFLAKE database, and does not exist outside Snowflake)."
		return rep, nil
	}
	defer rows.Close()
	names := newQueryNamer(opts.Queries)
	for rows.Next() {
		var (
			r                                   AggregateRow
			end                                 sql.NullTime
			hash, text, tag, wh, errs           sql.NullString
			avg, med, p90, p99, mx, cmp, ex, qu sql.NullFloat64
			calls                               sql.NullInt64
		)
		if err := rows.Scan(&r.IntervalStart, &end, &hash, &text, &tag, &wh, &calls, &avg, &med, &p90, &p99, &mx,
			&cmp, &ex, &qu, &errs); err != nil {
			return rep, fmt.Errorf("enrich: read AGGREGATE_QUERY_HISTORY: %w", err)
		}
		r.IntervalEnd = end.Time
		if !end.Valid {
			r.IntervalEnd = r.IntervalStart.Add(time.Minute)
		}
		r.QueryHash, r.QueryText, r.QueryTag, r.Warehouse, r.Calls = hash.String, text.String, tag.String, wh.String, calls.Int64
		r.AvgElapsedMS, r.MedianElapsedMS, r.P90ElapsedMS, r.P99ElapsedMS, r.MaxElapsedMS = avg.Float64, med.Float64, p90.Float64, p99.Float64, mx.Float64
		r.AvgCompileMS, r.AvgExecutionMS, r.AvgQueuedMS = cmp.Float64, ex.Float64, qu.Float64
		r.ErrorsJSON = errs.String
		r.ErrorsInInterval = countErrors(errs.String)
		r.QueryName = names.name(r.QueryText)
		if tag, ok := target.ParseQueryTag(r.QueryTag); ok {
			r.Phase = tag.Phase
		}
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

// countErrors sums the counts of the view's ERRORS array (objects with a
// count; an entry without one counts once).
func countErrors(s string) int64 {
	if s == "" {
		return 0
	}
	var errs []map[string]any
	if json.Unmarshal([]byte(s), &errs) != nil {
		return 0
	}
	var n int64
	for _, e := range errs {
		switch c := e["count"].(type) {
		case float64:
			n += int64(c)
		default:
			n++
		}
	}
	return n
}

// queryNamer matches aggregate texts to template queries by their
// normalised text: whitespace collapsed, literals replaced by ?, case
// folded, a trailing semicolon dropped.
type queryNamer map[string]string

var (
	literalRE = regexp.MustCompile(`'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b`)
	spaceRE   = regexp.MustCompile(`\s+`)
)

func normaliseSQL(q string) string {
	q = strings.TrimSuffix(strings.TrimSpace(q), ";")
	q = literalRE.ReplaceAllString(q, "?")
	return strings.ToUpper(spaceRE.ReplaceAllString(strings.TrimSpace(q), " "))
}

func newQueryNamer(queries map[string]string) queryNamer {
	n := queryNamer{}
	keys := make([]string, 0, len(queries))
	for k := range queries {
		keys = append(keys, k)
	}
	sort.Strings(keys) // two queries with one text: the first name wins, stably
	for _, k := range keys {
		if t := normaliseSQL(queries[k]); n[t] == "" {
			n[t] = k
		}
	}
	return n
}

func (n queryNamer) name(text string) string { return n[normaliseSQL(text)] }

// StoreRows converts the report's rows for QUERY_AGGREGATES (integer
// microseconds).
func (rep AggregateReport) StoreRows(runID string, collected time.Time) []store.QueryAggregate {
	us := func(ms float64) sql.NullInt64 { return sql.NullInt64{Int64: int64(math.Round(ms * 1000)), Valid: true} }
	out := make([]store.QueryAggregate, len(rep.Rows))
	for i, r := range rep.Rows {
		var errs json.RawMessage
		if r.ErrorsJSON != "" && json.Valid([]byte(r.ErrorsJSON)) {
			errs = json.RawMessage(r.ErrorsJSON)
		}
		out[i] = store.QueryAggregate{RunID: runID, IntervalStart: r.IntervalStart, IntervalEnd: r.IntervalEnd,
			QueryHash: r.QueryHash, QueryTag: r.QueryTag, Warehouse: r.Warehouse, QueryName: r.QueryName, QueryText: r.QueryText,
			Calls: r.Calls, Errors: r.ErrorsInInterval, ElapsedAvgUS: us(r.AvgElapsedMS), ElapsedMedianUS: us(r.MedianElapsedMS),
			ElapsedP90US: us(r.P90ElapsedMS), ElapsedP99US: us(r.P99ElapsedMS), ElapsedMaxUS: us(r.MaxElapsedMS),
			CompileAvgUS: us(r.AvgCompileMS), ExecutionAvgUS: us(r.AvgExecutionMS), QueuedAvgUS: us(r.AvgQueuedMS),
			ErrorsJSON: errs, CollectedAt: collected}
	}
	return out
}
