package sfserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type queryRequest struct {
	SQLText      string             `json:"sqlText"`
	AsyncExec    bool               `json:"asyncExec"`
	DescribeOnly bool               `json:"describeOnly"`
	Parameters   map[string]any     `json:"parameters"`
	Bindings     map[string]binding `json:"bindings"`
	BindStage    string             `json:"bindStage"`
}

// queryData is the data part of a query response (JSON result format).
type queryData struct {
	QueryID            string           `json:"queryId"`
	StatementTypeID    int64            `json:"statementTypeId"`
	QueryResultFormat  string           `json:"queryResultFormat"`
	RowType            []rowType        `json:"rowtype"`
	RowSet             [][]*string      `json:"rowset"`
	Total              int64            `json:"total"`
	Returned           int64            `json:"returned"`
	Parameters         []map[string]any `json:"parameters,omitempty"`
	FinalDatabaseName  string           `json:"finalDatabaseName,omitempty"`
	FinalSchemaName    string           `json:"finalSchemaName,omitempty"`
	FinalWarehouseName string           `json:"finalWarehouseName,omitempty"`
	FinalRoleName      string           `json:"finalRoleName,omitempty"`
	GetResultURL       string           `json:"getResultUrl,omitempty"`
}

// storedResult keeps a finished query's response for async / fetch-by-id.
type storedResult struct {
	data *queryData
	err  *sqlError
	rec  historyRecord // for the monitoring endpoint, also when only aggregated
}

// sqlError is a Snowflake error: numeric code, SQLSTATE and message.
type sqlError struct {
	Code, State, Msg string
}

func (e *sqlError) Error() string { return e.Code + " (" + e.State + "): " + e.Msg }

const (
	maxStoredResults = 2000  // finished results kept for GET /queries/<qid>/result
	maxStoredRows    = 10000 // larger results are not kept
)

// newQueryID returns an id in Snowflake's format: 8-4-4-4-12 lower-case hex
// whose first byte is 01.
func newQueryID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[0] = 0x01
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	se, ok := s.auth(w, r)
	if !ok {
		return
	}
	var req queryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFail(w, "001003", "42000", "SQL compilation error: malformed query request: "+err.Error(), "")
		return
	}
	qid := newQueryID()
	rec := historyRecord{QueryID: qid, QueryText: req.SQLText, SessionID: se.id, Start: time.Now()}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if reqID := r.URL.Query().Get("requestId"); reqID != "" {
		s.mu.Lock()
		s.inflight[reqID] = cancel
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.inflight, reqID)
			s.mu.Unlock()
		}()
	}
	data, qerr := s.runQuery(ctx, se, &req, &rec)
	rec.End = time.Now()
	if data != nil {
		data.QueryID = qid
	}
	if qerr != nil {
		rec.Status, rec.ErrorCode, rec.ErrorMessage = "FAILED_WITH_ERROR", qerr.Code, qerr.Msg
		s.log.Debug("query failed", "query_id", qid, "code", qerr.Code, "error", qerr.Msg)
	} else {
		rec.Status = "SUCCESS"
	}
	stored := &storedResult{data: data, err: qerr}
	if data != nil && len(data.RowSet) > maxStoredRows {
		stored = &storedResult{err: &sqlError{"000709", "02000", "The local server does not keep results over 10000 rows for later retrieval."}}
	}
	s.finish(rec, stored)
	switch {
	case req.AsyncExec:
		code, msg := "333334", "Asynchronous execution in progress. Use provided query id to perform query monitoring and management."
		writeJSON(w, envelope{Success: true, Code: &code, Message: &msg,
			Data: map[string]any{"queryId": qid, "getResultUrl": "/queries/" + qid + "/result"}})
	case qerr != nil:
		writeFail(w, qerr.Code, qerr.State, qerr.Msg, qid)
	default:
		writeOK(w, data)
	}
}

// finish records a query in the history and keeps its result.
func (s *Server) finish(rec historyRecord, res *storedResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, rec.QueryID)
	s.aggregate(&rec)
	if s.individually(&rec) {
		s.histSeq++
		rec.Seq = s.histSeq
		s.history = append(s.history, rec)
		if len(s.history) > maxHistory {
			s.history = append([]historyRecord(nil), s.history[len(s.history)-maxHistory/2:]...)
		}
	}
	res.rec = rec
	s.results[rec.QueryID] = res
	s.resultIDs = append(s.resultIDs, rec.QueryID)
	if len(s.resultIDs) > maxStoredResults {
		for _, id := range s.resultIDs[:maxStoredResults/2] {
			delete(s.results, id)
		}
		s.resultIDs = append([]string(nil), s.resultIDs[maxStoredResults/2:]...)
	}
}

