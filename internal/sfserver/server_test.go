package sfserver_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/internal/sfserver"
	"github.com/flakebench/fbctl/internal/sfserver/sftest"
)

// TestMain turns off the driver's cloud platform detection (which would
// probe 169.254.169.254 and metadata.google.internal) before any driver use.
// The driver cannot be given a custom dialer, so "no non-loopback
// connection" is checked instead by TestNoNetworkBeyondLoopback: the env var
// is set, every login reported PLATFORM ["disabled"], and the server saw
// every request the test made.
func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	os.Exit(m.Run())
}

// startServer starts a server on loopback with a temporary database.
func startServer(t *testing.T, opts sfserver.Options) *sfserver.Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "sfserver", Level: hclog.Warn, Output: testWriter{t}})
	}
	return sftest.Start(t, opts)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func openDB(t *testing.T, s *sfserver.Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("snowflake", s.DSN("tester", "secret", "BENCH", "PUBLIC", "COMPUTE_WH"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) sql.Result {
	t.Helper()
	res, err := db.ExecContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func TestConnectPing(t *testing.T) {
	s := startServer(t, sfserver.Options{})
	db := openDB(t, s)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	var one int64
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var wh, dbName, schema string
	if err := db.QueryRow("SELECT CURRENT_WAREHOUSE(), CURRENT_DATABASE(), CURRENT_SCHEMA()").Scan(&wh, &dbName, &schema); err != nil {
		t.Fatal(err)
	}
	if wh != "COMPUTE_WH" || dbName != "BENCH" || schema != "PUBLIC" {
		t.Errorf("current objects = %s %s %s", wh, dbName, schema)
	}
	var now time.Time
	if err := db.QueryRow("SELECT CURRENT_TIMESTAMP()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(now); d < -time.Minute || d > time.Minute {
		t.Errorf("CURRENT_TIMESTAMP() = %v, far from now", now)
	}
	if err := db.QueryRow("SELECT SYSDATE()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	var ms int64
	if err := db.QueryRow("SELECT DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP())").Scan(&ms); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(time.UnixMilli(ms)); d < -time.Second || d > time.Second {
		t.Errorf("DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP()) = %d, %s from now", ms, d)
	}
}

func TestLoginRejectsWrongPassword(t *testing.T) {
	s := startServer(t, sfserver.Options{Users: map[string]string{"tester": "right"}})
	db := openDB(t, s) // password "secret"
	err := db.Ping()
	var se *sf.SnowflakeError
	if !errors.As(err, &se) || se.Number != 390100 {
		t.Fatalf("ping with wrong password: %v, want SnowflakeError 390100", err)
	}
}

func TestUnknownEndpointIs404(t *testing.T) {
	s, err := sfserver.New(sfserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Post("http://"+s.Addr()+"/api/v2/statements", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
	if u := s.Stats().Unknown; len(u) != 1 || u[0] != "POST /api/v2/statements" {
		t.Errorf("Unknown = %v", u)
	}
}

func TestNoNetworkBeyondLoopback(t *testing.T) {
	if os.Getenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION") != "true" {
		t.Fatal("SNOWFLAKE_DISABLE_PLATFORM_DETECTION must be set before the driver is used")
	}
	s := startServer(t, sfserver.Options{})
	dsn := s.DSN("tester", "secret", "BENCH", "PUBLIC", "COMPUTE_WH")
	cfg, err := sf.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "127.0.0.1" || cfg.Protocol != "http" {
		t.Fatalf("DSN points at %s://%s, want http://127.0.0.1", cfg.Protocol, cfg.Host)
	}
	odd, err := sf.ParseDSN(s.DSN("a@b", "p+w:d/%&", "DB", "S", "WH"))
	if err != nil || odd.User != "a@b" || odd.Password != "p+w:d/%&" || odd.Database != "DB" || odd.Warehouse != "WH" {
		t.Errorf("DSN with special characters parsed as %+v, %v", odd, err)
	}
	db := openDB(t, s)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustExec(t, conn, "SELECT 1")
	}
	conn.Close()
	db.Close()
	st := s.Stats()
	if st.Requests["POST /session/v1/login-request"] != 1 || st.Requests["POST /queries/v1/query-request"] != 3 {
		t.Errorf("server saw %v, want 1 login and 3 queries", st.Requests)
	}
	for _, p := range st.LoginPlatforms {
		if p != `["disabled"]` {
			t.Errorf("login PLATFORM = %s: the driver ran cloud platform detection", p)
		}
	}
}
