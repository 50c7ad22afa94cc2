package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/enrich"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/snowflake"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
	sf "github.com/snowflakedb/gosnowflake"
)

// The tests in this file drive fbctl's Snowflake path through the real
// gosnowflake driver against the in-repo local Snowflake-protocol server
// (internal/sfserver), in-process, on loopback only. TestMain sets
// SNOWFLAKE_DISABLE_PLATFORM_DETECTION and SF_DISABLE_MINICORE.

// startSF starts a local Snowflake-protocol server for one test.
func startSF(t *testing.T, opts sfserver.Options) *sfserver.Server {
	t.Helper()
	return sftest.Start(t, opts)
}

// sfResultsDSN is a -results DSN for a store on srv.
func sfResultsDSN(srv *sfserver.Server) string {
	return "snowflake://" + srv.DSN("fbctl", "pw", "FB", "RESULTS", "RESULTS_WH")
}

// sfConnectionHCL is a connection block that reaches srv: host, port and
// protocol attributes (the DSN authority), the server's account name.
func sfConnectionHCL(srv *sfserver.Server, name, warehouse string) string {
	host, port, _ := net.SplitHostPort(srv.Addr())
	return fmt.Sprintf(`connection "snowflake" %q {
  account   = "local"
  host      = %q
  port      = %s
  user      = "bench"
  password  = "local-pw"
  protocol  = "http"
  database  = "BENCH"
  schema    = "PUBLIC"
  warehouse = %q
  params = {
    loginTimeout   = "10"
    requestTimeout = "10"
    maxRetryCount  = "1"
    tracing        = "fatal"
  }
}
`, name, host, port, warehouse)
}

// fbctlRun runs fbctl in-process and returns its exit code and output.
func fbctlRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := runCLI(ctx, append([]string{"fbctl", "-no-color"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func openSFStore(t *testing.T, srv *sfserver.Server) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), sfResultsDSN(srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// lockedBuffer is an io.Writer a test can read while a command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `fbctl dev snowflake-server` serves in the foreground, says it is a
// stand-in, prints a connection block, answers the real driver, and stops
// cleanly on Ctrl-C (context cancellation).
func TestSnowflakeDevServerCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "local.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runCLI(ctx, []string{"fbctl", "dev", "snowflake-server", "-addr", "127.0.0.1:0", "-db", dbPath},
			strings.NewReader(""), &out, &errOut)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no connection block; stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	text := out.String()
	for _, want := range []string{"NOT Snowflake", "local stand-in", `connection "snowflake" "local"`, dbPath} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no address in:\n%s", text)
	}
	db, err := sql.Open("snowflake", "fbctl:any@"+m[1]+"/FLAKEBENCH/PUBLIC?account=local&protocol=http&warehouse=COMPUTE_WH&loginTimeout=10&maxRetryCount=1&tracing=fatal")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE KEEP (ID NUMBER)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM KEEP").Scan(&n); err != nil || n != 0 {
		t.Fatalf("count = %d, %v", n, err)
	}
	db.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev snowflake-server did not stop on cancel")
	}
	if fi, err := os.Stat(dbPath); err != nil || fi.Size() == 0 {
		t.Errorf("-db file not kept: %v", err)
	}
}

// `fbctl schema apply -results snowflake://…` creates the results store on
// the local server; a second apply is a no-op and status is up to date.
func TestSnowflakeSchemaApplyCommand(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	dsn := sfResultsDSN(srv)
	code, out, errOut := fbctlRun(t, "schema", "status", "-results", dsn)
	if code != 0 || !strings.Contains(out, "Schema version: 0") || !strings.Contains(out, "Pending:") {
		t.Fatalf("status before: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "pw") {
		t.Errorf("the password is printed:\n%s", out)
	}
	code, out, errOut = fbctlRun(t, "schema", "apply", "-results", dsn)
	if code != 0 || !strings.Contains(out, "Applied schema versions") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = fbctlRun(t, "schema", "apply", "-results", dsn)
	if code != 0 || !strings.Contains(out, "up to date; nothing applied") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	code, out, _ = fbctlRun(t, "schema", "status", "-results", dsn)
	if code != 0 || !strings.Contains(out, "Up to date.") {
		t.Fatalf("status after: exit %d\n%s", code, out)
	}
	// The tables are Snowflake DDL the server recorded: hybrid control
	// plane, standard results.
	var hybrid, results bool
	for _, r := range srv.QueryHistory() {
		u := strings.ToUpper(r.QueryText)
		hybrid = hybrid || strings.Contains(u, "CREATE HYBRID TABLE") || strings.Contains(u, "CREATE OR REPLACE HYBRID TABLE") || strings.Contains(u, "HYBRID TABLE IF NOT EXISTS")
		results = results || strings.Contains(u, "QUERY_EXECUTIONS")
	}
	if !hybrid || !results {
		t.Errorf("schema DDL seen by the server: hybrid=%v results=%v", hybrid, results)
	}
}

// errorsOf decodes a TEST_RESULTS.ERRORS document.
func errorsOf(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("ERRORS is not JSON: %v\n%s", err, raw)
		}
	}
	return string(raw)
}

