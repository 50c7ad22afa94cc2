package preflight

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/sqlite"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/workload"
	"github.com/hashicorp/hcl/v2"
)

// DefaultTargetTimeout bounds how long Targets waits for one target.
const DefaultTargetTimeout = 10 * time.Second

// TargetOptions tune Targets.
type TargetOptions struct {
	// Open opens a Postgres target (default target.Open).
	Open func(*dsl.Connection) (*target.DB, error)
	// Timeout bounds the checks of one connection (default
	// DefaultTargetTimeout).
	Timeout time.Duration
	// AtPlan makes the findings about the machine Targets runs on rather
	// than about the files (a target that cannot be reached, an SQLite
	// directory that does not exist) warnings: plan often runs where the
	// targets are not (a laptop, a PR bot), and apply checks again.
	AtPlan bool
}

// Summaries of the findings AtPlan turns into warnings.
const (
	SummaryUnreachable = "Target not reachable"
	SummaryUnwritable  = "SQLite path not writable"
)

// Targets checks, without changing anything, what the plan's runs need
// from the databases they benchmark, and returns every problem as a
// located error diagnostic:
//
//   - an SQLite target's file (or, when it does not exist yet, its
//     directory) is writable;
//   - a Postgres target is reachable;
//   - the tables and columns that pools and sequence() read exist;
//   - every query's statements prepare (SQLite prepare; Postgres Parse,
//     which executes nothing).
//
// Tables the scenario's own setup creates or alters are not checked, and
// the queries of a template are not prepared when a setup that runs
// before them changes tables (CREATE, ALTER, DROP). Snowflake targets are
// not contacted (a login costs and may prompt): they are checked when the
// run starts.
func Targets(ctx context.Context, cfg *dsl.Config, plan *engine.Plan, opts TargetOptions) hcl.Diagnostics {
	if cfg == nil || plan == nil {
		return nil
	}
	if opts.Open == nil {
		opts.Open = target.Open
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTargetTimeout
		if opts.AtPlan {
			opts.Timeout = DefaultTargetTimeout / 2
		}
	}
	// The templates the runs use, in plan order, with what their
	// scenarios' setup changes.
	var order []string
	setup := map[string]*setupEffect{}
	for _, rp := range plan.Runs {
		sc := cfg.Scenarios[rp.Scenario]
		for _, n := range rp.Nodes {
			if n.Phase == nil || cfg.Templates[n.Phase.Template] == nil {
				continue
			}
			name := n.Phase.Template
			if setup[name] == nil {
				setup[name] = &setupEffect{tables: map[string]bool{}}
				order = append(order, name)
			}
			if sc != nil {
				setup[name].add(sc.Setup)
			}
		}
	}
	var diags hcl.Diagnostics
	checked := map[string]bool{}
	conns := map[string]*checker{}
	for _, name := range order {
		t := cfg.Templates[name]
		c := cfg.Connections[t.Connection]
		if c == nil || c.Type == dsl.ConnSnowflake {
			continue
		}
		ch, ok := conns[c.Key()]
		if !ok {
			var d hcl.Diagnostics
			ch, d = openChecker(ctx, c, opts)
			diags = append(diags, d...)
			conns[c.Key()] = ch
			if ch != nil {
				defer ch.close()
			}
		}
		if ch == nil || checked[name] {
			continue
		}
		checked[name] = true
		diags = append(diags, ch.template(ctx, t, setup[name], opts.Timeout)...)
	}
	// Sensitive values (a table name from a sensitive variable, say) never
	// appear in a message, nor in the database's own error text.
	for _, d := range diags {
		d.Detail = cfg.Redact(d.Detail)
		if opts.AtPlan && (d.Summary == SummaryUnreachable || d.Summary == SummaryUnwritable) {
			d.Severity = hcl.DiagWarning
			d.Detail += " The other checks of this target were skipped; `fbctl apply` checks again and refuses to start while this is so."
		}
	}
	return diags
}

// setupEffect is what a scenario's setup statements change.
type setupEffect struct {
	ddl    bool            // some statement creates, alters or drops
	tables map[string]bool // upper-cased names it creates or alters
}

