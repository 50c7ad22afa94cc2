package target

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/snowflake"
	"github.com/flakebench/fbctl/engine/sqlite"
)

// DB is an open target: the pool and its dialect.
type DB struct {
	*sql.DB
	Dialect dialect.Dialect
	Key     string // the connection key, "TYPE.NAME", for messages
}

// Open opens a pool on the connection c. Nothing is sent to the database
// until the first use (call PingContext to check it). The returned error
// never contains the DSN.
func Open(c *dsl.Connection) (*DB, error) {
	if c == nil {
		return nil, fmt.Errorf("target: no connection")
	}
	d, err := dialect.For(dialectName(c.Type))
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
	}
	var db *sql.DB
	switch c.Type {
	case dsl.ConnSQLite:
		p := c.Get("path")
		if p == "" {
			return nil, fmt.Errorf("connection %s: path is required", c.Key())
		}
		db, err = sqlite.Open(p)
	case dsl.ConnPostgres:
		var dsn string
		if dsn, err = pgtarget.DSN(c); err == nil {
			db, err = pgtarget.Store{}.OpenDB(dsn)
		}
		if err != nil {
			err = fmt.Errorf("connection %s: %w", c.Key(), err)
		}
	case dsl.ConnSnowflake:
		var conn driver.Connector
		if conn, err = snowflake.Connector(c); err == nil {
			db = sql.OpenDB(conn)
		}
	default:
		err = fmt.Errorf("connection %s: unknown connection type %q", c.Key(), c.Type)
	}
	if err != nil {
		return nil, err // the backends' errors name the key, never a secret
	}
	return &DB{DB: db, Dialect: d, Key: c.Key()}, nil
}

func dialectName(connType string) string {
	if connType == dsl.ConnPostgres {
		return "postgres"
	}
	return connType
}

// quoted is v as a string literal, always (standard SQL: quotes doubled).
func quoted(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// sfQuoted is v as a Snowflake string literal, where a backslash escapes.
func sfQuoted(v string) string { return quoted(strings.ReplaceAll(v, `\`, `\\`)) }

// Rebind rewrites `?` placeholders of query for the target's backend.
func (db *DB) Rebind(query string) string { return db.Dialect.Rebind(query) }

// Tag is what a Snowflake QUERY_TAG carries: which run, worker and phase
// issued a statement.
type Tag struct {
	Run      string `json:"run"`
	Worker   string `json:"worker,omitempty"`
	Phase    string `json:"phase,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	// User is the user's own QUERY_TAG (Postgres: application_name) from
	// the connection's params (UserQueryTag); the template's session
	// value, when set, wins. fbctl's tag is appended to it, not put
	// in its place.
	User string `json:"-"`
}

var plainValue = regexp.MustCompile(`^(?i:-?[0-9]+(\.[0-9]+)?|true|false)$`)
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// sqlLiteral quotes v as a string literal unless it is a number or a
// boolean.
func sqlLiteral(v string) string {
	if plainValue.MatchString(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// SessionInit returns the statements each benchmark session of template t
// runs once before its first operation. On Snowflake: TIMEZONE = 'UTC',
// QUERY_TAG = the user's tag followed by QueryTag(tag)
// (flakebench:run=…:worker=…:phase=…; CombinedQueryTag), USE_CACHED_RESULT
// when the template sets it, then the template's other session parameters
// (ALTER SESSION SET). On Postgres application_name carries the same tag
// (ApplicationName) and the session parameters become SET statements, on
// SQLite PRAGMAs. Keys are applied in sorted order so the statements are
// the same on every run.
func SessionInit(connType string, t *dsl.Template, tag Tag) ([]string, error) {
	keys := make([]string, 0, len(t.Session))
	user := tag.User
	for k, v := range t.Session {
		if !identRE.MatchString(k) {
			return nil, fmt.Errorf("template %q: session parameter %q is not a plain name", t.Name, k)
		}
		if (connType == dsl.ConnSnowflake && strings.EqualFold(k, "QUERY_TAG")) ||
			(connType == dsl.ConnPostgres && strings.EqualFold(k, "application_name")) {
			if strings.TrimSpace(v) != "" {
				user = strings.TrimSpace(v) // kept, with fbctl's tag appended
			}
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	switch connType {
	case dsl.ConnSnowflake:
		out = append(out, "ALTER SESSION SET TIMEZONE = 'UTC'", "ALTER SESSION SET QUERY_TAG = "+sfQuoted(CombinedQueryTag(user, tag)))
		if t.UseCachedResult != nil {
			out = append(out, fmt.Sprintf("ALTER SESSION SET USE_CACHED_RESULT = %t", *t.UseCachedResult))
		}
		for _, k := range keys {
			out = append(out, "ALTER SESSION SET "+k+" = "+sqlLiteral(t.Session[k]))
		}
	case dsl.ConnPostgres:
		if tag.Run != "" {
			out = append(out, "SET application_name = "+quoted(ApplicationName(user, tag)))
		}
		for _, k := range keys {
			out = append(out, "SET "+k+" = "+sqlLiteral(t.Session[k]))
		}
	case dsl.ConnSQLite:
		for _, k := range keys {
			out = append(out, "PRAGMA "+k+" = "+sqlLiteral(t.Session[k]))
		}
	default:
		return nil, fmt.Errorf("unknown connection type %q", connType)
	}
	return out, nil
}

// SQLError says which setup or teardown statement failed.
type SQLError struct {
	Step  string // "setup" or "teardown"
	Index int    // 1-based
	SQL   string // the statement, cut to 200 bytes
	Err   error
}

func (e *SQLError) Error() string {
	return fmt.Sprintf("%s statement %d (%s): %v", e.Step, e.Index, e.SQL, e.Err)
}

func (e *SQLError) Unwrap() error { return e.Err }

// RunSQL runs stmts in order on one connection of db and stops at the
// first failure, returned as a *SQLError. step names them in errors.
func RunSQL(ctx context.Context, db *sql.DB, step string, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", step, err)
	}
	defer conn.Close()
	for i, st := range stmts {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return &SQLError{Step: step, Index: i + 1, SQL: shorten(st, 200), Err: err}
		}
	}
	return nil
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
