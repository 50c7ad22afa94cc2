package sfserver

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Hybrid tables and SNOWFLAKE.ACCOUNT_USAGE.AGGREGATE_QUERY_HISTORY.
//
// Snowflake does not record short-running statements on hybrid tables in
// QUERY_HISTORY one by one; it aggregates every statement per minute and
// parameterized query hash in AGGREGATE_QUERY_HISTORY. The server does the
// same: a statement that names a table created with CREATE HYBRID TABLE and
// runs shorter than Options.HybridHistoryMin is left out of QUERY_HISTORY,
// and every statement is counted in the per-minute aggregate.

// DefaultHybridHistoryMin is the elapsed time under which a hybrid-table
// statement is only aggregated (Snowflake documents "short-running", about
// a second).
const DefaultHybridHistoryMin = time.Second

// aggregateTable is the per-connection TEMP table that
// AGGREGATE_QUERY_HISTORY references are rewritten to.
const aggregateTable = "sfserver_aggregate_history"

// maxAggregateSamples bounds the elapsed times kept per bucket for its
// percentiles; calls and sums stay exact past it.
const maxAggregateSamples = 100000

// aggregateColumns are the emulated columns of AGGREGATE_QUERY_HISTORY (a
// subset of Snowflake's). The *_TIME columns are OBJECTs of statistics in
// milliseconds (sum, avg, stddev, min, median, p90, p99, p99.9, max);
// ERRORS is an ARRAY of {code, message, count}.
var aggregateColumns = []struct{ name, typ string }{
	{"INTERVAL_START_TIME", "TIMESTAMP_LTZ"}, {"INTERVAL_END_TIME", "TIMESTAMP_LTZ"},
	{"QUERY_PARAMETERIZED_HASH", "VARCHAR"}, {"QUERY_TEXT", "VARCHAR"},
	{"DATABASE_NAME", "VARCHAR"}, {"SCHEMA_NAME", "VARCHAR"}, {"QUERY_TYPE", "VARCHAR"},
	{"USER_NAME", "VARCHAR"}, {"ROLE_NAME", "VARCHAR"}, {"WAREHOUSE_NAME", "VARCHAR"},
	{"WAREHOUSE_SIZE", "VARCHAR"}, {"WAREHOUSE_TYPE", "VARCHAR"}, {"QUERY_TAG", "VARCHAR"},
	{"CALLS", "NUMBER(38,0)"}, {"TOTAL_ELAPSED_TIME", "OBJECT"}, {"COMPILATION_TIME", "OBJECT"},
	{"EXECUTION_TIME", "OBJECT"}, {"QUEUED_OVERLOAD_TIME", "OBJECT"},
	{"TRANSACTION_BLOCKED_TIME", "OBJECT"}, {"ERRORS", "ARRAY"},
}

type aggKey struct {
	minute                                       int64 // Unix minute
	hash, tag, warehouse, user, role, db, schema string
	queryType                                    string
}

type aggBucket struct {
	text                          string
	calls                         int64
	elapsed, compile, exec, queue []float64 // ms, up to maxAggregateSamples
	errors                        map[string]*aggError
}

type aggError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// parameterized returns the parameterized hash of a statement (literals and
// binds replaced by ?, identifiers upper-cased, whitespace normalised) and
// whether it names a hybrid table.
func (s *Server) parameterized(sqlText string) (hash string, hybrid bool) {
	toks, _, err := tokenize(sqlText)
	if err != nil {
		sum := md5.Sum([]byte(sqlText))
		return hex.EncodeToString(sum[:]), false
	}
	var b strings.Builder
	s.mu.Lock()
	for _, t := range toks {
		text := t.text
		switch t.kind {
		case tkString, tkNumber, tkParam:
			text = "?"
		case tkIdent, tkQuoted:
			text = unquote(t)
			hybrid = hybrid || s.hybrid[text]
		}
		b.WriteString(text)
		b.WriteByte(' ')
	}
	s.mu.Unlock()
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:]), hybrid
}

// noteTable remembers whether a table just created is hybrid.
func (s *Server) noteTable(name, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == "HYBRID" {
		s.hybrid[name] = true
	} else {
		delete(s.hybrid, name)
	}
}

// individually reports whether rec goes into QUERY_HISTORY.
func (s *Server) individually(rec *historyRecord) bool {
	min := s.opts.HybridHistoryMin
	if min == 0 {
		min = DefaultHybridHistoryMin
	}
	return !rec.Hybrid || min < 0 || rec.End.Sub(rec.Start) >= min
}

// aggregate counts rec in its minute's bucket. Called with s.mu held.
func (s *Server) aggregate(rec *historyRecord) {
	k := aggKey{minute: rec.Start.Unix() / 60, hash: rec.ParamHash, tag: rec.QueryTag, warehouse: rec.Warehouse,
		user: rec.User, role: rec.Role, db: rec.Database, schema: rec.Schema, queryType: rec.QueryType}
	b := s.aggs[k]
	if b == nil {
		b = &aggBucket{text: rec.QueryText, errors: map[string]*aggError{}}
		s.aggs[k] = b
	}
	b.calls++
	if len(b.elapsed) < maxAggregateSamples {
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.elapsed = append(b.elapsed, ms(rec.End.Sub(rec.Start)))
		b.compile = append(b.compile, ms(rec.Compilation))
		b.exec = append(b.exec, ms(rec.Execution))
		b.queue = append(b.queue, ms(rec.QueuedOverload))
	}
	if rec.ErrorCode != "" {
		e := b.errors[rec.ErrorCode]
		if e == nil {
			e = &aggError{Code: rec.ErrorCode, Message: rec.ErrorMessage}
			b.errors[rec.ErrorCode] = e
		}
		e.Count++
	}
}

