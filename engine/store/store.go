package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/sqlite"
	"github.com/hashicorp/go-hclog"
)

// DefaultSQLitePath is the embedded store used when no DSN is given.
const DefaultSQLitePath = ".flakebench/flakebench.db"

// Options configure Open.
type Options struct {
	Logger hclog.Logger // nil: no logging
	// MaxOpenConns caps the connection pool (0: driver default; SQLite: 8).
	MaxOpenConns int
	// Backends open shared stores, by dialect name ("postgres",
	// "snowflake"). A dialect without one is opened with sql.Open and its
	// driver name, which the caller must have registered, and writes
	// QUERY_EXECUTIONS with multi-row INSERTs.
	Backends map[string]Backend
}

// Store is the control plane and results store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	d      dialect.Dialect
	dsn    string // redacted, for messages
	log    hclog.Logger
	now    func() time.Time
	closer bool // Close closes db
	stmts  *stmtCache
	clock  *clockState // shared with copies from WithClock
	// reserve is the embedded store's disk reserve (diskfull.go); nil for
	// shared stores.
	reserve *diskReserve
	// bulk writes QUERY_EXECUTIONS in bulk (Postgres COPY); nil: INSERT.
	bulk BulkWriter
}

// Open connects to the store named by dsn:
//
//	""                          the embedded default, DefaultSQLitePath
//	sqlite:PATH or PATH         SQLite file (directory created), WAL mode
//	postgres://… postgresql://… Postgres
//	host=… dbname=… user=…      Postgres (libpq key=value form); never an
//	                            SQLite path
//	snowflake://user@account/db/schema?warehouse=…   Snowflake
//
// Postgres and Snowflake are opened by their Backend in opts.Backends (or,
// without one, by the driver the caller registered). SQLite stores are created or
// migrated on Open; Postgres and Snowflake are only pinged (see CheckSchema).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	kind, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	d, err := dialect.For(kind)
	if err != nil {
		return nil, err
	}
	s := &Store{d: d, dsn: Redact(dsn), log: log.Named("store"), now: time.Now, closer: true, stmts: &stmtCache{}, clock: &clockState{}}
	if kind == "sqlite" {
		if s.dsn == "" {
			s.dsn = "sqlite:" + target
		}
		if dir := filepath.Dir(target); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("results store %s: create directory: %w", s.dsn, err)
			}
		}
		s.reserve = newDiskReserve(target, s.log)
	}
	var db *sql.DB
	if kind == "sqlite" {
		db, err = sqlite.Open(target)
	} else if b := opts.Backends[kind]; b != nil {
		db, err = b.OpenDB(target)
		s.bulk, _ = b.(BulkWriter)
	} else {
		db, err = sql.Open(d.DriverName(), target)
	}
	if err != nil {
		return nil, fmt.Errorf("results store %s: %w", s.dsn, err)
	}
	s.db = db
	switch {
	case opts.MaxOpenConns > 0:
		db.SetMaxOpenConns(opts.MaxOpenConns)
	case kind == "sqlite":
		db.SetMaxOpenConns(8)
	}
	if kind == "sqlite" {
		db.SetMaxIdleConns(8)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("results store %s: connect: %w", s.dsn, err)
	}
	if kind == "sqlite" {
		if _, err := s.ApplySchema(ctx); err != nil {
			db.Close()
			return nil, err
		}
		s.reserve.ensure()
	}
	return s, nil
}

// WithClock returns a Store sharing the same connections that reads the
// current time from now (for tests of lease expiry and timestamps).
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	c.closer = false
	return &c
}

// Close closes the connection pool.
func (s *Store) Close() error {
	if !s.closer {
		return nil
	}
	s.stmts.close()
	return s.db.Close()
}

// String returns the redacted DSN: never a password or token.
func (s *Store) String() string { return s.dsn }

// DSN returns the redacted DSN (same as String).
func (s *Store) DSN() string { return s.dsn }

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() dialect.Dialect { return s.d }

// DB returns the underlying pool, for read-only reporting queries.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) nowUTC() time.Time { return s.Now().Truncate(time.Microsecond) }

// parseDSN returns the dialect name and the driver DSN.
func parseDSN(dsn string) (kind, target string, err error) {
	switch {
	case dsn == "":
		return "sqlite", DefaultSQLitePath, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn, nil
	case strings.HasPrefix(dsn, "snowflake://"):
		// The rest is the driver's own DSN, which the Snowflake Backend
		// parses (engine/snowflake.ParseStoreDSN).
		return "snowflake", strings.TrimPrefix(dsn, "snowflake://"), nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return "sqlite", strings.TrimPrefix(dsn, "sqlite://"), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		if p == "" {
			return "", "", errors.New("results store: sqlite: DSN needs a path, e.g. sqlite:.flakebench/flakebench.db")
		}
		return "sqlite", p, nil
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return "", "", fmt.Errorf("results store: unsupported DSN scheme %q (want sqlite:PATH, postgres:// or snowflake://)", scheme)
	case keyValueShape.MatchString(dsn):
		if err := checkKeyValueDSN(dsn); err != nil {
			return "", "", err
		}
		return "postgres", dsn, nil
	}
	return "sqlite", dsn, nil
}

// keyValueShape matches a DSN that starts like libpq's key=value form
// ("host=db password=… dbname=bench"). Such a string is never taken for
// an SQLite path: it is a Postgres connection string or it is refused.
var keyValueShape = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)

// libpqKeys are the libpq connection keys pgx understands; a key=value DSN
// must use at least one of them.
var libpqKeys = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true,
	"sslpassword": true, "connect_timeout": true, "application_name": true, "target_session_attrs": true,
	"service": true, "servicefile": true, "options": true, "search_path": true,
}

// checkKeyValueDSN checks that a key=value DSN names a Postgres key; the
// Postgres backend's OpenDB parses it the way the driver does. Its errors
// never quote the DSN, which may hold a password.
func checkKeyValueDSN(dsn string) error {
	known := false
	for _, m := range kvKey.FindAllStringSubmatch(dsn, -1) {
		known = known || libpqKeys[strings.ToLower(m[1])]
	}
	if !known {
		return errors.New("results store: the DSN looks like key=value settings but names no Postgres connection key (host, port, dbname, user, password, sslmode, …); for an SQLite file write sqlite:PATH")
	}
	return nil
}

// kvKey finds the keys of a key=value DSN, and kvPassword its password
// (a bare word or a single-quoted value with \' escapes).
var (
	kvKey      = regexp.MustCompile(`(?:^|\s)([A-Za-z_]+)\s*=`)
	kvPassword = regexp.MustCompile(`(?i)((?:^|\s)(?:password|sslpassword)\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)
)

var secretParams = []string{"password", "passcode", "token", "secret", "private_key", "privatekey", "key"}

// Redact removes passwords and secret query parameters from a DSN, in URL
// or key=value form.
func Redact(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparseable DSN>"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		for _, s := range secretParams {
			if strings.Contains(lk, s) {
				q.Set(k, "xxxxx")
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// exec runs a `?` statement, rebound for the dialect.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.Rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.Rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.Rebind(query), args...)
}

// stmtCache keeps prepared bulk-insert statements for the life of the pool;
// database/sql re-prepares them per connection as needed.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// querier is *sql.DB or *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// NewID returns a random 128-bit identifier in UUID text form (version 4).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

func affected(res sql.Result) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return -1
	}
	return n
}
