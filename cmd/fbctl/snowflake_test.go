package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/sfserver"
)

// The tests in this file drive fbctl's Snowflake path through the real
// gosnowflake driver against the in-repo local Snowflake-protocol server
// (internal/sfserver), in-process, on loopback only. TestMain sets
// SNOWFLAKE_DISABLE_PLATFORM_DETECTION and SF_DISABLE_MINICORE.

// startSF starts a local Snowflake-protocol server for one test.
func startSF(t *testing.T, opts sfserver.Options) *sfserver.Server {
	t.Helper()
	srv, err := sfserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// sfResultsDSN is a -results DSN for a store on srv.
func sfResultsDSN(srv *sfserver.Server) string {
	return "snowflake://" + srv.DSN("fbctl", "pw", "FB", "RESULTS", "RESULTS_WH")
}

// sfConnectionHCL is a connection block that reaches srv through
// engine/connstr as it is today: host:port in the account attribute (the
// DSN authority), the account name and protocol as driver parameters.
func sfConnectionHCL(srv *sfserver.Server, name, warehouse string) string {
	return fmt.Sprintf(`connection "snowflake" %q {
  account   = %q
  user      = "bench"
  password  = "local-pw"
  protocol  = "http"
  database  = "BENCH"
  schema    = "PUBLIC"
  warehouse = %q
  params = {
    account        = "local"
    loginTimeout   = "10"
    requestTimeout = "10"
    maxRetryCount  = "1"
    tracing        = "fatal"
  }
}
`, name, srv.Addr(), warehouse)
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

// readLines returns the lines of s that contain sub.
func readLines(s, sub string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			out = append(out, sc.Text())
		}
	}
	return out
}

var _ = io.Discard
