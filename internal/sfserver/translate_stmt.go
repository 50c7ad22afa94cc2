package sfserver

import (
	"fmt"
	"strconv"
	"strings"
)

// Statement type ids as Snowflake reports them (statementTypeId). The driver
// only checks the ranges: 0x1000 query, 0x3000-0x3FFF DML, the rest "other".
const (
	typeSelect  = 0x1000
	typeInsert  = 0x3100
	typeUpdate  = 0x3200
	typeDelete  = 0x3300
	typeMerge   = 0x3400
	typeSCL     = 0x4000 // ALTER SESSION, USE, SHOW
	typeTCL     = 0x5000 // BEGIN, COMMIT, ROLLBACK
	typeDDL     = 0x6000
	typeUnknown = 0x6000
)

// action says who executes a translated statement.
type action int

const (
	actSQLite          action = iota // run steps on the session's SQLite connection
	actAlterSession                  // ALTER SESSION SET/UNSET
	actUse                           // USE WAREHOUSE/DATABASE/SCHEMA/ROLE
	actShowWarehouses                // SHOW WAREHOUSES [LIKE]
	actShowTables                    // SHOW TABLES [LIKE]
	actAlterWarehouse                // ALTER WAREHOUSE x RESUME|SUSPEND|SET
	actCreateWarehouse               // CREATE [OR REPLACE] WAREHOUSE [IF NOT EXISTS] x
	actNoop                          // accepted, nothing to do (CREATE DATABASE, …)
)

// step is one SQLite statement of a translation.
type step struct {
	SQL       string
	MaxArg    int    // highest ?N used; the step gets args[:MaxArg]
	IgnoreErr string // an error containing this text is treated as success
	CountCol  int    // DML: index of the count column it adds to; -1 none
}

// translation is the result of translating one Snowflake statement.
type translation struct {
	Action    action
	TypeID    int64
	QueryType string // QUERY_HISTORY.QUERY_TYPE
	Steps     []step
	CountCols []string // DML result columns
	History   bool     // reads the emulated QUERY_HISTORY
	NeedsWH   bool     // needs a running warehouse
	Status    string   // status text for non-query statements
	// For the server-handled actions:
	Name   string            // object name (USE, ALTER WAREHOUSE, CREATE WAREHOUSE)
	Verb   string            // USE target kind, ALTER WAREHOUSE verb
	Params map[string]string // ALTER SESSION SET / ALTER WAREHOUSE SET k=v
	Unset  []string          // ALTER SESSION UNSET
	Like   string            // SHOW … LIKE pattern
	// CREATE TABLE: the bare table name and its kind (STANDARD, HYBRID,
	// INTERACTIVE, …), so the server knows which tables are hybrid.
	Table, TableKind string
	ClusterBy        []string // CLUSTER BY keys, upper-cased
	TargetLag        string
	Tables           []string // CREATE INTERACTIVE WAREHOUSE … TABLES (…), ALTER WAREHOUSE … ADD TABLES (…)
}