var (
	ddlRE     = regexp.MustCompile(`(?i)^\s*(CREATE|ALTER|DROP|RENAME)\b`)
	createsRE = regexp.MustCompile(`(?i)^\s*(?:CREATE|ALTER)\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED|TRANSIENT|HYBRID|DYNAMIC|INTERACTIVE|GLOBAL|LOCAL|MATERIALIZED)\s+)*(?:TABLE|VIEW)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?([\w."$]+)`)
)

func (s *setupEffect) add(stmts []string) {
	for _, st := range stmts {
		if ddlRE.MatchString(st) {
			s.ddl = true
		}
		if m := createsRE.FindStringSubmatch(st); m != nil {
			s.tables[normTable(m[1])] = true
		}
	}
}

// creates reports whether setup creates or alters table (by its last,
// unqualified part as well, since setup may qualify it differently).
func (s *setupEffect) creates(table string) bool {
	if s == nil {
		return false
	}
	n := normTable(table)
	if s.tables[n] {
		return true
	}
	for k := range s.tables {
		if lastPart(k) == lastPart(n) {
			return true
		}
	}
	return false
}

func normTable(t string) string { return strings.ToUpper(strings.ReplaceAll(t, `"`, "")) }

func lastPart(t string) string { return t[strings.LastIndex(t, ".")+1:] }

// checker holds one read-only connection to a target.
type checker struct {
	conn    *dsl.Connection
	db      *sql.DB
	dialect dialect.Dialect
	// missing is set for an SQLite file that does not exist yet: every
	// table is missing, and nothing is opened (opening creates the file).
	missing string
}

func (ch *checker) close() {
	if ch.db != nil {
		ch.db.Close()
	}
}

func connRange(c *dsl.Connection, attr string) *hcl.Range {
	if r, ok := c.Ranges[attr]; ok {
		return &r
	}
	r := c.DeclRange
	return &r
}

func errDiag(summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject}
}

// openChecker opens c read-only, or says why the run could not use it.
func openChecker(ctx context.Context, c *dsl.Connection, opts TargetOptions) (*checker, hcl.Diagnostics) {
	switch c.Type {
	case dsl.ConnSQLite:
		return openSQLite(c)
	case dsl.ConnPostgres:
		db, err := opts.Open(c)
		if err != nil {
			return nil, hcl.Diagnostics{errDiag(SummaryUnreachable,
				fmt.Sprintf("The connection %s cannot be opened: %v. Check its settings.", c.Key(), err), connRange(c, "dsn"))}
		}
		pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		if err := db.PingContext(pctx); err != nil {
			db.Close()
			return nil, hcl.Diagnostics{errDiag(SummaryUnreachable,
				fmt.Sprintf("The Postgres server of connection %s did not accept a connection: %s. Check that it runs and that the host, port, user, password and database are right; `fbctl apply -preflight=false` skips this check.", c.Key(), oneLine(err)),
				&c.DeclRange)}
		}
		return &checker{conn: c, db: db.DB, dialect: db.Dialect}, nil
	}
	return nil, nil
}