// timeStats is the OBJECT Snowflake reports for a time column of the view.
func timeStats(v []float64) string {
	if len(v) == 0 {
		return `{}`
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	avg := sum / float64(len(s))
	var sq float64
	for _, x := range s {
		sq += (x - avg) * (x - avg)
	}
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	r3 := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	out, _ := json.Marshal(map[string]float64{
		"sum": r3(sum), "avg": r3(avg), "stddev": r3(math.Sqrt(sq / float64(len(s)))), "min": r3(s[0]),
		"median": r3(rank(0.5)), "p90": r3(rank(0.9)), "p99": r3(rank(0.99)), "p99.9": r3(rank(0.999)), "max": r3(s[len(s)-1]),
	})
	return string(out)
}

// syncAggregates rebuilds the session's TEMP snapshot of the aggregates
// (a few rows per minute and query, so a rebuild is cheap).
func (s *Server) syncAggregates(ctx context.Context, se *session) error {
	var cols, marks []string
	for _, c := range aggregateColumns {
		cols = append(cols, c.name+" "+c.typ)
		marks = append(marks, "?")
	}
	type row []any
	var rows []row
	s.mu.Lock()
	for k, b := range s.aggs {
		w := s.whs[k.warehouse]
		size, typ := any(nil), any(nil)
		if w != nil {
			size, typ = w.Size, w.Type
		}
		nullable := func(v string) any {
			if v == "" {
				return nil
			}
			return v
		}
		errs := make([]*aggError, 0, len(b.errors))
		for _, e := range b.errors {
			errs = append(errs, e)
		}
		sort.Slice(errs, func(i, j int) bool { return errs[i].Code < errs[j].Code })
		ej, _ := json.Marshal(errs)
		start := time.Unix(k.minute*60, 0).UTC()
		rows = append(rows, row{start.Format(tsLayout), start.Add(time.Minute).Format(tsLayout), k.hash, b.text,
			nullable(k.db), nullable(k.schema), k.queryType, k.user, k.role, nullable(k.warehouse), size, typ, k.tag,
			b.calls, timeStats(b.elapsed), timeStats(b.compile), timeStats(b.exec), timeStats(b.queue), `{"sum":0,"avg":0,"max":0}`, string(ej)})
	}
	s.mu.Unlock()
	if _, err := se.conn.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+aggregateTable+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return fmt.Errorf("aggregate query history snapshot: %w", err)
	}
	if _, err := se.conn.ExecContext(ctx, "SAVEPOINT sfserver_aggregates"); err != nil {
		return fmt.Errorf("aggregate query history snapshot: %w", err)
	}
	_, err := se.conn.ExecContext(ctx, "DELETE FROM temp."+aggregateTable)
	if err == nil {
		ins, perr := se.conn.PrepareContext(ctx, "INSERT INTO temp."+aggregateTable+" VALUES ("+strings.Join(marks, ",")+")")
		err = perr
		if err == nil {
			defer ins.Close()
			for _, r := range rows {
				if _, err = ins.ExecContext(ctx, r...); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		rctx := context.WithoutCancel(ctx)
		se.conn.ExecContext(rctx, "ROLLBACK TO sfserver_aggregates")
		se.conn.ExecContext(rctx, "RELEASE sfserver_aggregates")
		return fmt.Errorf("aggregate query history snapshot: %w", err)
	}
	if _, err := se.conn.ExecContext(ctx, "RELEASE sfserver_aggregates"); err != nil {
		return fmt.Errorf("aggregate query history snapshot: %w", err)
	}
	return nil
}

// aggregateRefLen returns how many tokens [SNOWFLAKE.]ACCOUNT_USAGE.
// AGGREGATE_QUERY_HISTORY takes at toks[i:] (0 if it is not there).
func aggregateRefLen(toks []token, i int) int {
	for _, skip := range []int{0, 2} {
		j := i + skip
		if skip == 2 && !(i+1 < len(toks) && unquote(toks[i]) == "SNOWFLAKE" && toks[i+1].is(".")) {
			continue
		}
		if j+2 < len(toks) && unquote(toks[j]) == "ACCOUNT_USAGE" && toks[j+1].is(".") &&
			unquote(toks[j+2]) == "AGGREGATE_QUERY_HISTORY" {
			return skip + 3
		}
	}
	return 0
}

// aggregateSource is the sub-select an AGGREGATE_QUERY_HISTORY reference
// becomes.
func aggregateSource() token {
	names := make([]string, len(aggregateColumns))
	for i, c := range aggregateColumns {
		names[i] = c.name
	}
	return token{tkIdent, "(SELECT " + strings.Join(names, ", ") + " FROM temp." + aggregateTable + ")"}
}
