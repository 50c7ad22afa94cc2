package sfserver

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// historyTable is the per-connection TEMP table that QUERY_HISTORY
// references are rewritten to. The server keeps the history in memory and
// refreshes a session's snapshot just before a statement that reads it, so
// recording a query never takes SQLite's write lock (a session holding an
// open transaction would otherwise block every other session's queries).
const historyTable = "sfserver_query_history"

const maxHistory = 200000

// historySeqCol orders the snapshot rows; it is not exposed.
const historySeqCol = "SFSERVER_SEQ"

// historyRecord is one executed statement, as QUERY_HISTORY reports it.
type historyRecord struct {
	Seq                                     int64 // 1, 2, … in recording order
	QueryID, QueryText, QueryTag, QueryType string
	SessionID                               int64
	User, Role, Warehouse, Database, Schema string
	Status, ErrorCode, ErrorMessage         string
	Start, End                              time.Time
	Compilation, Execution, QueuedOverload  time.Duration
	BytesScanned, RowsProduced              int64
	ParamHash                               string // QUERY_PARAMETERIZED_HASH
	Hybrid                                  bool   // names a hybrid table
}

// historyColumns are the emulated columns (a subset of Snowflake's), with the
// Snowflake types they are reported as.
var historyColumns = []struct{ name, typ string }{
	{"QUERY_ID", "VARCHAR"}, {"QUERY_TEXT", "VARCHAR"}, {"DATABASE_NAME", "VARCHAR"},
	{"SCHEMA_NAME", "VARCHAR"}, {"QUERY_TYPE", "VARCHAR"}, {"SESSION_ID", "NUMBER(38,0)"},
	{"USER_NAME", "VARCHAR"}, {"ROLE_NAME", "VARCHAR"}, {"WAREHOUSE_NAME", "VARCHAR"},
	{"WAREHOUSE_SIZE", "VARCHAR"}, {"WAREHOUSE_TYPE", "VARCHAR"}, {"CLUSTER_NUMBER", "NUMBER(38,0)"},
	{"QUERY_TAG", "VARCHAR"}, {"EXECUTION_STATUS", "VARCHAR"}, {"ERROR_CODE", "VARCHAR"},
	{"ERROR_MESSAGE", "VARCHAR"}, {"START_TIME", "TIMESTAMP_LTZ"}, {"END_TIME", "TIMESTAMP_LTZ"},
	{"TOTAL_ELAPSED_TIME", "NUMBER(38,0)"}, {"BYTES_SCANNED", "NUMBER(38,0)"},
	{"ROWS_PRODUCED", "NUMBER(38,0)"}, {"COMPILATION_TIME", "NUMBER(38,0)"},
	{"EXECUTION_TIME", "NUMBER(38,0)"}, {"QUEUED_PROVISIONING_TIME", "NUMBER(38,0)"},
	{"QUEUED_REPAIR_TIME", "NUMBER(38,0)"}, {"QUEUED_OVERLOAD_TIME", "NUMBER(38,0)"},
	{"TRANSACTION_BLOCKED_TIME", "NUMBER(38,0)"}, {"QUERY_PARAMETERIZED_HASH", "VARCHAR"},
}

func (r *historyRecord) values(whSize, whType string) []any {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	cluster := any(nil)
	if r.Warehouse != "" {
		cluster = int64(1)
	}
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	return []any{
		r.QueryID, r.QueryText, nullable(r.Database), nullable(r.Schema), r.QueryType, r.SessionID,
		r.User, r.Role, nullable(r.Warehouse), nullable(whSize), nullable(whType), cluster,
		r.QueryTag, r.Status, nullable(r.ErrorCode), nullable(r.ErrorMessage),
		r.Start.UTC().Format(tsLayout), r.End.UTC().Format(tsLayout),
		ms(r.End.Sub(r.Start)), r.BytesScanned, r.RowsProduced, ms(r.Compilation),
		ms(r.Execution), int64(0), int64(0), ms(r.QueuedOverload), int64(0), r.ParamHash,
	}
}

