package enrich

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// DefaultResultLimit is the most rows Snowflake's QUERY_HISTORY table
// function returns per call.
const DefaultResultLimit = 10000

// SnowflakeHistory reads INFORMATION_SCHEMA.QUERY_HISTORY through DB (a
// connection to the benchmarked account, as the user that ran the queries
// or a role that sees them).
type SnowflakeHistory struct {
	DB *sql.DB
	// ResultLimit is RESULT_LIMIT per call (0: DefaultResultLimit). A
	// slice of the window that returns this many rows is split in two and
	// read again, down to MinSlice.
	ResultLimit int
	MinSlice    time.Duration // 0: one second
}

// historySQL reads one slice. The bounds are formatted by this package
// (never user input), as literals: Snowflake wants constants there.
const historySQL = `SELECT QUERY_ID, COMPILATION_TIME, QUEUED_PROVISIONING_TIME, QUEUED_REPAIR_TIME, QUEUED_OVERLOAD_TIME,
       EXECUTION_TIME, TOTAL_ELAPSED_TIME, BYTES_SCANNED, ROWS_PRODUCED
  FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(
         END_TIME_RANGE_START => TO_TIMESTAMP_LTZ('%s'),
         END_TIME_RANGE_END => TO_TIMESTAMP_LTZ('%s'),
         RESULT_LIMIT => %d))`

// Timings implements History.
func (h *SnowflakeHistory) Timings(ctx context.Context, from, to time.Time) ([]store.ServerTiming, error) {
	limit := h.ResultLimit
	if limit <= 0 {
		limit = DefaultResultLimit
	}
	minSlice := h.MinSlice
	if minSlice <= 0 {
		minSlice = time.Second
	}
	var out []store.ServerTiming
	seen := map[string]bool{} // a query ending on a slice boundary may come twice
	var read func(from, to time.Time) error
	read = func(from, to time.Time) error {
		rows, err := h.slice(ctx, from, to, limit)
		if err != nil {
			return err
		}
		if len(rows) >= limit && to.Sub(from) > minSlice {
			mid := from.Add(to.Sub(from) / 2)
			if err := read(from, mid); err != nil {
				return err
			}
			return read(mid, to)
		}
		for _, r := range rows {
			if !seen[r.TargetQueryID] {
				seen[r.TargetQueryID] = true
				out = append(out, r)
			}
		}
		return nil
	}
	if err := read(from, to); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *SnowflakeHistory) slice(ctx context.Context, from, to time.Time, limit int) ([]store.ServerTiming, error) {
	const layout = "2006-01-02 15:04:05.000000 -0700"
	q := fmt.Sprintf(historySQL, from.UTC().Format(layout), to.UTC().Format(layout), limit)
	rows, err := h.DB.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ServerTiming
	for rows.Next() {
		var (
			t                                  store.ServerTiming
			compile, qProv, qRepair, qOverload sql.NullInt64
			exec, total                        sql.NullInt64
		)
		if err := rows.Scan(&t.TargetQueryID, &compile, &qProv, &qRepair, &qOverload, &exec, &total,
			&t.BytesScanned, &t.RowsProduced); err != nil {
			return nil, err
		}
		t.CompileUS, t.ExecutionUS, t.TotalElapsedUS = ms(compile), ms(exec), ms(total)
		if qProv.Valid || qRepair.Valid || qOverload.Valid {
			t.QueuedUS = ms(sql.NullInt64{Int64: qProv.Int64 + qRepair.Int64 + qOverload.Int64, Valid: true})
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
