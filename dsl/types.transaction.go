package dsl

import (
	"fmt"
	"strings"

	"github.com/flakebench/fbctl/internal/sqlscan"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A query with statement blocks is a transaction: its statements run in
// order in one transaction on one session and are measured as one
// operation. Values a let block names are drawn once per operation and
// shared by the statements (pgbench's \set); a statement's into binds the
// first column of its first row for the statements after it.

// Isolation levels a transaction may ask for.
const (
	IsolationReadCommitted  = "read_committed"
	IsolationRepeatableRead = "repeatable_read"
	IsolationSerializable   = "serializable"
)

// Isolations lists the isolation levels.
var Isolations = []string{IsolationReadCommitted, IsolationRepeatableRead, IsolationSerializable}

// isolationsFor is what each connection type can run: Postgres any level,
// SQLite only serializable (its only level), Snowflake only read committed.
var isolationsFor = map[string][]string{
	ConnPostgres:  Isolations,
	ConnSQLite:    {IsolationSerializable},
	ConnSnowflake: {IsolationReadCommitted},
}

// MaxTries bounds max_tries; MaxStatements the statements of a transaction.
const (
	MaxTries      = 100
	MaxStatements = 100
)

// Let is one named value of a transaction, drawn once per operation.
type Let struct {
	Name      string
	Gen       Generator
	DeclRange hcl.Range
}

// Statement is one statement of a transaction.
type Statement struct {
	Name string
	SQL  string
	Args []Generator // GenLet arguments name a Let or an earlier statement's Into
	// Into names the value the statement's first row's first column binds
	// (empty: none).
	Into      string
	Sensitive bool // the sql came from a sensitive value
	DeclRange hcl.Range
}

// IsWrite reports whether the statement modifies data, from its first
// keyword.
func (s *Statement) IsWrite() bool { return IsWriteSQL(s.SQL) }

// IsWriteSQL reports whether a statement's first keyword, after comments,
// is INSERT, UPDATE, DELETE, MERGE, UPSERT or REPLACE (a WITH clause is not
// looked into).
func IsWriteSQL(sql string) bool {
	for t := range sqlscan.Tokens(sql) {
		switch t.Kind {
		case sqlscan.LineComment, sqlscan.BlockComment:
			continue
		case sqlscan.Text:
			s := strings.TrimSpace(t.Text)
			if s == "" {
				continue
			}
			if end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }); end >= 0 {
				s = s[:end]
			}
			switch strings.ToUpper(s) {
			case "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE":
				return true
			}
		}
		return false
	}
	return false
}

// IsTransaction reports whether the query is a transaction.
func (q *Query) IsTransaction() bool { return len(q.Statements) > 0 }

var statementSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "sql", Required: true},
		{Name: "args"},
		{Name: "into"},
	},
}