// sfHybridScenario is a short hybrid-table scenario for the local server.
const sfHybridScenario = `
template "sf_orders" {
  description       = "Point lookups, inserts and updates on a hybrid table."
  connection        = connection.snowflake.local
  table             = "SF_ORDERS"
  table_type        = "hybrid"
  use_cached_result = false

  pool "ids" {
    column = "ID"
    size   = 200
  }
  query "lookup" {
    kind   = "point_lookup"
    weight = 6
    sql    = "SELECT ID, STATUS FROM SF_ORDERS WHERE ID = ?"
    args   = [pool.ids]
  }
  query "new_order" {
    kind   = "insert"
    weight = 2
    sql    = "INSERT INTO SF_ORDERS (ID, STATUS) VALUES (?, ?)"
    args   = [sequence("ID"), "NEW"]
  }
  query "set_status" {
    kind   = "update"
    weight = 2
    sql    = "UPDATE SF_ORDERS SET STATUS = ? WHERE ID = ?"
    args   = ["PAID", pool.ids]
  }
}

scenario "sf_orders" {
  template = template.sf_orders
  setup {
    sql = [
      "CREATE OR REPLACE HYBRID TABLE SF_ORDERS (ID NUMBER PRIMARY KEY, STATUS VARCHAR NOT NULL)",
      "INSERT INTO SF_ORDERS SELECT SEQ8() + 1, 'NEW' FROM TABLE(GENERATOR(ROWCOUNT => 500))",
    ]
  }
  warmup {
    duration    = "300ms"
    connections = 2
  }
  phase "closed" {
    duration    = "1500ms"
    connections = 3
  }
}
`