// syncHistory brings the session's TEMP snapshot of the query history up to
// date. It appends only the records after the highest sequence number the
// snapshot holds, so it stays cheap and is still right after a ROLLBACK
// undid an earlier sync.
func (s *Server) syncHistory(ctx context.Context, se *session) error {
	var cols, marks []string
	for _, c := range historyColumns {
		cols = append(cols, c.name+" "+c.typ)
		marks = append(marks, "?")
	}
	create := "CREATE TEMP TABLE IF NOT EXISTS " + historyTable + " (" + strings.Join(cols, ", ") + ", " + historySeqCol + " INTEGER)"
	if _, err := se.conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("query history snapshot: %w", err)
	}
	var last int64
	if err := se.conn.QueryRowContext(ctx, "SELECT COALESCE(MAX("+historySeqCol+"), 0) FROM temp."+historyTable).Scan(&last); err != nil {
		return fmt.Errorf("query history snapshot: %w", err)
	}
	s.mu.Lock()
	var recs []historyRecord
	if n := len(s.history); n > 0 {
		first := max(0, n-int(s.histSeq-last)) // records are in Seq order
		recs = append(recs, s.history[first:]...)
	}
	// Statements in flight are snapshot rows with a negative sequence
	// number, replaced on every sync (they end, or move on).
	now := time.Now()
	for _, r := range s.running {
		r.Seq, r.End = -1, now
		recs = append(recs, r)
	}
	sizes := map[string][2]string{}
	for name, w := range s.whs {
		sizes[name] = [2]string{w.Size, w.Type}
	}
	s.mu.Unlock()
	if _, err := se.conn.ExecContext(ctx, "SAVEPOINT sfserver_history"); err != nil {
		return fmt.Errorf("query history snapshot: %w", err)
	}
	if _, err := se.conn.ExecContext(ctx, "DELETE FROM temp."+historyTable+" WHERE "+historySeqCol+" < 0"); err != nil {
		se.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO sfserver_history")
		se.conn.ExecContext(context.WithoutCancel(ctx), "RELEASE sfserver_history")
		return fmt.Errorf("query history snapshot: %w", err)
	}
	ins, err := se.conn.PrepareContext(ctx, "INSERT INTO temp."+historyTable+" VALUES ("+strings.Join(marks, ",")+", ?)")
	if err == nil {
		defer ins.Close()
		for i := range recs {
			sz := sizes[recs[i].Warehouse]
			if _, err = ins.ExecContext(ctx, append(recs[i].values(sz[0], sz[1]), recs[i].Seq)...); err != nil {
				break
			}
		}
	}
	if err != nil {
		rctx := context.WithoutCancel(ctx)
		se.conn.ExecContext(rctx, "ROLLBACK TO sfserver_history")
		se.conn.ExecContext(rctx, "RELEASE sfserver_history")
		return fmt.Errorf("query history snapshot: %w", err)
	}
	if _, err := se.conn.ExecContext(ctx, "RELEASE sfserver_history"); err != nil {
		return fmt.Errorf("query history snapshot: %w", err)
	}
	return nil
}

// historySelectList is the column list QUERY_HISTORY references expose
// (everything but the internal sequence column).
func historySelectList() string {
	names := make([]string, len(historyColumns))
	for i, c := range historyColumns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// QueryHistory returns a copy of the recorded history (oldest first).
func (s *Server) QueryHistory() []QueryRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]QueryRecord, len(s.history))
	for i, r := range s.history {
		out[i] = QueryRecord{QueryID: r.QueryID, QueryText: r.QueryText, QueryTag: r.QueryTag,
			SessionID: r.SessionID, Warehouse: r.Warehouse, Status: r.Status, ErrorCode: r.ErrorCode,
			Start: r.Start, End: r.End}
	}
	return out
}

// QueryRecord is one entry of the server's query history.
type QueryRecord struct {
	QueryID, QueryText, QueryTag string
	SessionID                    int64
	Warehouse, Status, ErrorCode string
	Start, End                   time.Time
}

// inFlight records a statement that has not ended (QUEUED or RUNNING).
func (s *Server) inFlight(rec *historyRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running[rec.QueryID] = *rec
}