// openSQLite checks that the run can write the database file, and opens
// it read-only (mode=ro creates nothing, and no journal-mode pragma runs).
func openSQLite(c *dsl.Connection) (*checker, hcl.Diagnostics) {
	path := c.Get("path")
	d, _ := dialect.For("sqlite")
	unwritable := func(what string, err error) hcl.Diagnostics {
		return hcl.Diagnostics{errDiag(SummaryUnwritable,
			fmt.Sprintf("The run writes the SQLite database %s of connection %s, but %s: %s. Use a path in a directory you can write, such as \"bench.db\".", path, c.Key(), what, oneLine(err)),
			connRange(c, "path"))}
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		dir := filepath.Dir(path)
		di, err := os.Stat(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, unwritable(fmt.Sprintf("its directory %s does not exist", dir), errors.New("SQLite does not create directories"))
		}
		if err != nil {
			return nil, unwritable(fmt.Sprintf("its directory %s cannot be used", dir), err)
		}
		if !di.IsDir() {
			return nil, unwritable(fmt.Sprintf("%s is not a directory", dir), errors.New("not a directory"))
		}
		if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
			return nil, unwritable(fmt.Sprintf("its directory %s is not writable", dir), err)
		}
		return &checker{conn: c, dialect: d, missing: path}, nil
	case err != nil:
		return nil, unwritable("it cannot be read", err)
	case info.IsDir():
		return nil, unwritable("it is a directory", errors.New("is a directory"))
	}
	if err := syscall.Access(path, 2 /* W_OK */); err != nil {
		return nil, unwritable("the file is not writable", err)
	}
	if err := syscall.Access(filepath.Dir(path), 2 /* W_OK */); err != nil {
		return nil, unwritable("its directory (where SQLite keeps the -wal and -shm files) is not writable", err)
	}
	db, err := sql.Open(d.DriverName(), sqlite.ReadOnlyDSN(path))
	if err != nil {
		return nil, unwritable("it cannot be opened", err)
	}
	return &checker{conn: c, db: db, dialect: d}, nil
}