// translate turns one Snowflake SQL statement into a translation.
func translate(sqlText string, e env) (*translation, error) {
	toks, _, err := tokenize(sqlText)
	if err != nil {
		return nil, fmt.Errorf("syntax error: %w", err)
	}
	for len(toks) > 0 && toks[len(toks)-1].is(";") {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty SQL statement")
	}
	for _, t := range toks {
		if t.is(";") {
			return nil, fmt.Errorf("multiple statements in one request are not supported by the local server")
		}
	}
	kw := func(i int) string {
		if i < len(toks) {
			return toks[i].up()
		}
		return ""
	}
	tr := &translation{Action: actSQLite, TypeID: typeUnknown}
	first := kw(0)
	switch first {
	case "SELECT", "WITH", "VALUES", "(":
		tr.TypeID, tr.QueryType = typeSelect, "SELECT"
		tr.NeedsWH = hasKeyword(toks, "FROM")
		return tr.plain(toks, e, -1), nil
	case "INSERT":
		tr.TypeID, tr.QueryType, tr.CountCols, tr.NeedsWH = typeInsert, "INSERT", []string{"number of rows inserted"}, true
		return tr.plain(unionToValues(toks), e, 0), nil
	case "UPDATE":
		tr.TypeID, tr.QueryType, tr.NeedsWH = typeUpdate, "UPDATE", true
		tr.CountCols = []string{"number of rows updated", "number of multi-joined rows updated"}
		return tr.plain(toks, e, 0), nil
	case "DELETE":
		tr.TypeID, tr.QueryType, tr.CountCols, tr.NeedsWH = typeDelete, "DELETE", []string{"number of rows deleted"}, true
		return tr.plain(toks, e, 0), nil
	case "MERGE":
		tr.TypeID, tr.QueryType, tr.NeedsWH = typeMerge, "MERGE", true
		return tr, translateMerge(tr, toks, e)
	case "BEGIN", "START":
		tr.TypeID, tr.QueryType, tr.Status = typeTCL, "BEGIN_TRANSACTION", "Statement executed successfully."
		// IMMEDIATE: take the write lock now, so concurrent read-then-write
		// transactions wait for each other (like row locks) instead of
		// failing when one upgrades a stale snapshot.
		tr.Steps = []step{{SQL: "BEGIN IMMEDIATE", CountCol: -1}}
		return tr, nil
	case "COMMIT", "ROLLBACK":
		tr.TypeID, tr.QueryType, tr.Status = typeTCL, first, "Statement executed successfully."
		tr.Steps = []step{{SQL: first, CountCol: -1}}
		return tr, nil
	case "USE":
		tr.TypeID, tr.QueryType, tr.Action = typeSCL, "USE", actUse
		i := 1
		switch kw(1) {
		case "WAREHOUSE", "DATABASE", "SCHEMA", "ROLE", "SECONDARY":
			tr.Verb, i = kw(1), 2
		default:
			tr.Verb = "DATABASE"
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("syntax error: USE needs a name")
		}
		tr.Name = unquote(toks[len(toks)-1])
		if tr.Verb == "SCHEMA" && len(toks) > i+2 && toks[len(toks)-2].is(".") {
			tr.Params = map[string]string{"DATABASE": unquote(toks[len(toks)-3])}
		}
		tr.Status = "Statement executed successfully."
		return tr, nil
	case "SHOW":
		tr.TypeID, tr.QueryType = typeSCL, "SHOW"
		switch kw(1) {
		case "WAREHOUSES":
			tr.Action = actShowWarehouses
		case "TABLES":
			tr.Action = actShowTables
		default:
			return nil, fmt.Errorf("unsupported feature: the local server answers only SHOW WAREHOUSES and SHOW TABLES")
		}
		if kw(2) == "LIKE" && len(toks) > 3 && toks[3].kind == tkString {
			tr.Like = unquoteString(toks[3].text)
		}
		return tr, nil
	case "ALTER":
		return translateAlter(tr, toks, e)
	case "CREATE":
		return translateCreate(tr, toks, e)
	case "DROP":
		return translateDrop(tr, toks, e)
	case "TRUNCATE":
		tr.TypeID, tr.QueryType, tr.Status = typeDDL, "TRUNCATE_TABLE", "Statement executed successfully."
		i := 1
		if kw(i) == "TABLE" {
			i++
		}
		ignore := ""
		if kw(i) == "IF" && kw(i+1) == "EXISTS" {
			i, ignore = i+2, "no such table"
		}
		rest, _ := rewriteExpr(toks[i:], e)
		tr.Steps = []step{{SQL: "DELETE FROM " + render(rest), IgnoreErr: ignore, CountCol: -1}}
		return tr, nil
	}
	return nil, fmt.Errorf("unsupported feature: the local server does not translate %s statements", first)
}