// runQuery applies fault knobs, translates and executes one statement.
func (s *Server) runQuery(ctx context.Context, se *session, req *queryRequest, rec *historyRecord) (*queryData, *sqlError) {
	if req.BindStage != "" {
		return nil, &sqlError{"000002", "0A000", "Unsupported feature: stage array binding (set CLIENT_STAGE_ARRAY_BINDING_THRESHOLD to 0)."}
	}
	wait, injected := s.faults.match(req.SQLText)
	if wait > 0 {
		// Injected latency is queueing: the statement shows as QUEUED in
		// the history meanwhile.
		se.mu.Lock()
		tag, wh := se.params["QUERY_TAG"], se.warehouse
		se.mu.Unlock()
		if t, ok := req.Parameters["QUERY_TAG"]; ok {
			tag = fmt.Sprint(t)
		}
		q := *rec
		q.QueryTag, q.Warehouse, q.Status = tag, wh, "QUEUED"
		if f := strings.Fields(req.SQLText); len(f) > 0 {
			q.QueryType = strings.ToUpper(f[0]) // not translated yet
		}
		s.inFlight(&q)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, &sqlError{"000604", "57014", "SQL execution canceled"}
		}
	}
	rec.QueuedOverload = wait
	se.mu.Lock()
	defer se.mu.Unlock()
	if se.conn == nil {
		return nil, &sqlError{"390104", "08001", "Session is closed."}
	}
	rec.QueryTag = se.params["QUERY_TAG"]
	if tag, ok := req.Parameters["QUERY_TAG"]; ok {
		rec.QueryTag = fmt.Sprint(tag)
	}
	rec.Warehouse, rec.Database, rec.Schema, rec.User, rec.Role = se.warehouse, se.database, se.schema, se.user, se.role
	rec.ParamHash, rec.Hybrid = s.parameterized(req.SQLText)
	running := *rec
	running.Status = "RUNNING"
	s.inFlight(&running)
	if injected != nil {
		rec.QueryType = "UNKNOWN"
		return nil, injected
	}
	compileStart := time.Now()
	tr, err := translate(req.SQLText, se.env(s.opts.Account))
	rec.Compilation = time.Since(compileStart)
	if err != nil {
		return nil, compileError(err)
	}
	rec.QueryType = tr.QueryType
	if tr.NeedsWH {
		if e := s.useWarehouse(se.warehouse); e != nil {
			return nil, e
		}
		defer s.doneWarehouse(se.warehouse)
	}
	execStart := time.Now()
	defer func() { rec.Execution = time.Since(execStart) }()
	if req.DescribeOnly && tr.TypeID != typeSelect {
		return statusResult(tr, "Statement described."), nil
	}
	var data *queryData
	var qerr *sqlError
	switch tr.Action {
	case actSQLite:
		data, qerr = s.execSQLite(ctx, se, tr, req, rec)
	case actAlterSession:
		for k, v := range tr.Params {
			se.params[k] = v
		}
		for _, k := range tr.Unset {
			delete(se.params, k)
			if k == "TIMEZONE" {
				se.params[k] = "UTC"
			}
		}
		data = statusResult(tr, tr.Status)
		data.Parameters = se.parameterList()
	case actUse:
		data, qerr = s.execUse(se, tr)
	case actShowWarehouses:
		data = s.showWarehouses(se, tr)
	case actShowTables:
		data = s.showTables(ctx, se, tr)
	case actAlterWarehouse:
		data, qerr = s.alterWarehouse(tr)
	case actCreateWarehouse:
		data, qerr = s.createWarehouse(tr)
	case actNoop:
		data = statusResult(tr, tr.Status)
	}
	if qerr != nil {
		return nil, qerr
	}
	if tr.Table != "" {
		s.noteTable(tr.Table, tr.TableKind)
		s.noteTableInfo(tr.Table, tableInfo{kind: tr.TableKind, clusterBy: tr.ClusterBy, targetLag: tr.TargetLag})
	}
	data.QueryResultFormat = "json"
	data.FinalDatabaseName, data.FinalSchemaName = se.database, se.schema
	data.FinalWarehouseName, data.FinalRoleName = se.warehouse, se.role
	return data, nil
}

// statusResult is the one-row, one-column answer to non-query statements.
// It is never empty: the driver indexes rowtype[0].
func statusResult(tr *translation, status string) *queryData {
	return &queryData{
		StatementTypeID: tr.TypeID,
		RowType:         []rowType{{Name: "status", Type: "text", Length: maxText, Nullable: true}},
		RowSet:          [][]*string{{&status}},
		Total:           1, Returned: 1,
	}
}