// `fbctl apply` runs a Snowflake scenario end to end through the driver,
// with the results stored on the same local server: CONFIG mirrored, run
// COMPLETED, every benchmark statement tagged with the run, worker and
// phase, and injected server errors (lock-waiter limit 000625, suspended
// warehouse 000606) recorded as errors of the run, not a crash.
func TestSnowflakeApplyCommand(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	dsn := sfResultsDSN(srv)
	if code, out, errOut := fbctlRun(t, "schema", "apply", "-results", dsn); code != 0 {
		t.Fatalf("schema apply: %s%s", out, errOut)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "sf.fb.hcl")
	if err := os.WriteFile(file, []byte(sfConnectionHCL(srv, "local", "BENCH_WH")+sfHybridScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.InjectError("UPDATE SF_ORDERS", "000625", "57014",
		"Statement 'x' has locked table 'SF_ORDERS' in transaction and the request for this lock is waiting; limit of 20 waiters reached.", 0)
	srv.InjectError("INSERT INTO SF_ORDERS (ID", "000606", "57P03",
		"No active warehouse selected in the current session.", 0)

	// The injected errors are 40 % of the operations and the scenario
	// declares no error_rate threshold: the run completes, and the default
	// error-rate gate makes apply warn and exit 7.
	code, out, errOut := fbctlRun(t, "apply", "-auto-approve", "-results", dsn, "-run-id", "sf-run-1", file)
	if code != exitErrorGate || !strings.Contains(out, "above the default gate of 5%") {
		t.Fatalf("apply: exit %d, want %d with the gate's warning\n%s\n%s", code, exitErrorGate, out, errOut)
	}
	if strings.Contains(out+errOut, "local-pw") {
		t.Error("the target password is printed")
	}
	ctx := context.Background()
	st := openSFStore(t, srv)
	tmpl, err := st.GetTemplate(ctx, "sf_orders")
	if err != nil || !strings.Contains(string(tmpl.Config), "SF_ORDERS") || strings.Contains(string(tmpl.Config), "local-pw") {
		t.Fatalf("CONFIG row: %s, %v", tmpl.Config, err)
	}
	run, err := st.GetRun(ctx, "sf-run-1")
	if err != nil || run.Status != store.RunCompleted {
		t.Fatalf("run: %+v, %v\n%s", run, err, out)
	}
	res, err := st.GetTestResult(ctx, "sf-run-1")
	if err != nil {
		t.Fatal(err)
	}
	// Every update fails with 000625 and every insert with 000606; the
	// lookups succeed.
	if res.Total == 0 || res.Errors == 0 || res.OK == 0 || res.Errors != res.Writes {
		t.Errorf("parent result: %d operations, %d ok, %d errors, %d writes; want every write to fail", res.Total, res.OK, res.Errors, res.Writes)
	}
	// Errors are grouped by Snowflake's error code.
	errs := errorsOf(t, res.ErrorsJSON)
	for _, code := range []string{`"Code":"000625"`, `"Code":"000606"`} {
		if !strings.Contains(strings.ReplaceAll(errs, " ", ""), code) {
			t.Errorf("ERRORS has no group %s: %s", code, errs)
		}
	}

	// What landed in QUERY_EXECUTIONS through the streamer.
	execs, err := st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: "sf-run-1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var withID, failed int
	for _, e := range execs {
		if e.TargetQueryID != "" {
			withID++
		}
		if !e.Success {
			failed++
		}
	}
	if int64(len(execs)) < res.Total || int64(failed) < res.Errors {
		t.Errorf("QUERY_EXECUTIONS: %d rows (%d failed) for %d measured operations (%d errors)", len(execs), failed, res.Total, res.Errors)
	}
	// Every stored row carries the Snowflake query id of its statement.
	if withID != len(execs) {
		t.Errorf("QUERY_EXECUTIONS: %d of %d rows carry a Snowflake query id", withID, len(execs))
	}
	// The hybrid table's short statements are, as on Snowflake, only in
	// AGGREGATE_QUERY_HISTORY: enrichment covers every stored execution by
	// aggregate and none individually, and stores the aggregates.
	code, out, errOut = fbctlRun(t, "enrich", "-aggregate-now", "-results", dsn, "sf-run-1", file)
	if want := fmt.Sprintf("Coverage of the %d stored executions: 0 individually (QUERY_HISTORY), %d by aggregate only (AGGREGATE_QUERY_HISTORY), 0 not at all.", len(execs), len(execs)); code != 0 || !strings.Contains(out, want) ||
		!strings.Contains(out, "0 of "+fmt.Sprint(len(execs))+" executions matched") || !strings.Contains(out, "Note: hybrid tables") {
		t.Errorf("enrich: exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
	aggs, err := st.ListQueryAggregates(ctx, "sf-run-1")
	if err != nil {
		t.Fatal(err)
	}

	// What the server saw: the session setup in QUERY_HISTORY, and every
	// benchmark statement of the run counted in the aggregates, tagged with
	// the run, the worker and the phase.
	tagged := map[string]int64{}
	for _, a := range aggs {
		if !strings.Contains(a.QueryTag, "sf-run-1") || !strings.Contains(a.QueryTag, "worker-0") || a.QueryName == "" {
			continue
		}
		for _, ph := range []string{"closed", "warmup"} {
			if strings.Contains(a.QueryTag, ph) {
				tagged[ph] += a.Calls
			}
		}
		if a.Warehouse != "BENCH_WH" {
			t.Errorf("benchmark statement ran on warehouse %q", a.Warehouse)
		}
	}
	var sessionTag bool
	for _, r := range srv.QueryHistory() {
		if strings.HasPrefix(r.QueryText, "ALTER SESSION SET QUERY_TAG") && strings.Contains(r.QueryText, "sf-run-1") {
			sessionTag = true
		}
		if strings.HasPrefix(r.QueryText, "SELECT ID, STATUS FROM SF_ORDERS") && strings.Contains(r.QueryTag, "sf-run-1") {
			t.Errorf("a short hybrid statement is in QUERY_HISTORY: %+v", r)
		}
	}
	if !sessionTag || tagged["closed"] == 0 || tagged["warmup"] == 0 {
		t.Errorf("QUERY_TAG set: %v; tagged benchmark statements by phase: %v", sessionTag, tagged)
	}
	if tagged["closed"] < res.Total {
		t.Errorf("server counted %d tagged measurement statements, fbctl measured %d", tagged["closed"], res.Total)
	}
}

// collectSink keeps every record a recorder offers.
type collectSink struct {
	mu   sync.Mutex
	recs []executor.Record
}

func (c *collectSink) Offer(r executor.Record) bool {
	c.mu.Lock()
	c.recs = append(c.recs, r)
	c.mu.Unlock()
	return true
}

// cycleOps issues the template's queries in turn with fixed arguments.
type cycleOps struct {
	n    int
	args [][]any
}

func (o *cycleOps) Next() (int, []any) {
	q := o.n % len(o.args)
	o.n++
	return q, o.args[q]
}

// The Snowflake pieces the run engine takes as hooks, assembled the way it
// assembles them (executor.SQLTarget with the template's session setup, a
// recorder with a sink), through the real driver: every execution carries
// the Snowflake query id of exactly its statement (failures too), errors
// are classified by Snowflake code, and `fbctl enrich` then fills every
// stored row's server timings from QUERY_HISTORY.
func TestSnowflakeQueryIDsClassificationAndEnrich(t *testing.T) {
	ctx := context.Background()
	srv := startSF(t, sfserver.Options{HybridHistoryMin: -1}) // every hybrid statement in QUERY_HISTORY, to check ids
	dsn := sfResultsDSN(srv)
	if code, out, errOut := fbctlRun(t, "schema", "apply", "-results", dsn); code != 0 {
		t.Fatalf("schema apply: %s%s", out, errOut)
	}
	file := filepath.Join(t.TempDir(), "sf.fb.hcl")
	if err := os.WriteFile(file, []byte(sfConnectionHCL(srv, "local", "BENCH_WH")+sfHybridScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{file}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tmpl := cfg.Templates["sf_orders"]
	db, err := target.Open(cfg.Connections[tmpl.Connection])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := target.RunSQL(ctx, db.DB, "setup", cfg.Scenarios["sf_orders"].Setup); err != nil {
		t.Fatal(err)
	}

	const runID = "sf-run-2"
	init, err := target.SessionInit(dsl.ConnSnowflake, tmpl, target.Tag{Run: runID, Worker: "w0", Phase: "closed", Scenario: "sf_orders"})
	if err != nil {
		t.Fatal(err)
	}
	specs := make([]executor.QuerySpec, len(tmpl.QueryOrder))
	infos := make([]executor.QueryInfo, len(tmpl.QueryOrder))
	for i, name := range tmpl.QueryOrder {
		q := tmpl.Queries[name]
		specs[i] = executor.QuerySpec{SQL: db.Rebind(q.SQL), Write: q.IsWrite()}
		infos[i] = executor.QueryInfo{Name: name, Kind: q.Kind, Write: q.IsWrite()}
	}
	args := make([][]any, len(tmpl.QueryOrder))
	next := int64(10000)
	for i, name := range tmpl.QueryOrder {
		switch name {
		case "lookup":
			args[i] = []any{int64(7)}
		case "new_order":
			args[i] = []any{next, "NEW"}
		case "set_status":
			args[i] = []any{"PAID", int64(8)}
		}
	}
	srv.InjectLatency("SELECT ID, STATUS FROM SF_ORDERS WHERE", 5*time.Millisecond)
	srv.InjectError("UPDATE SF_ORDERS", "000625", "57014", "Statement was aborted: limit of 20 waiters reached.", 0)

	sink := &collectSink{}
	rec := executor.NewRecorder(histogram.NewRegistry(), infos, executor.RecorderOptions{Sink: sink, Classify: snowflake.Classify})
	pr := rec.Phase("closed", false)
	ex := &executor.Closed{Sessions: 2, Duration: 400 * time.Millisecond}
	var opsMu sync.Mutex
	err = ex.Open(ctx, executor.Env{
		Target: &executor.SQLTarget{DB: db.DB, Queries: specs, Init: init, QueryID: snowflake.QueryID},
		Ops: func(int) (executor.OpSource, error) {
			opsMu.Lock()
			defer opsMu.Unlock()
			// Inserts need distinct ids per connection.
			a := make([][]any, len(args))
			copy(a, args)
			for i, name := range tmpl.QueryOrder {
				if name == "new_order" {
					a[i] = nil
				}
			}
			return &insertIDs{cycleOps: cycleOps{args: a}, slot: slices0(tmpl.QueryOrder, "new_order"), next: &next, mu: &opsMu}, nil
		},
		Recorder: pr, DrainTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.Run(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	recs := append([]executor.Record(nil), sink.recs...)
	sink.mu.Unlock()
	if len(recs) < 6 {
		t.Fatalf("only %d operations ran", len(recs))
	}

	// Each record's id is the server's id of exactly that statement, with
	// the session's tag; failures keep their id and their Snowflake code.
	hist := map[string]sfserver.QueryRecord{}
	for _, h := range srv.QueryHistory() {
		hist[h.QueryID] = h
	}
	for _, r := range recs {
		h, ok := hist[r.TargetQueryID]
		if !ok {
			t.Fatalf("%s: query id %q is not in the server's history", r.Query, r.TargetQueryID)
		}
		if want := tmpl.Queries[r.Query].SQL; h.QueryText != want || !strings.Contains(h.QueryTag, runID) || !strings.Contains(h.QueryTag, "closed") {
			t.Fatalf("%s: id %s belongs to %q tagged %q", r.Query, r.TargetQueryID, h.QueryText, h.QueryTag)
		}
		if r.Query == "set_status" {
			if r.Success || r.ErrorCode != "000625" || r.SQLState != "57014" || h.ErrorCode != "000625" {
				t.Fatalf("update: success=%v code=%q state=%q (server %q)", r.Success, r.ErrorCode, r.SQLState, h.ErrorCode)
			}
		} else if !r.Success {
			t.Fatalf("%s failed: %s %s", r.Query, r.ErrorCode, r.ErrorMessage)
		}
	}
	groups := pr.Errors()
	if len(groups) != 1 || groups[0].Code != "000625" {
		t.Errorf("error groups: %+v", groups)
	}

	// Store the run and its executions, then `fbctl enrich` it.
	st := openSFStore(t, srv)
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{Scenarios: []string{"sf_orders"}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	planJSON, _ := json.Marshal(plan.Runs[0])
	if _, err := st.CreateRun(ctx, store.Run{ID: runID, ScenarioName: "sf_orders", Plan: planJSON, WorkersExpected: 1}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateRun(ctx, runID, store.RunUpdate{StartTime: &res.Started, EndTime: &res.Ended}); err != nil {
		t.Fatal(err)
	}
	rows := make([]store.QueryExecution, len(recs))
	for i, r := range recs {
		rows[i] = store.QueryExecution{ExecutionID: fmt.Sprintf("%s-w0-%d", runID, r.ExecutionSeq), RunID: runID, TestID: runID + "-w0",
			WorkerID: "w0", Phase: r.Phase, QueryName: r.Query, QueryKind: r.Kind, ActualStart: time.UnixMicro(r.ActualStart).UTC(),
			LatencyUS: r.LatencyUS, ServiceUS: r.ServiceUS, Success: r.Success, ErrorCode: r.ErrorCode, SQLState: r.SQLState,
			ErrorMessage: r.ErrorMessage, TargetQueryID: r.TargetQueryID}
	}
	if err := st.InsertQueryExecutions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := fbctlRun(t, "enrich", "-results", dsn, runID, file)
	want := fmt.Sprintf("%d of %d executions matched (100.0%% coverage), %d rows updated", len(recs), len(recs), len(recs))
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("enrich: exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
	stored, err := st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: runID}, 0)
	if err != nil || len(stored) != len(recs) {
		t.Fatalf("stored %d rows, %v", len(stored), err)
	}
	for _, e := range stored {
		if !e.TotalElapsedUS.Valid || !e.CompileUS.Valid || !e.ExecutionUS.Valid || !e.QueuedUS.Valid || !e.RowsProduced.Valid {
			t.Fatalf("%s not enriched: %+v", e.ExecutionID, e)
		}
		// The latency injected into lookups is reported as queued time:
		// the timings landed on the right rows.
		if lookup := e.QueryName == "lookup"; lookup != (e.QueuedUS.Int64 >= 5000) {
			t.Fatalf("%s (%s): QUEUED_US %d", e.ExecutionID, e.QueryName, e.QueuedUS.Int64)
		}
	}

	// -aggregate right after the run explains the view's delay.
	code, out, _ = fbctlRun(t, "enrich", "-aggregate", "-results", dsn, runID, file)
	if code != 0 || !strings.Contains(out, "45 minutes to 3 hours") || !strings.Contains(out, "retry after") {
		t.Fatalf("enrich -aggregate: exit %d\n%s", code, out)
	}
}

// insertIDs gives the insert query a fresh id on every call.
type insertIDs struct {
	cycleOps
	slot int
	next *int64
	mu   *sync.Mutex
}

func (o *insertIDs) Next() (int, []any) {
	q, a := o.cycleOps.Next()
	if q == o.slot {
		o.mu.Lock()
		*o.next++
		id := *o.next
		o.mu.Unlock()
		return q, []any{id, "NEW"}
	}
	return q, a
}

func slices0(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// shortenScenario cuts a scenario's durations to test size before it is
// planned, as the Postgres scenario test does: the shipped scenarios run
// minutes.
func shortenScenario(sc *dsl.Scenario) {
	if sc.Warmup != nil {
		sc.Warmup.Duration = 300 * time.Millisecond
	}
	for _, p := range sc.Phases {
		p.Duration = 800 * time.Millisecond
		if p.Ramp != nil {
			p.Ramp.Over = p.Duration
		}
	}
}

// applyShipped plans scenario name of cfg, shortens it and runs it with the
// results on srv, and checks what every Snowflake run must leave behind.
func applyShipped(t *testing.T, srv *sfserver.Server, cfg *dsl.Config, name string) *run.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shortenScenario(cfg.Scenarios[name])
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{Scenarios: []string{name}})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	rp := plan.Runs[0]
	st := openSFStore(t, srv)
	if _, err := st.ApplySchema(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := run.Apply(ctx, rp, cfg, run.Options{Store: st, HeartbeatEvery: 100 * time.Millisecond,
		PollEvery: 10 * time.Millisecond, DrainTimeout: 10 * time.Second,
		Stream:      &stream.Options{FlushEvery: 100 * time.Millisecond, JournalDir: t.TempDir()},
		Targets:     map[string]run.TargetFactory{dsl.ConnSnowflake: nativeTargets()[dsl.ConnSnowflake]},
		Classifiers: map[string]executor.Classifier{dsl.ConnSnowflake: snowflake.Classify}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted {
		t.Fatalf("%s: run %s: %s", name, out.Status, out.FailureReason)
	}
	if out.Parent.Total == 0 || out.Parent.Errors != 0 {
		t.Fatalf("%s: %d operations, %d errors: %s", name, out.Parent.Total, out.Parent.Errors, out.Parent.ErrorsJSON)
	}
	stored, err := st.GetTestResult(ctx, out.RunID)
	if err != nil || stored.Total != out.Parent.Total {
		t.Fatalf("%s: stored parent result %+v, %v", name, stored, err)
	}
	var tagged int64
	for _, r := range srv.QueryHistory() {
		if strings.Contains(r.QueryTag, out.RunID) && r.Status == "SUCCESS" && !strings.HasPrefix(r.QueryText, "ALTER SESSION") {
			tagged++
		}
	}
	if tagged < out.Parent.Total {
		t.Fatalf("%s: the server saw %d statements tagged with the run, fbctl measured %d", name, tagged, out.Parent.Total)
	}

	// Every stored execution carries the Snowflake query id of its own
	// statement, and enrichment fills all of them from QUERY_HISTORY.
	execs, err := st.ListQueryExecutions(ctx, store.QueryExecutionFilter{RunID: out.RunID}, 0)
	if err != nil || len(execs) == 0 {
		t.Fatalf("%s: %d QUERY_EXECUTIONS rows, %v", name, len(execs), err)
	}
	hist := map[string]sfserver.QueryRecord{}
	for _, r := range srv.QueryHistory() {
		hist[r.QueryID] = r
	}
	for _, e := range execs {
		h, ok := hist[e.TargetQueryID]
		q := cfg.Templates[cfg.Scenarios[name].Template].Queries[e.QueryName]
		want := q.SQL
		if q.IsTransaction() { // a transaction's id is its last statement's
			want = q.Statements[len(q.Statements)-1].SQL
		}
		if !ok || h.QueryText != want || !strings.Contains(h.QueryTag, out.RunID) {
			t.Fatalf("%s: %s (%s) has query id %q, which the server ran as %q tagged %q", name, e.ExecutionID, e.QueryName, e.TargetQueryID, h.QueryText, h.QueryTag)
		}
	}
	run, err := st.GetRun(ctx, out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := enrich.Run(ctx, st, &enrich.SnowflakeHistory{DB: targetDB(t, cfg, name)}, run, enrich.Options{})
	if err != nil || rep.Executions != len(execs) || rep.Matched != len(execs) || rep.Updated != int64(len(execs)) {
		t.Fatalf("%s: enrich %+v, %v", name, rep, err)
	}
	return out
}

// targetDB opens the benchmark connection of scenario name.
func targetDB(t *testing.T, cfg *dsl.Config, name string) *sql.DB {
	t.Helper()
	db, err := target.Open(cfg.Connections[cfg.Templates[cfg.Scenarios[name].Template].Connection])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.DB
}

// scenarioPath is a shipped scenario file.
func scenarioPath(name string) string { return filepath.Join("..", "..", "scenarios", name) }

// The shipped scenarios/snowflake_hybrid.fb.hcl runs end to end against the
// local server through gosnowflake (setup with GENERATOR, value pools
// sampled from the hybrid table, closed and ramp phases), with its results
// stored on the same server. Its connection takes account, user and
// password from the environment and has no host, port or protocol
// variable, so the test adds protocol=http and the account name as driver
// parameters after loading.
func TestSnowflakeShippedHybridScenario(t *testing.T) {
	srv := startSF(t, sfserver.Options{HybridHistoryMin: -1}) // every hybrid statement in QUERY_HISTORY, to check ids
	env := map[string]string{"SNOWFLAKE_ACCOUNT": srv.Addr(), "SNOWFLAKE_USER": "bench", "SNOWFLAKE_PASSWORD": "local-pw"}
	cfg, diags := dsl.Load([]string{scenarioPath("snowflake_hybrid.fb.hcl")}, dsl.LoadOptions{
		Vars:      []string{"hybrid_rows=2000", "hybrid_connections=3", "hybrid_warehouse=BENCH_WH", "hybrid_database=BENCH"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	c := cfg.Connections["snowflake.bench"]
	c.Fields["protocol"] = "http"
	c.Params["account"] = "local"
	c.Params["maxRetryCount"] = "1"
	srv.SetWarehouse(sfserver.Warehouse{Name: "BENCH_WH", Size: "Small", MaxClusters: 2, Queued: 4})
	out := applyShipped(t, srv, cfg, "snowflake_hybrid")
	// The warehouse was polled during each measurement phase.
	for _, ph := range out.Phases {
		wh := ph.Warehouse
		if wh == nil || wh.Name != "BENCH_WH" || wh.Samples == 0 || wh.MaxQueued != 4 || wh.MaxStartedClusters < 1 {
			t.Errorf("phase %s: warehouse summary %+v", ph.Name, wh)
		}
	}
	ops := map[string]int64{}
	for _, q := range out.Queries.Queries {
		ops[q.Query] = q.Ops
	}
	for _, q := range []string{"lookup", "customer_orders", "new_order", "set_status", "pay"} {
		if ops[q] == 0 {
			t.Errorf("query %s never ran: %v", q, ops)
		}
	}
	var onWarehouse bool
	for _, r := range srv.QueryHistory() {
		onWarehouse = onWarehouse || (strings.HasPrefix(r.QueryText, "SELECT ID, CUSTOMER_ID, STATUS, AMOUNT FROM FB_ORDERS") && r.Warehouse == "BENCH_WH")
		// The scenario's own QUERY_TAG (connection params) is kept, with
		// fbctl's run/worker/phase tag after it.
		if strings.HasPrefix(r.QueryText, "SELECT ID, CUSTOMER_ID") && !strings.HasPrefix(r.QueryTag, "flakebench-hybrid flakebench:run="+out.RunID+":worker=") {
			t.Fatalf("benchmark statement tagged %q", r.QueryTag)
		}
	}
	if !onWarehouse {
		t.Error("no lookup ran on the -var warehouse BENCH_WH")
	}
}

// The shipped scenarios/snowflake_analytics.fb.hcl runs end to end against
// the local server, connecting through a connections.toml entry
// (-var analytics_connection_name, SNOWFLAKE_HOME), on small TPC-H tables
// created in the server first. Like the hybrid test it adds the account
// name as a driver parameter after loading.
func TestSnowflakeShippedAnalyticsScenario(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	home := t.TempDir()
	toml := fmt.Sprintf("[local]\naccount = %q\nuser = \"analyst\"\npassword = \"local-pw\"\nprotocol = \"http\"\n", srv.Addr())
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWFLAKE_HOME", home)
	db, err := sql.Open("snowflake", srv.DSN("loader", "pw", "SNOWFLAKE_SAMPLE_DATA", "TPCH_SF1", "COMPUTE_WH"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE NATION (N_NATIONKEY NUMBER, N_NAME VARCHAR)",
		"CREATE TABLE CUSTOMER (C_CUSTKEY NUMBER, C_NATIONKEY NUMBER, C_MKTSEGMENT VARCHAR)",
		"CREATE TABLE ORDERS (O_ORDERKEY NUMBER, O_CUSTKEY NUMBER, O_ORDERDATE DATE, O_SHIPPRIORITY NUMBER)",
		"CREATE TABLE LINEITEM (L_ORDERKEY NUMBER, L_QUANTITY NUMBER(12,2), L_EXTENDEDPRICE NUMBER(12,2), L_DISCOUNT NUMBER(12,2), L_RETURNFLAG VARCHAR, L_LINESTATUS VARCHAR, L_SHIPDATE DATE)",
		"INSERT INTO NATION VALUES (1, 'FRANCE'), (2, 'PERU')",
		"INSERT INTO CUSTOMER VALUES (1, 1, 'BUILDING'), (2, 2, 'MACHINERY'), (3, 1, 'AUTOMOBILE')",
		"INSERT INTO ORDERS VALUES (1, 1, '1995-02-20', 0), (2, 2, '1994-06-01', 1), (3, 3, '1996-01-05', 0)",
		"INSERT INTO LINEITEM VALUES (1, 3, 300.00, 0.05, 'N', 'O', '1995-03-10'), (2, 5, 500.00, 0.10, 'R', 'F', '1994-07-01'), (3, 1, 100.00, 0.00, 'A', 'F', '1996-02-01')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg, diags := dsl.Load([]string{scenarioPath("snowflake_analytics.fb.hcl")}, dsl.LoadOptions{
		Vars:      []string{"analytics_connection_name=local", "analytics_warehouse=ANALYTICS_WH"},
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	// connstr puts no account parameter in the DSN for a host:port
	// account, so the driver's account name is added after loading.
	cfg.Connections["snowflake.analytics"].Params["account"] = "local"
	out := applyShipped(t, srv, cfg, "snowflake_analytics")
	var statementTimeout, noCache bool
	for _, r := range srv.QueryHistory() {
		statementTimeout = statementTimeout || strings.Contains(r.QueryText, "STATEMENT_TIMEOUT_IN_SECONDS = 300")
		noCache = noCache || strings.Contains(r.QueryText, "USE_CACHED_RESULT = false")
	}
	if !statementTimeout || !noCache {
		t.Errorf("session setup: STATEMENT_TIMEOUT_IN_SECONDS=%v USE_CACHED_RESULT=false=%v", statementTimeout, noCache)
	}
	if len(out.Phases) != 2 {
		t.Errorf("phases: %+v", out.Phases)
	}
}

// snowflake.Classify reads the driver's error; other errors fall back to
// the engine's classifier.
func TestSnowflakeClassifier(t *testing.T) {
	se := &sf.SnowflakeError{Number: 625, SQLState: "57014", QueryID: "01b2-q", Message: "waiters"}
	got := snowflake.Classify(fmt.Errorf("operation: %w", se))
	if got.Code != "000625" || got.SQLState != "57014" || !strings.Contains(got.Message, "waiters") {
		t.Errorf("snowflake error: %+v", got)
	}
	if id := snowflake.ErrorQueryID(fmt.Errorf("x: %w", se)); id != "01b2-q" {
		t.Errorf("query id of the error = %q", id)
	}
	if got := snowflake.Classify(context.DeadlineExceeded); got.Code != "timeout" {
		t.Errorf("deadline: %+v", got)
	}
}

// liveScenario is the tiny scenario TestLiveSnowflake runs on a real
// account: a transient table of 100 rows, two sessions of point reads for
// three seconds, the table dropped at the end.
const liveScenario = `
connection "snowflake" "live" {
  account   = env("SNOWFLAKE_ACCOUNT")
  user      = env("SNOWFLAKE_USER")
  password  = env("SNOWFLAKE_PASSWORD")
  role      = env("SNOWFLAKE_ROLE", "")
  warehouse = env("SNOWFLAKE_WAREHOUSE", "COMPUTE_WH")
  database  = env("SNOWFLAKE_DATABASE", "FLAKEBENCH")
  schema    = env("SNOWFLAKE_SCHEMA", "PUBLIC")
}

template "live_check" {
  connection        = connection.snowflake.live
  table             = "FB_LIVE_CHECK"
  table_type        = "standard"
  use_cached_result = false
  query "lookup" {
    kind = "point_lookup"
    sql  = "SELECT ID, NOTE FROM FB_LIVE_CHECK WHERE ID = ?"
    args = [uniform(1, 100)]
  }
}

scenario "live_check" {
  template = template.live_check
  setup {
    sql = [
      "CREATE OR REPLACE TRANSIENT TABLE FB_LIVE_CHECK (ID NUMBER, NOTE VARCHAR)",
      "INSERT INTO FB_LIVE_CHECK SELECT SEQ4() + 1, RANDSTR(10, RANDOM()) FROM TABLE(GENERATOR(ROWCOUNT => 100))",
    ]
  }
  phase "reads" {
    duration    = "3s"
    connections = 2
  }
  teardown {
    sql = ["DROP TABLE IF EXISTS FB_LIVE_CHECK"]
  }
}
`

// TestLiveSnowflake runs a tiny scenario against a real Snowflake account
// through `fbctl apply`, results in a local SQLite store, and checks that
// the account's QUERY_HISTORY holds the run's tagged queries. It is the one
// test that skips: without SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and
// SNOWFLAKE_PASSWORD (CI has none) there is no account to reach. Optional:
// SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE (COMPUTE_WH), SNOWFLAKE_DATABASE
// (FLAKEBENCH), SNOWFLAKE_SCHEMA (PUBLIC); the role needs to create a
// transient table there. See docs/snowflake.md.
func TestLiveSnowflake(t *testing.T) {
	var missing []string
	for _, k := range []string{"SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD"} {
		if os.Getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Skipf("live Snowflake check skipped: %s not set (set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD to run it; see docs/snowflake.md)", strings.Join(missing, ", "))
	}
	liveCheck(t, liveScenario)
}

// liveCheck is TestLiveSnowflake's body for the scenario text src.
func liveCheck(t *testing.T, src string) {
	dir := t.TempDir()
	file := filepath.Join(dir, "live.fb.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	results := "sqlite:" + filepath.Join(dir, "results.db")
	runID := "live-" + store.NewID()
	code, out, errOut := fbctlRun(t, "apply", "-auto-approve", "-results", results, "-run-id", runID, file)
	if strings.Contains(out+errOut, os.Getenv("SNOWFLAKE_PASSWORD")) {
		t.Fatal("the password appears in fbctl's output")
	}
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, results, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.GetTestResult(ctx, runID)
	if err != nil || res.Total == 0 || res.Errors != 0 {
		t.Fatalf("result: %d operations, %d errors, %v", res.Total, res.Errors, err)
	}

	cfg, diags := dsl.Load([]string{file}, dsl.LoadOptions{LookupEnv: os.LookupEnv})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	db, err := target.Open(cfg.Connections["snowflake.live"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// QUERY_HISTORY lags a little behind the queries.
	var tagged int64
	for range 30 {
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY(
			END_TIME_RANGE_START => DATEADD('minute', -15, CURRENT_TIMESTAMP()), RESULT_LIMIT => 10000))
			WHERE QUERY_TAG LIKE ? AND QUERY_TEXT LIKE 'SELECT ID, NOTE FROM FB_LIVE_CHECK%'`, "%"+runID+"%").Scan(&tagged)
		if err != nil {
			t.Fatal(err)
		}
		if tagged >= res.Total {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if tagged < res.Total {
		t.Fatalf("QUERY_HISTORY holds %d lookups tagged with run %s; fbctl measured %d", tagged, runID, res.Total)
	}
	t.Logf("live run %s: %d lookups, p50 %v µs, p99 %v µs", runID, res.Total, res.P50US, res.P99US)
}

// The live check's own body runs in every CI against the local server (the
// scenario's connection pointed at it), so TestLiveSnowflake cannot rot
// while nobody has an account at hand.
func TestLiveSnowflakeBodyOnLocalServer(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	host, port, _ := net.SplitHostPort(srv.Addr())
	t.Setenv("SNOWFLAKE_ACCOUNT", "local")
	t.Setenv("SNOWFLAKE_USER", "live")
	t.Setenv("SNOWFLAKE_PASSWORD", "local-secret-pw")
	src := strings.Replace(liveScenario, `  schema    = env("SNOWFLAKE_SCHEMA", "PUBLIC")`, `  schema    = env("SNOWFLAKE_SCHEMA", "PUBLIC")
  protocol  = "http"
  host      = "`+host+`"
  port      = `+port, 1)
	if src == liveScenario {
		t.Fatal("the live scenario's connection block changed; update this test")
	}
	liveCheck(t, src)
}