// letObject is the value of `let` in a statement's args context: every
// name declared so far.
func letObject(names []string) cty.Value {
	m := map[string]cty.Value{}
	for _, n := range names {
		m[n] = genVal(GenLet, map[string]cty.Value{"let": cty.StringVal(n)})
	}
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// decodeTransaction decodes the let block, the statement blocks,
// isolation and max_tries of query q. content is the query body's content.
func (l *loader) decodeTransaction(t *Template, q *Query, b *hcl.Block, content *hcl.BodyContent, ctx, argsCtx *hcl.EvalContext, connType string) {
	attrs := content.Attributes
	stmts := content.Blocks.OfType("statement")
	lets := content.Blocks.OfType("let")
	if len(stmts) == 0 {
		if q.Kind == KindTransaction {
			a := attrs["kind"]
			l.diags = append(l.diags, errorDiag("Missing statement block",
				fmt.Sprintf("The query %q is of kind \"transaction\" but has no statement blocks; add one statement block per statement of the transaction.", q.Name),
				rangePtr(a.Expr.Range()), rangePtr(b.DefRange)))
		}
		for _, n := range []string{"isolation", "max_tries"} {
			if a := attrs[n]; a != nil {
				l.diags = append(l.diags, errorDiag("Not a transaction",
					fmt.Sprintf("The query %q sets %s, which only a transaction takes; add statement blocks (the statements of the transaction) or remove %s.", q.Name, n, n),
					rangePtr(a.NameRange), rangePtr(a.Range)))
			}
		}
		for _, lb := range lets {
			l.diags = append(l.diags, errorDiag("Not a transaction",
				fmt.Sprintf("The query %q has a let block, which only a transaction takes; add statement blocks or write the generators in args.", q.Name),
				rangePtr(lb.DefRange), nil))
		}
		return
	}
	q.Kind = KindTransaction
	q.MaxTries = 1
	for _, n := range []string{"sql", "args"} {
		if a := attrs[n]; a != nil {
			l.diags = append(l.diags, errorDiag("Conflicting query arguments",
				fmt.Sprintf("The query %q is a transaction (it has statement blocks), so its SQL is in the statements; move %s into a statement block.", q.Name, n),
				rangePtr(a.NameRange), rangePtr(a.Range)))
		}
	}
	if len(stmts) > MaxStatements {
		l.diags = append(l.diags, errorDiag("Too many statements",
			fmt.Sprintf("The transaction %q has %d statements, above fbctl's limit of %d.", q.Name, len(stmts), MaxStatements),
			rangePtr(stmts[MaxStatements].DefRange), nil))
	}
	if a := attrs["isolation"]; a != nil {
		if s, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if !contains(Isolations, s) {
			l.diags = append(l.diags, unknownValue("Unknown isolation level", "isolation level", s, Isolations, a.Expr.Range()))
		} else if allowed := isolationsFor[connType]; connType != "" && !contains(allowed, s) {
			l.diags = append(l.diags, errorDiag("Unsupported isolation level",
				fmt.Sprintf("A %s connection runs transactions at %s only; remove isolation or set it to %q.", connType, quoteList(allowed), allowed[0]),
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		} else {
			q.Isolation = s
		}
	}
	if a := attrs["max_tries"]; a != nil {
		n, ok, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		if ok && l.atMost(a, float64(n), MaxTries, "") {
			q.MaxTries = n
		}
	}
	var names []string
	declared := map[string]hcl.Range{}
	for i, lb := range lets {
		if i > 0 {
			l.diags = append(l.diags, duplicateBlock("let", lb))
			continue
		}
		battrs, d := lb.Body.JustAttributes()
		l.diags = append(l.diags, d...)
		for _, a := range sortedAttrs(battrs) {
			v, sensitive, known, d := evalExpr(a.Expr, argsCtx)
			l.diags = append(l.diags, d...)
			if !known {
				continue
			}
			g, diag := decodeGenerator(v, a.Expr.Range())
			if diag != nil {
				l.diags = append(l.diags, diag)
				continue
			}
			if g.Kind == GenPool && t.Pools[g.Pool] == nil {
				l.diags = append(l.diags, unknownName("Unknown pool", "pool|in this template", g.Pool, t.PoolOrder, g.Range))
				continue
			}
			if sensitive {
				g.Sensitive = true
				l.noteSecretValue(v)
			}
			q.Lets = append(q.Lets, &Let{Name: a.Name, Gen: g, DeclRange: a.Range})
			names = append(names, a.Name)
			declared[a.Name] = a.NameRange
		}
	}
	// Every into, with the statement that binds it, to tell a name used
	// before its statement from one never declared.
	laterInto := map[string]string{}
	for _, sb := range stmts {
		if sc, _, d := sb.Body.PartialContent(statementSchema); !d.HasErrors() {
			if a := sc.Attributes["into"]; a != nil {
				if v, ok, _ := getKeyword(a, ctx); ok {
					laterInto[v] = sb.Labels[0]
				}
			}
		}
	}
	seen := map[string]*Statement{}
	for _, sb := range stmts {
		name := sb.Labels[0]
		if prev := seen[name]; prev != nil {
			l.diags = append(l.diags, duplicate("statement", name, prev.DeclRange, sb.DefRange))
			continue
		}
		s := &Statement{Name: name, DeclRange: sb.DefRange}
		seen[name] = s
		q.Statements = append(q.Statements, s)
		sc, d := sb.Body.Content(statementSchema)
		l.diags = append(l.diags, d...)
		sqlOK := false
		if a := sc.Attributes["sql"]; a != nil {
			var sensitive bool
			s.SQL, sensitive, sqlOK, d = getString(a, ctx)
			l.diags = append(l.diags, d...)
			if sensitive {
				s.Sensitive = true
				q.Sensitive.set("sql")
				l.noteSecret(s.SQL)
			}
			if sqlOK && strings.TrimSpace(s.SQL) == "" {
				l.diags = append(l.diags, errorDiag("Empty SQL", fmt.Sprintf("The statement %q of transaction %q has an empty sql string.", name, q.Name), rangePtr(a.Expr.Range()), nil))
				sqlOK = false
			}
			if sqlOK && isTxControl(s.SQL) {
				l.diags = append(l.diags, errorDiag("Transaction control in a statement",
					fmt.Sprintf("The statement %q of transaction %q is %s; fbctl begins, commits and rolls back the transaction itself (on the extended protocol), so leave it out.", name, q.Name, strings.Fields(s.SQL)[0]),
					rangePtr(a.Expr.Range()), nil))
				sqlOK = false
			}
		}
		argsOK := true
		if a := sc.Attributes["args"]; a != nil && !l.letsDeclared(a, names, laterInto, name) {
			argsOK = false
		} else if a != nil {
			sctx := argsCtx.NewChild()
			sctx.Variables = map[string]cty.Value{"let": letObject(names)}
			s.Args, argsOK = l.decodeArgs(a, sctx)
			for _, g := range s.Args {
				if g.Kind == GenPool && t.Pools[g.Pool] == nil {
					l.diags = append(l.diags, unknownName("Unknown pool", "pool|in this template", g.Pool, t.PoolOrder, g.Range))
					argsOK = false
				}
			}
		}
		if sqlOK && argsOK {
			if n := CountPlaceholders(s.SQL); n != len(s.Args) {
				a := sc.Attributes["sql"]
				l.diags = append(l.diags, errorDiag("Placeholder count mismatch",
					fmt.Sprintf("The sql of statement %q (transaction %q) has %d placeholder(s) but args gives %d value(s); give one argument per ? (or per distinct $N).", name, q.Name, n, len(s.Args)),
					rangePtr(a.Expr.Range()), rangePtr(sb.DefRange)))
			}
		}
		if a := sc.Attributes["into"]; a != nil {
			if v, ok, d := getKeyword(a, ctx); !ok {
				l.diags = append(l.diags, d...)
			} else if !hclsyntaxValidIdent(v) {
				l.diags = append(l.diags, errorDiag("Invalid into",
					fmt.Sprintf("into names the value later statements read as let.NAME; %q is not a valid name (letters, digits, _ and -, starting with a letter).", v),
					rangePtr(a.Expr.Range()), nil))
			} else if prev, dup := declared[v]; dup {
				l.diags = append(l.diags, errorDiag("Duplicate let name",
					fmt.Sprintf("The name %q was already declared at %s; each let name and into of a transaction must be unique.", v, prev.String()),
					rangePtr(a.Expr.Range()), nil))
			} else if s.IsWrite() && !strings.Contains(strings.ToUpper(s.SQL), "RETURNING") {
				l.diags = append(l.diags, errorDiag("Invalid into",
					fmt.Sprintf("The statement %q writes and returns no rows, so it has nothing to bind into %q; use into on a SELECT (or a write with RETURNING).", name, v),
					rangePtr(a.Expr.Range()), nil))
			} else {
				s.Into = v
				names = append(names, v)
				declared[v] = a.Expr.Range()
			}
		}
	}
}

// letsDeclared reports every let.NAME in a's expression that is not
// declared before statement stmt: bound by a later statement's into, or
// not declared at all.
func (l *loader) letsDeclared(a *hcl.Attribute, names []string, laterInto map[string]string, stmt string) bool {
	ok := true
	for _, tr := range a.Expr.Variables() {
		if tr.RootName() != "let" || len(tr) < 2 {
			continue
		}
		at, isAttr := tr[1].(hcl.TraverseAttr)
		if !isAttr || contains(names, at.Name) {
			continue
		}
		ok = false
		if by, later := laterInto[at.Name]; later && by != stmt {
			l.diags = append(l.diags, errorDiag("Value used before it is bound",
				fmt.Sprintf("let.%s is bound by the into of statement %q, which runs after statement %q; a statement can read only the values of statements before it.", at.Name, by, stmt),
				rangePtr(tr.SourceRange()), nil))
		} else if later {
			l.diags = append(l.diags, errorDiag("Value used before it is bound",
				fmt.Sprintf("let.%s is bound by this statement's own into, after it runs; read it in a later statement.", at.Name),
				rangePtr(tr.SourceRange()), nil))
		} else {
			l.diags = append(l.diags, unknownName("Unknown let value", "let value|declared before statement "+fmt.Sprintf("%q", stmt), at.Name, names, tr.SourceRange()))
		}
	}
	return ok
}

func isTxControl(sql string) bool {
	f := strings.Fields(strings.ToUpper(sql))
	if len(f) == 0 {
		return false
	}
	switch strings.TrimSuffix(f[0], ";") {
	case "BEGIN", "COMMIT", "END", "ROLLBACK", "START", "SAVEPOINT", "RELEASE":
		return true
	}
	return false
}

func hclsyntaxValidIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// Generators returns every generator of the query: its args, or a
// transaction's let values and statement args.
func (q *Query) Generators() []Generator {
	if !q.IsTransaction() {
		return q.Args
	}
	var out []Generator
	for _, l := range q.Lets {
		out = append(out, l.Gen)
	}
	for _, s := range q.Statements {
		out = append(out, s.Args...)
	}
	return out
}