// unionToValues turns INSERT … SELECT a, b UNION ALL SELECT c, d (one SELECT
// per row, no FROM) into INSERT … VALUES (a, b), (c, d): SQLite limits a
// compound SELECT to 500 terms but not a VALUES list.
func unionToValues(toks []token) []token {
	sel := findTop(toks, 0, "SELECT")
	if sel < 0 || findTop(toks, sel, "FROM", "WHERE", "GROUP", "ORDER", "LIMIT") >= 0 {
		return toks
	}
	var rows [][]token
	start := sel
	for i := sel; i <= len(toks); i++ {
		if i < len(toks) {
			if u := toks[i].up(); !(u == "UNION" && i+1 < len(toks) && toks[i+1].up() == "ALL") {
				if u == "UNION" || u == "INTERSECT" || u == "EXCEPT" || u == "MINUS" {
					return toks
				}
				if toks[i].is("(") {
					i = matchParen(toks, i)
					if i < 0 {
						return toks
					}
				}
				continue
			}
		}
		part := toks[start:i]
		if len(part) < 2 || part[0].up() != "SELECT" {
			return toks
		}
		rows = append(rows, part[1:])
		start = i + 2
		i++
	}
	if len(rows) < 2 {
		return toks
	}
	out := append([]token(nil), toks[:sel]...)
	out = append(out, token{tkIdent, "VALUES"})
	for r, row := range rows {
		if r > 0 {
			out = append(out, token{tkPunct, ","})
		}
		out = append(out, token{tkPunct, "("})
		out = append(out, row...)
		out = append(out, token{tkPunct, ")"})
	}
	return out
}

// plain rewrites expressions only and runs the result as one step.
func (tr *translation) plain(toks []token, e env, countCol int) *translation {
	out, hist := rewriteExpr(toks, e)
	tr.History = hist
	tr.Steps = []step{{SQL: render(plainParams(out)), MaxArg: maxArg(out), CountCol: countCol}}
	return tr
}

func hasKeyword(toks []token, k string) bool {
	for _, t := range toks {
		if t.up() == k {
			return true
		}
	}
	return false
}

// plainParams turns ?1, ?2, … ?n back into anonymous ? when they appear in
// exactly that order. Numbered parameters are only needed when a rewrite
// repeats or reorders them, and they are costly: the SQLite driver looks up
// every parameter's name, which is linear in the number of named ones.
func plainParams(toks []token) []token {
	n := 0
	for _, t := range toks {
		if t.kind == tkParam {
			n++
			if t.text != "?"+strconv.Itoa(n) {
				return toks
			}
		}
	}
	if n == 0 {
		return toks
	}
	out := make([]token, len(toks))
	for i, t := range toks {
		if t.kind == tkParam {
			t.text = "?"
		}
		out[i] = t
	}
	return out
}

func maxArg(toks []token) int {
	m := 0
	for _, t := range toks {
		if t.kind == tkParam && t.text[0] == '?' {
			var n int
			fmt.Sscanf(t.text[1:], "%d", &n)
			m = max(m, n)
		}
	}
	return m
}

func unquoteString(s string) string { return strings.ReplaceAll(s[1:len(s)-1], "''", "'") }

// findTop returns the index of the first top-level (depth 0) bare keyword in
// toks[from:], or -1.
func findTop(toks []token, from int, kws ...string) int {
	depth := 0
	for i := from; i < len(toks); i++ {
		switch {
		case toks[i].is("("):
			depth++
		case toks[i].is(")"):
			depth--
		case depth == 0:
			for _, k := range kws {
				if toks[i].up() == k {
					return i
				}
			}
		}
	}
	return -1
}

// splitTop splits toks on top-level commas.
func splitTop(toks []token) [][]token {
	var parts [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
		case t.is(",") && depth == 0:
			parts = append(parts, toks[start:i])
			start = i + 1
		}
	}
	return append(parts, toks[start:])
}

