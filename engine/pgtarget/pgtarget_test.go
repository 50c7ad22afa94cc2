package pgtarget

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// database makes a fresh database with table acc(id, v) of 100 rows.
func database(t *testing.T) string {
	t.Helper()
	dsn := pgtest.FreshDatabase(t)
	ctx := ctxT(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE acc (id int PRIMARY KEY, v text NOT NULL);
		INSERT INTO acc SELECT i, 'v' || i FROM generate_series(1, 100) i`); err != nil {
		t.Fatal(err)
	}
	return dsn
}

var queries = []executor.QuerySpec{
	{SQL: "SELECT id, v FROM acc WHERE id BETWEEN ? AND ?"},
	{SQL: "UPDATE acc SET v = ? WHERE id <= ?", Write: true},
	{SQL: "INSERT INTO acc (id, v) VALUES ($1, $2)", Write: true},
	{SQL: "SELECT '?' AS q, id FROM acc WHERE id = ?"}, // a literal ? stays
}

func newTarget(t *testing.T, cfg Config) *Target {
	t.Helper()
	tg, err := New(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	return tg
}

func serverStatements(t *testing.T, s executor.Session) []string {
	t.Helper()
	rows, err := s.(*session).conn.Query(ctxT(t), "SELECT name FROM pg_prepared_statements", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

// Every mode runs reads, writes and `?` placeholders with the same results;
// only prepared mode leaves named statements on the server.
func TestModesRunQueries(t *testing.T) {
	for _, tc := range []struct {
		mode      Mode
		wantNames []string
	}{
		{ModePrepared, []string{"fbctl_q0", "fbctl_q1", "fbctl_q2", "fbctl_q3"}},
		{ModeDescribe, nil},
		{ModeSimple, nil},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			ctx := ctxT(t)
			tg := newTarget(t, Config{DSN: database(t), Queries: queries, Mode: tc.mode, Init: []string{"SET application_name = 'fbctl'"}})
			if tg.Mode() != tc.mode {
				t.Fatalf("mode %s", tg.Mode())
			}
			s, err := tg.Open(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, c := range []struct {
				q    int
				args []any
				want int64
			}{
				{0, []any{int64(10), int64(19)}, 10},
				{1, []any{"x", int64(5)}, 5},
				{2, []any{int64(101), "new"}, 1},
				{0, []any{int64(95), int64(200)}, 7},
				{3, []any{int64(7)}, 1},
				{1, []any{"y", int64(0)}, 0},
			} {
				n, id, err := s.Exec(ctx, c.q, c.args)
				if err != nil {
					t.Fatalf("query %d %v: %v", c.q, c.args, err)
				}
				if n != c.want || id != "" {
					t.Fatalf("query %d %v: %d rows, id %q; want %d", c.q, c.args, n, id, c.want)
				}
			}
			if got := serverStatements(t, s); fmt.Sprint(got) != fmt.Sprint(tc.wantNames) {
				t.Fatalf("server-side prepared statements %v, want %v", got, tc.wantNames)
			}
			var app string
			if err := s.(*session).conn.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil || app != "fbctl" {
				t.Fatalf("session setup not applied: %q %v", app, err)
			}
		})
	}
}

// A connection returned by one session serves the next with its
// statements; a session ending inside a transaction destroys its
// connection instead of handing it on.
func TestSessionsReuseConnections(t *testing.T) {
	ctx := ctxT(t)
	tg := newTarget(t, Config{DSN: database(t), Queries: append(queries, executor.QuerySpec{SQL: "BEGIN", Write: true}), MaxConns: 1})
	s1, err := tg.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	pid := s1.(*session).conn.PgConn().PID()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := tg.Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s2.(*session).conn.PgConn().PID() != pid {
		t.Fatal("the pool did not reuse the connection")
	}
	if n, _, err := s2.Exec(ctx, 0, []any{int64(1), int64(3)}); err != nil || n != 3 {
		t.Fatalf("reused connection: %d rows, %v", n, err)
	}
	if _, _, err := s2.Exec(ctx, 4, nil); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := tg.Open(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if s3.(*session).conn.PgConn().PID() == pid {
		t.Fatal("a connection left inside a transaction was handed to the next session")
	}
}

// The connection block picks the mode: prefer_simple_protocol = true is
// the simple protocol; a dsn may ask for cache_describe.
func TestOpenFromConnectionBlock(t *testing.T) {
	ctx := ctxT(t)
	dsn := database(t)
	srv := pgtest.Shared(t)
	db := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	block := func(simple string) *dsl.Connection {
		return &dsl.Connection{Type: dsl.ConnPostgres, Name: "t", Fields: map[string]string{
			"host": "127.0.0.1", "port": fmt.Sprint(srv.Port()), "user": pgtest.User, "database": db,
			"sslmode": "disable", "prefer_simple_protocol": simple}}
	}
	for simple, want := range map[string]Mode{"true": ModeSimple, "false": ModePrepared, "": ModePrepared} {
		tg, err := Open(ctx, block(simple), queries, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Mode() != want {
			t.Errorf("prefer_simple_protocol=%q: mode %s, want %s", simple, tg.Mode(), want)
		}
		s, err := tg.Open(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, _, err := s.Exec(ctx, 0, []any{int64(1), int64(2)}); err != nil || n != 2 {
			t.Fatalf("%d rows, %v", n, err)
		}
		s.Close()
		tg.Close()
	}
	tg := newTarget(t, Config{DSN: dsn + "&default_query_exec_mode=cache_describe"})
	if tg.Mode() != ModeDescribe {
		t.Fatalf("dsn default_query_exec_mode=cache_describe: mode %s", tg.Mode())
	}
	if _, err := Open(ctx, &dsl.Connection{Type: dsl.ConnSQLite, Name: "x"}, nil, nil, 1); err == nil {
		t.Fatal("Open accepted a sqlite connection")
	}
	if _, err := New(ctx, Config{DSN: dsn, Mode: "fast"}); err == nil || !strings.Contains(err.Error(), "unknown query mode") {
		t.Fatalf("unknown mode: %v", err)
	}
}

// Passwords never appear in errors, from parsing or connecting.
func TestErrorsHideSecrets(t *testing.T) {
	ctx := ctxT(t)
	_, err := New(ctx, Config{DSN: "postgres://u:s3cretpw@127.0.0.1:1/db?sslmode=bogus", Key: "postgres.k"})
	if err == nil || strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "postgres.k") {
		t.Fatalf("parse error %v", err)
	}
	tg := newTarget(t, Config{DSN: fmt.Sprintf("postgres://u:s3cretpw@127.0.0.1:%d/db?sslmode=disable&connect_timeout=5", closedPort(t))})
	_, err = tg.Open(ctx, 0)
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("connect error %v", err)
	}
	if got := Classify(err); got.Code != StateCannotConnect || got.SQLState != StateCannotConnect {
		t.Fatalf("Classify(refused) = %+v", got)
	}
}

// closedPort returns a loopback port nothing listens on (taken from the
// kernel and released).
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server errors keep their SQLSTATE: unique violation, statement timeout,
// undefined table; a killed backend is a broken connection.
func TestClassify(t *testing.T) {
	ctx := ctxT(t)
	dsn := database(t)
	tg := newTarget(t, Config{DSN: dsn, Init: []string{"SET statement_timeout = 100"}, Queries: []executor.QuerySpec{
		{SQL: "INSERT INTO acc VALUES (1, 'dup')", Write: true},
		{SQL: "SELECT pg_sleep(5)"},
		{SQL: "SELECT pg_terminate_backend(pg_backend_pid())"},
	}})
	s, err := tg.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[int]string{0: "23505", 1: "57014"} {
		_, _, err := s.Exec(ctx, q, nil)
		if got := Classify(err); got.Code != want || got.SQLState != want || got.Message == "" {
			t.Errorf("query %d: Classify(%v) = %+v, want %s", q, err, got, want)
		}
	}
	_, _, err = s.Exec(ctx, 2, nil)
	if got := Classify(err); !strings.HasPrefix(got.SQLState, "57P01") && got.SQLState != StateConnectionFailure {
		t.Errorf("terminated backend: Classify(%v) = %+v", err, got)
	}
	_, _, err = s.Exec(ctx, 0, nil)
	if got := Classify(err); got.SQLState != StateConnectionFailure {
		t.Errorf("after the backend died: Classify(%v) = %+v", err, got)
	}
	s.Close() // the dead connection is destroyed, not pooled
	s2, err := tg.Open(ctx, 1)
	if err != nil {
		t.Fatalf("a session after a dead one: %v", err)
	}
	if _, _, err := s2.Exec(ctx, 0, nil); Classify(err).Code != "23505" {
		t.Errorf("the next session got a broken connection: %v", err)
	}
	s2.Close()
	if got := Classify(context.DeadlineExceeded); got.Code != "timeout" {
		t.Errorf("Classify(deadline) = %+v", got)
	}
}

// sslmode is honoured as libpq does: require and verify-full encrypt
// against a TLS server (verify-full checks the CA), require fails against
// a server without TLS, prefer falls back to plain.
func TestTLSModes(t *testing.T) {
	ctx := ctxT(t)
	tlsSrv := pgtest.SharedWith(t, pgtest.Options{TLS: true})
	plain := pgtest.Shared(t)
	base := func(srv *pgtest.Server) string { return strings.TrimSuffix(srv.DSN("postgres"), "?sslmode=disable") }
	encrypted := func(dsn string) (bool, error) {
		tg, err := New(ctx, Config{DSN: dsn, Queries: []executor.QuerySpec{{SQL: "SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl"}}})
		if err != nil {
			return false, err
		}
		defer tg.Close()
		s, err := tg.Open(ctx, 0)
		if err != nil {
			return false, err
		}
		defer s.Close()
		n, _, err := s.Exec(ctx, 0, nil)
		return n == 1, err
	}
	for _, c := range []struct {
		dsn     string
		wantTLS bool
		wantErr bool
	}{
		{base(tlsSrv) + "?sslmode=require", true, false},
		{base(tlsSrv) + "?sslmode=verify-full&sslrootcert=" + tlsSrv.CAFile(), true, false},
		{base(tlsSrv) + "?sslmode=disable", false, false},
		{base(plain) + "?sslmode=prefer", false, false},
		{base(plain) + "?sslmode=require", false, true},
	} {
		got, err := encrypted(c.dsn)
		if (err != nil) != c.wantErr || got != c.wantTLS {
			t.Errorf("%s: encrypted=%v err=%v; want encrypted=%v error=%v", c.dsn, got, err, c.wantTLS, c.wantErr)
		}
		if err != nil && Classify(err).Code != StateCannotConnect {
			t.Errorf("%s: Classify(%v) = %+v", c.dsn, err, Classify(err))
		}
	}
	// verify-full against a CA the server's certificate is not from.
	other := t.TempDir() + "/other.crt"
	if err := os.WriteFile(other, otherCA(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := encrypted(base(tlsSrv) + "?sslmode=verify-full&sslrootcert=" + other); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("verify-full with an unrelated CA: %v", err)
	}
}

// otherCA returns a PEM self-signed CA certificate unrelated to pgtest's.
func otherCA(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Empty strings are values and nil is NULL in every mode; a wrong argument
// count is an error, not a panic.
func TestNullAndEmptyArguments(t *testing.T) {
	for _, mode := range []Mode{ModePrepared, ModeDescribe, ModeSimple} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := ctxT(t)
			tg := newTarget(t, Config{DSN: database(t), Mode: mode, Queries: []executor.QuerySpec{
				{SQL: "INSERT INTO acc (id, v) VALUES (?, ?)", Write: true},
				{SQL: "SELECT id FROM acc WHERE v = ? OR (?::text IS NULL AND id = 1)"},
			}})
			s, err := tg.Open(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n, _, err := s.Exec(ctx, 0, []any{int64(200), ""}); err != nil || n != 1 {
				t.Fatalf("insert '': %d, %v", n, err)
			}
			if n, _, err := s.Exec(ctx, 1, []any{"", "x"}); err != nil || n != 1 {
				t.Fatalf("select v = '': %d rows, %v", n, err)
			}
			if n, _, err := s.Exec(ctx, 1, []any{nil, nil}); err != nil || n != 1 {
				t.Fatalf("select with NULLs: %d rows, %v", n, err)
			}
			if _, _, err := s.Exec(ctx, 0, []any{int64(201), nil}); Classify(err).Code != "23502" {
				t.Fatalf("NULL into NOT NULL: %v", err)
			}
			if _, _, err := s.Exec(ctx, 0, []any{int64(202)}); err == nil {
				t.Fatal("one argument for two placeholders succeeded")
			}
			if n, _, err := s.Exec(ctx, 1, []any{"v5", "x"}); err != nil || n != 1 {
				t.Fatalf("session unusable after an argument error: %d, %v", n, err)
			}
		})
	}
}