// template checks one template's tables, columns and statements.
func (ch *checker) template(ctx context.Context, t *dsl.Template, setup *setupEffect, timeout time.Duration) hcl.Diagnostics {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn *sql.Conn
	db := ch.db
	if db == nil && ch.dialect.Name() == "sqlite" {
		// The file does not exist yet: what the statements need must come
		// from the setup, so they are prepared against an empty database
		// (SELECT 1 prepares; a statement on a missing table does not).
		if mem, err := sql.Open(ch.dialect.DriverName(), ":memory:"); err == nil {
			defer mem.Close()
			db = mem
		}
	}
	if db != nil {
		var err error
		if conn, err = db.Conn(ctx); err != nil {
			return hcl.Diagnostics{errDiag(SummaryUnreachable,
				fmt.Sprintf("The connection %s did not accept a session: %s.", ch.conn.Key(), oneLine(err)), &ch.conn.DeclRange)}
		}
		defer conn.Close()
		// The session settings the benchmark sessions use (search_path,
		// say) decide what the statements see; SET changes nothing stored.
		if stmts, err := target.SessionInit(ch.conn.Type, t, target.Tag{}); err == nil {
			for _, s := range stmts {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					break
				}
			}
		}
	}
	var diags hcl.Diagnostics
	seen := map[string]bool{} // one finding per missing table
	missingTable := func(table string, subject hcl.Range, what string) {
		key := normTable(table)
		if seen[key] {
			return
		}
		seen[key] = true
		diags = append(diags, errDiag("Table not found",
			fmt.Sprintf("%s reads table %s, which does not exist in %s (connection %s). Create it, fix the name, or create it in the scenario's setup.", what, table, ch.where(), ch.conn.Key()),
			&subject))
	}
	// prepare reports whether sql prepares; the error is the backend's.
	prepare := func(sqlText string) error {
		if conn == nil {
			return errors.New("the database file does not exist yet")
		}
		st, err := conn.PrepareContext(ctx, ch.dialect.Rebind(sqlText))
		if err != nil {
			return err
		}
		return st.Close()
	}
	table := t.Table
	for _, name := range t.PoolOrder {
		p := t.Pools[name]
		if p == nil || len(p.Values) > 0 || p.Column == "" {
			continue
		}
		pt := table
		if p.Table != "" {
			pt = p.Table
		}
		if setup.creates(pt) {
			continue
		}
		what := fmt.Sprintf("Pool %q of template %q", p.Name, t.Name)
		if err := ch.tableExists(prepare, pt); err != nil {
			missingTable(pt, p.DeclRange, what)
			continue
		}
		qs := workload.SampleQueries(p, table, ch.dialect.Name(), 0)
		if len(qs) == 0 {
			continue
		}
		if err := prepare(qs[0]); err != nil {
			diags = append(diags, errDiag("Pool column not found",
				fmt.Sprintf("%s samples column %s of table %s, and the query does not prepare on connection %s: %s. Fix the column name.", what, p.Column, pt, ch.conn.Key(), oneLine(err)),
				&p.DeclRange))
		}
	}
	seqSeen := map[string]bool{}
	for _, qname := range t.QueryOrder {
		q := t.Queries[qname]
		if q == nil {
			continue
		}
		for _, g := range q.Generators() {
			if g.Kind != dsl.GenSequence || g.Column == "" || seqSeen[g.Column] || setup.creates(table) {
				continue
			}
			seqSeen[g.Column] = true
			what := fmt.Sprintf("The sequence(%q) of query %q", g.Column, q.Name)
			if err := ch.tableExists(prepare, table); err != nil {
				missingTable(table, g.Range, what)
				continue
			}
			if err := prepare(fmt.Sprintf("SELECT MAX(%s) FROM %s", g.Column, table)); err != nil {
				r := g.Range
				diags = append(diags, errDiag("Sequence column not found",
					fmt.Sprintf("%s starts after the largest value of column %s of table %s, and that column cannot be read on connection %s: %s. Fix the column name, or give a start value: sequence(1).", what, g.Column, table, ch.conn.Key(), oneLine(err)),
					&r))
			}
		}
	}
	if setup.ddl {
		return diags // the setup changes tables the statements may use
	}
	for _, qname := range t.QueryOrder {
		q := t.Queries[qname]
		if q == nil {
			continue
		}
		type stmt struct {
			name, sql string
			r         hcl.Range
		}
		var stmts []stmt
		if q.Kind == dsl.KindTransaction {
			for _, s := range q.Statements {
				stmts = append(stmts, stmt{s.Name, s.SQL, s.DeclRange})
			}
		} else {
			stmts = append(stmts, stmt{"", q.SQL, q.DeclRange})
		}
		for _, s := range stmts {
			if strings.TrimSpace(s.sql) == "" {
				continue
			}
			err := prepare(s.sql)
			if err == nil {
				continue
			}
			what := fmt.Sprintf("query %q of template %q", q.Name, t.Name)
			if s.name != "" {
				what = fmt.Sprintf("statement %q of query %q of template %q", s.name, q.Name, t.Name)
			}
			r := s.r
			if conn == nil {
				if !seen[normTable(table)] {
					missingTable(table, r, "The "+what)
				}
				break
			}
			if missing := noSuchTable(err); missing != "" && ch.db == nil {
				// An SQLite file that does not exist yet: the statement
				// prepared against an empty database names the table.
				if !seen[normTable(missing)] {
					missingTable(missing, r, "The "+what)
				}
				continue
			}
			sql := s.sql
			if q.Sensitive.Has("sql") {
				sql = "(sensitive)"
			}
			diags = append(diags, errDiag("Statement does not prepare",
				fmt.Sprintf("The SQL of %s does not prepare on connection %s: %s. Fix the statement (%s), or create what it uses in the scenario's setup.", what, ch.conn.Key(), oneLine(err), sql),
				&r))
		}
	}
	return diags
}

// tableExists prepares a statement that reads table and nothing else.
func (ch *checker) tableExists(prepare func(string) error, table string) error {
	return prepare("SELECT 1 FROM " + table + " WHERE 1 = 0")
}

func (ch *checker) where() string {
	if ch.conn.Type == dsl.ConnSQLite {
		if ch.missing != "" {
			return fmt.Sprintf("the SQLite database %s (the file does not exist yet)", ch.missing)
		}
		return "the SQLite database " + ch.conn.Get("path")
	}
	return "the database"
}

// oneLine is err's message on one line, without a trailing period.
// noSuchTable is the table an SQLite "no such table: T" error names, or "".
func noSuchTable(err error) string {
	_, rest, ok := strings.Cut(err.Error(), "no such table: ")
	if !ok {
		return ""
	}
	if f := strings.Fields(rest); len(f) > 0 {
		return strings.TrimRight(f[0], ".,;)")
	}
	return ""
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	return strings.TrimRight(s, ".")
}