func translateAlter(tr *translation, toks []token, e env) (*translation, error) {
	kw := toks[1].up()
	switch kw {
	case "SESSION":
		tr.TypeID, tr.QueryType, tr.Action = typeSCL, "ALTER_SESSION", actAlterSession
		tr.Status = "Statement executed successfully."
		if len(toks) < 3 {
			return nil, fmt.Errorf("syntax error: ALTER SESSION needs SET or UNSET")
		}
		if toks[2].up() == "UNSET" {
			for _, p := range splitTop(toks[3:]) {
				if len(p) > 0 {
					tr.Unset = append(tr.Unset, unquote(p[0]))
				}
			}
			return tr, nil
		}
		params, err := parseAssignments(toks[3:])
		tr.Params = params
		return tr, err
	case "WAREHOUSE":
		tr.TypeID, tr.QueryType, tr.Action = typeDDL, "ALTER_WAREHOUSE", actAlterWarehouse
		tr.Status = "Statement executed successfully."
		i := 2
		if len(toks) > 3 && toks[2].up() == "IF" && toks[3].up() == "EXISTS" {
			i = 4
		}
		if i+1 >= len(toks) {
			return nil, fmt.Errorf("syntax error: ALTER WAREHOUSE needs a name and an action")
		}
		tr.Name, tr.Verb = unquote(toks[i]), toks[i+1].up()
		if tr.Verb == "ADD" || tr.Verb == "REMOVE" {
			_, tr.Tables = cutTables(toks[i+2:])
		}
		if tr.Verb == "SET" {
			params, err := parseAssignments(toks[i+2:])
			tr.Params = params
			return tr, err
		}
		return tr, nil
	case "TABLE":
		tr.TypeID, tr.QueryType, tr.Status = typeDDL, "ALTER_TABLE", "Statement executed successfully."
		// ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c type …
		i := 2
		if len(toks) > 4 && toks[2].up() == "IF" && toks[3].up() == "EXISTS" {
			i = 4
		}
		out, _ := rewriteExpr(toks[i:i+1], e)
		j := i + 1
		if j < len(toks) && toks[j].up() == "ADD" {
			j++
			if j < len(toks) && toks[j].up() == "COLUMN" {
				j++
			}
			ignore := ""
			if j+2 < len(toks) && toks[j].up() == "IF" && toks[j+1].up() == "NOT" && toks[j+2].up() == "EXISTS" {
				j, ignore = j+3, "duplicate column name"
			}
			col := columnDef(toks[j:])
			tr.Steps = []step{{SQL: "ALTER TABLE " + render(out) + " ADD COLUMN " + render(col), IgnoreErr: ignore, CountCol: -1}}
			return tr, nil
		}
		rest, _ := rewriteExpr(toks[j:], e)
		tr.Steps = []step{{SQL: "ALTER TABLE " + render(out) + " " + render(rest), CountCol: -1}}
		return tr, nil
	case "DYNAMIC", "HYBRID", "INTERACTIVE", "DATABASE", "SCHEMA", "USER", "ROLE":
		tr.TypeID, tr.QueryType, tr.Action = typeDDL, "ALTER", actNoop
		tr.Status = "Statement executed successfully."
		return tr, nil
	}
	return nil, fmt.Errorf("unsupported feature: ALTER %s", kw)
}

// parseAssignments reads k = v [,] k = v … (values: strings, numbers, names).
func parseAssignments(toks []token) (map[string]string, error) {
	params := map[string]string{}
	for i := 0; i < len(toks); {
		if toks[i].is(",") {
			i++
			continue
		}
		if i+2 >= len(toks) || !toks[i+1].is("=") {
			return nil, fmt.Errorf("syntax error: expected name = value")
		}
		v := toks[i+2]
		val := v.text
		switch v.kind {
		case tkString:
			val = unquoteString(v.text)
		case tkQuoted, tkIdent:
			val = unquote(v)
		}
		params[unquote(toks[i])] = val
		i += 3
	}
	return params, nil
}
