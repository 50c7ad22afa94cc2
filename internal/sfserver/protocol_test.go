package sfserver_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/internal/sfserver"
)

func TestLatencyIsReportedAsQueuedTime(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	s.InjectLatency("/*slow*/", 30*time.Millisecond)
	ch := make(chan string, 1)
	var one int64
	if err := db.QueryRowContext(sf.WithQueryIDChan(context.Background(), ch), "SELECT /*slow*/ 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	id := <-ch
	var queued, total int64
	err := db.QueryRow(`SELECT QUEUED_OVERLOAD_TIME, TOTAL_ELAPSED_TIME FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY())
		WHERE QUERY_ID = ?`, id).Scan(&queued, &total)
	if err != nil {
		t.Fatal(err)
	}
	if queued != 30 || total < queued {
		t.Errorf("QUEUED_OVERLOAD_TIME = %d ms, TOTAL_ELAPSED_TIME = %d ms; want 30 and >= 30", queued, total)
	}
	s.ClearFaults()
	ch = make(chan string, 1) // the driver closes the channel after one statement
	if err := db.QueryRowContext(sf.WithQueryIDChan(context.Background(), ch), "SELECT /*slow*/ 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	id = <-ch
	if err := db.QueryRow(`SELECT QUEUED_OVERLOAD_TIME FROM INFORMATION_SCHEMA.QUERY_HISTORY WHERE QUERY_ID = ?`, id).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("after ClearFaults QUEUED_OVERLOAD_TIME = %d", queued)
	}
}

func TestStallIsCancelledByContext(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	s.Stall(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := db.ExecContext(ctx, "SELECT 1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled query: %v, want context deadline exceeded", err)
	}
	// The stall is used up: the next statement runs.
	var one int64
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncQueryStatusAndFetchByID(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	mustExec(t, db, createQE)
	ctx := context.Background()
	res, err := db.ExecContext(sf.WithAsyncMode(ctx), "INSERT INTO QE (ID) VALUES (1), (2)")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Fatalf("async RowsAffected = %d, %v", n, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch := make(chan string, 1)
	var n int64
	if err := conn.QueryRowContext(sf.WithQueryIDChan(ctx, ch), "SELECT COUNT(*) FROM QE").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
	id := <-ch
	err = conn.Raw(func(x any) error {
		st, err := x.(sf.SnowflakeConnection).GetQueryStatus(ctx, id)
		if err != nil {
			return err
		}
		if st.SQLText != "SELECT COUNT(*) FROM QE" || st.ProducedRows != 1 {
			t.Errorf("GetQueryStatus = %+v", st)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var again int64
	if err := conn.QueryRowContext(sf.WithFetchResultByID(ctx, id), "").Scan(&again); err != nil || again != 2 {
		t.Errorf("fetch result by id = %d, %v", again, err)
	}
}

func TestSessionTokenRenewal(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	s.ExpireSessionTokens()
	var one int64
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatalf("query after token expiry: %v", err)
	}
	if n := s.Stats().Requests["POST /session/token-request"]; n != 1 {
		t.Errorf("token-request count = %d, want 1", n)
	}
}

// TestStoreSchemaApplies runs fbctl's Snowflake results-store schema through
// the driver twice (every statement is IF NOT EXISTS).
func TestStoreSchemaApplies(t *testing.T) {
	src, err := os.ReadFile("../../sql/schema/snowflake/001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	for range 2 {
		for _, stmt := range splitStatements(string(src)) {
			mustExec(t, db, stmt)
		}
	}
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM RUN_STATUS").Scan(&n); err != nil || n != 0 {
		t.Fatalf("RUN_STATUS count = %d, %v", n, err)
	}
	mustExec(t, db, `INSERT INTO RUN_STATUS (RUN_ID, SCENARIO_NAME, STATUS, CREATED_AT, UPDATED_AT, SAMPLE_RATE)
		SELECT ?, ?, ?, ?, ?, ?`, "r1", "s", "RUNNING", time.Now().UTC(), time.Now().UTC(), "0.25")
	var rate float64
	var phase string
	if err := db.QueryRow("SELECT SAMPLE_RATE, PHASE FROM RUN_STATUS WHERE RUN_ID = 'r1'").Scan(&rate, &phase); err != nil || rate != 0.25 || phase != "" {
		t.Errorf("SAMPLE_RATE = %v, PHASE = %q, %v", rate, phase, err)
	}
}

func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func TestRunPrintsConnectionBlock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- sfserver.Run(ctx, "127.0.0.1:0", "", nil, pw)
		pw.Close()
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	port := ""
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if f := strings.Fields(line); len(f) == 3 && f[0] == "port" {
			port = f[2]
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	text := out.String()
	for _, want := range []string{`connection "snowflake" "local" {`, `protocol  = "http"`, `password  = "local"`,
		"NOT Snowflake", `host      = "127.0.0.1"`} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// The printed port really serves the protocol.
	db, err := sql.Open("snowflake", "u:p@127.0.0.1:"+port+"/FLAKEBENCH/PUBLIC?account=local&protocol=http&tracing=fatal&maxRetryCount=1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("ping the printed port %q: %v", port, err)
	}
	db.Close()
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel", err)
	}
}