func (s *Server) execUse(se *session, tr *translation) (*queryData, *sqlError) {
	switch tr.Verb {
	case "WAREHOUSE":
		s.mu.Lock()
		_, ok := s.whs[tr.Name]
		s.mu.Unlock()
		if !ok {
			return nil, &sqlError{"002043", "02000", fmt.Sprintf("SQL compilation error:\nObject does not exist, or operation cannot be performed. Warehouse '%s'.", tr.Name)}
		}
		se.warehouse = tr.Name
	case "DATABASE":
		se.database, se.schema = tr.Name, "PUBLIC"
	case "SCHEMA":
		se.schema = tr.Name
		if db, ok := tr.Params["DATABASE"]; ok {
			se.database = db
		}
	case "ROLE":
		se.role = tr.Name
	}
	return statusResult(tr, tr.Status), nil
}

// compileError maps a translation failure to Snowflake's compilation error.
func compileError(err error) *sqlError {
	msg := err.Error()
	if strings.HasPrefix(msg, "unsupported feature") {
		return &sqlError{"000002", "0A000", "Unsupported feature (local Snowflake server): " + msg}
	}
	return &sqlError{"001003", "42000", "SQL compilation error:\n" + msg}
}

// execError maps a SQLite error to a Snowflake error.
func execError(err error) *sqlError {
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "interrupted"):
		return &sqlError{"000604", "57014", "SQL execution canceled"}
	case strings.Contains(msg, "no such table"):
		name := msg[strings.Index(msg, "no such table")+len("no such table: "):]
		name, _, _ = strings.Cut(name, " (")
		return &sqlError{"002003", "42S02", fmt.Sprintf("SQL compilation error:\nObject '%s' does not exist or not authorized.", strings.ToUpper(name))}
	case strings.Contains(msg, "no such column"):
		name := msg[strings.Index(msg, "no such column")+len("no such column: "):]
		name, _, _ = strings.Cut(name, " (")
		return &sqlError{"000904", "42000", fmt.Sprintf("SQL compilation error: error line 1 at position 0\ninvalid identifier '%s'", strings.ToUpper(name))}
	case strings.Contains(msg, "already exists"):
		return &sqlError{"002002", "42710", "SQL compilation error:\n" + msg}
	case strings.Contains(msg, "syntax error"), strings.Contains(msg, "incomplete input"):
		return &sqlError{"001003", "42000", "SQL compilation error:\n" + msg}
	case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "PRIMARY KEY"):
		return &sqlError{"200001", "22000", "Duplicate key value violates unique constraint: " + msg}
	case strings.Contains(msg, "NOT NULL constraint failed"):
		return &sqlError{"100072", "22000", "NULL result in a non-nullable column: " + msg}
	case strings.Contains(msg, "database is locked"), strings.Contains(msg, "SQLITE_BUSY"):
		return &sqlError{"000625", "57014", "Statement was aborted because it waited too long for a lock held by another session (local server: " + msg + ")."}
	case strings.Contains(msg, "cannot start a transaction within a transaction"):
		return &sqlError{"000000", "25001", "A transaction is already open in this session."}
	}
	return &sqlError{"100000", "22000", "SQL execution error: " + msg}
}

func (s *Server) handleAbort(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	var req struct {
		RequestID string `json:"requestId"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	cancel := s.inflight[req.RequestID]
	s.mu.Unlock()
	if cancel == nil {
		writeFail(w, "000605", "", "Identified SQL statement is not currently executing.", "")
		return
	}
	cancel()
	writeOK(w, nil)
}

func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, qid string) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	s.mu.Lock()
	res := s.results[qid]
	s.mu.Unlock()
	switch {
	case res == nil:
		writeFail(w, "000709", "02000", fmt.Sprintf("Statement %s not found", qid), qid)
	case res.err != nil:
		writeFail(w, res.err.Code, res.err.State, res.err.Msg, qid)
	default:
		writeOK(w, res.data)
	}
}

func (s *Server) handleMonitoring(w http.ResponseWriter, r *http.Request, qid string) {
	if _, ok := s.auth(w, r); !ok {
		return
	}
	s.mu.Lock()
	var rec *historyRecord
	if res := s.results[qid]; res != nil {
		rec = &res.rec
	}
	for i := len(s.history) - 1; i >= 0 && rec == nil; i-- {
		if s.history[i].QueryID == qid {
			rec = &s.history[i]
			break
		}
	}
	var q map[string]any
	if rec != nil {
		q = map[string]any{"id": rec.QueryID, "status": rec.Status, "sqlText": rec.QueryText,
			"startTime": rec.Start.UnixMilli(), "endTime": rec.End.UnixMilli(),
			"errorCode": rec.ErrorCode, "errorMessage": rec.ErrorMessage,
			"sessionId": rec.SessionID, "warehouseName": rec.Warehouse,
			"stats": map[string]any{"scanBytes": rec.BytesScanned, "producedRows": rec.RowsProduced}}
	}
	s.mu.Unlock()
	if q == nil {
		writeOK(w, map[string]any{"queries": []any{}})
		return
	}
	writeOK(w, map[string]any{"queries": []any{q}})
}
