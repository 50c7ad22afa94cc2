package sfserver

import (
	"fmt"
	"strings"
)

// translateCreate handles CREATE [OR REPLACE|OR ALTER] [TEMP|TRANSIENT]
// [HYBRID|DYNAMIC|INTERACTIVE] TABLE / VIEW / WAREHOUSE / DATABASE / SCHEMA.
func translateCreate(tr *translation, toks []token, e env) (*translation, error) {
	tr.TypeID, tr.Status = typeDDL, "Statement executed successfully."
	i := 1
	replace, orAlter, temp := false, false, false
	kind := "STANDARD"
	for ; i < len(toks); i++ {
		switch toks[i].up() {
		case "OR":
			switch toks[i+1].up() {
			case "REPLACE":
				replace = true
			case "ALTER":
				orAlter = true
			}
			i++
			continue
		case "TEMP", "TEMPORARY", "VOLATILE":
			temp = true
			continue
		case "LOCAL", "GLOBAL", "TRANSIENT", "SECURE", "RECURSIVE", "MATERIALIZED":
			continue
		case "HYBRID", "DYNAMIC", "INTERACTIVE", "ICEBERG":
			kind = toks[i].up()
			continue
		}
		break
	}
	if i >= len(toks) {
		return nil, fmt.Errorf("syntax error: incomplete CREATE")
	}
	obj := toks[i].up()
	i++
	ifNotExists := false
	if i+2 < len(toks) && toks[i].up() == "IF" && toks[i+1].up() == "NOT" && toks[i+2].up() == "EXISTS" {
		ifNotExists, i = true, i+3
	}
	ifNot := ""
	if ifNotExists || orAlter {
		ifNot = "IF NOT EXISTS "
	}
	switch obj {
	case "WAREHOUSE":
		tr.Action, tr.QueryType = actCreateWarehouse, "CREATE_WAREHOUSE"
		if i >= len(toks) {
			return nil, fmt.Errorf("syntax error: CREATE WAREHOUSE needs a name")
		}
		tr.Name = unquote(toks[i])
		rest, tables := cutTables(toks[i+1:])
		tr.Params, _ = parseAssignments(stripWith(rest))
		if kind == "INTERACTIVE" {
			if tr.Params == nil {
				tr.Params = map[string]string{}
			}
			tr.Params["WAREHOUSE_TYPE"], tr.Tables = "INTERACTIVE", tables
		}
		return tr, nil
	case "DATABASE", "SCHEMA", "ROLE", "USER", "STAGE", "FILE", "SEQUENCE":
		tr.Action, tr.QueryType = actNoop, "CREATE"
		return tr, nil
	case "VIEW", "TABLE":
	default:
		return nil, fmt.Errorf("unsupported feature: CREATE %s", obj)
	}
	if i >= len(toks) {
		return nil, fmt.Errorf("syntax error: CREATE %s needs a name", obj)
	}
	qname := qualifiedName(toks, &i)
	if len(qname) > 0 && obj == "TABLE" {
		tr.Table, tr.TableKind = unquote(qname[len(qname)-1]), kind
		tr.ClusterBy, tr.TargetLag = tableOptions(toks, i, len(toks))
	}
	nameToks, _ := rewriteExpr(qname, e)
	name := render(nameToks)
	asAt := findTop(toks, i, "AS")
	isView := obj == "VIEW" || (kind == "DYNAMIC" && asAt >= 0)
	tempKw := ""
	if temp {
		tempKw = "TEMP "
	}
	if replace {
		tr.Steps = append(tr.Steps,
			step{SQL: "DROP TABLE IF EXISTS " + name, IgnoreErr: "use DROP VIEW", CountCol: -1},
			step{SQL: "DROP VIEW IF EXISTS " + name, IgnoreErr: "use DROP TABLE", CountCol: -1})
	}
	if isView {
		tr.QueryType = "CREATE_VIEW"
		if asAt < 0 {
			return nil, fmt.Errorf("syntax error: CREATE VIEW needs AS <query>")
		}
		q, hist := rewriteExpr(toks[asAt+1:], e)
		tr.History = hist
		tr.Steps = append(tr.Steps, step{SQL: "CREATE " + tempKw + "VIEW " + ifNot + name + " AS " + render(plainParams(q)), MaxArg: maxArg(q), CountCol: -1})
		return tr, nil
	}
	tr.QueryType = "CREATE_TABLE"
	if kind == "HYBRID" {
		tr.QueryType = "CREATE_HYBRID_TABLE"
	}
	if i < len(toks) && toks[i].is("(") {
		end := matchParen(toks, i)
		if end < 0 {
			return nil, fmt.Errorf("syntax error: unbalanced parentheses in CREATE TABLE")
		}
		var cols, indexes []string
		for _, part := range splitTop(toks[i+1 : end]) {
			if len(part) == 0 {
				continue
			}
			if part[0].up() == "INDEX" && len(part) > 2 {
				// INDEX name (cols) [INCLUDE (cols)] → CREATE INDEX
				p := 2
				if p < len(part) && part[p].is("(") {
					if m := matchParen(part, p); m > 0 {
						idx := strings.Trim(render(nameToks), `"`) + "_" + strings.Trim(part[1].text, `"`)
						indexes = append(indexes, "CREATE INDEX IF NOT EXISTS \""+idx+"\" ON "+name+" "+render(part[p:m+1]))
					}
				}
				continue
			}
			switch part[0].up() {
			case "PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK":
				cols = append(cols, render(stripConstraintExtras(part)))
			default:
				cols = append(cols, render(columnDef(part)))
			}
		}
		tr.Steps = append(tr.Steps, step{SQL: "CREATE " + tempKw + "TABLE " + ifNot + name + " (" + strings.Join(cols, ", ") + ")", CountCol: -1})
		for _, ix := range indexes {
			tr.Steps = append(tr.Steps, step{SQL: ix, CountCol: -1})
		}
		return tr, nil
	}
	if asAt >= 0 {
		q, hist := rewriteExpr(toks[asAt+1:], e)
		tr.History = hist
		tr.Steps = append(tr.Steps, step{SQL: "CREATE " + tempKw + "TABLE " + ifNot + name + " AS " + render(plainParams(q)), MaxArg: maxArg(q), CountCol: -1})
		return tr, nil
	}
	return nil, fmt.Errorf("unsupported feature: CREATE TABLE without a column list or AS query")
}

func stripWith(toks []token) []token {
	if len(toks) > 0 && toks[0].up() == "WITH" {
		return toks[1:]
	}
	return toks
}

// qualifiedName reads a possibly dotted name at toks[*i] and advances *i.
func qualifiedName(toks []token, i *int) []token {
	start := *i
	*i++
	for *i+1 < len(toks) && toks[*i].is(".") && isName(toks[*i+1]) {
		*i += 2
	}
	return toks[start:*i]
}

// columnDef translates one column definition: maps its type, drops COMMENT,
// COLLATE, AUTOINCREMENT/IDENTITY options and rewrites default expressions.
func columnDef(part []token) []token {
	if len(part) < 2 {
		return part
	}
	out := []token{part[0]}
	typEnd := 1
	if typEnd+1 < len(part) && part[typEnd+1].is("(") {
		if m := matchParen(part, typEnd+1); m > 0 {
			typEnd = m
		}
	}
	if part[1].up() == "DOUBLE" && typEnd == 1 && len(part) > 2 && part[2].up() == "PRECISION" {
		typEnd = 2
	}
	typ := mapType(part[1 : typEnd+1])
	rest := part[typEnd+1:]
	auto := false
	var tail []token
	for k := 0; k < len(rest); k++ {
		switch rest[k].up() {
		case "COMMENT", "COLLATE":
			k++ // skip the literal
			continue
		case "AUTOINCREMENT", "IDENTITY":
			auto = true
			if k+1 < len(rest) && rest[k+1].is("(") {
				k = matchParen(rest, k+1)
			}
			for k+2 < len(rest) && (rest[k+1].up() == "START" || rest[k+1].up() == "INCREMENT") {
				k += 2
			}
			continue
		case "ORDER", "NOORDER":
			continue
		case "WITH", "MASKING", "TAG", "PROJECTION":
			k = len(rest) // policies and tags: drop the rest
			continue
		}
		tail = append(tail, rest[k])
	}
	if auto && hasKeyword(tail, "PRIMARY") {
		typ = []token{{tkIdent, "INTEGER"}}
	}
	tail, _ = rewriteExpr(tail, env{})
	// SQLite needs parentheses around non-literal defaults.
	for k := 0; k+1 < len(tail); k++ {
		if tail[k].up() == "DEFAULT" && tail[k+1].kind == tkIdent && strings.HasPrefix(tail[k+1].text, "(") {
			continue
		}
		if tail[k].up() == "DEFAULT" && tail[k+1].kind == tkIdent && k+2 < len(tail) && tail[k+2].is("(") {
			m := matchParen(tail, k+2)
			if m > 0 {
				wrapped := append([]token{{tkPunct, "("}}, tail[k+1:m+1]...)
				wrapped = append(wrapped, token{tkPunct, ")"})
				tail = append(append(append([]token{}, tail[:k+1]...), wrapped...), tail[m+1:]...)
			}
		}
	}
	out = append(out, typ...)
	return append(out, tail...)
}

func stripConstraintExtras(part []token) []token {
	var out []token
	for k := 0; k < len(part); k++ {
		switch part[k].up() {
		case "ENFORCED", "RELY", "NORELY", "VALIDATE", "NOVALIDATE", "ENABLE", "DISABLE":
			continue
		case "NOT":
			if k+1 < len(part) && part[k+1].up() == "ENFORCED" {
				k++
				continue
			}
		case "COMMENT":
			k++
			continue
		}
		out = append(out, part[k])
	}
	return out
}

func translateDrop(tr *translation, toks []token, e env) (*translation, error) {
	tr.TypeID, tr.Status = typeDDL, "Statement executed successfully."
	i := 1
	kind := ""
	for i < len(toks) {
		switch toks[i].up() {
		case "DYNAMIC", "HYBRID", "INTERACTIVE", "ICEBERG", "TRANSIENT", "MATERIALIZED":
			kind = toks[i].up()
			i++
			continue
		}
		break
	}
	if i >= len(toks) {
		return nil, fmt.Errorf("syntax error: incomplete DROP")
	}
	obj := toks[i].up()
	switch obj {
	case "TABLE", "VIEW":
	case "WAREHOUSE", "DATABASE", "SCHEMA", "ROLE", "USER", "STAGE", "SEQUENCE":
		tr.Action, tr.QueryType = actNoop, "DROP"
		return tr, nil
	default:
		return nil, fmt.Errorf("unsupported feature: DROP %s", obj)
	}
	i++
	ifExists := ""
	if i+1 < len(toks) && toks[i].up() == "IF" && toks[i+1].up() == "EXISTS" {
		ifExists, i = "IF EXISTS ", i+2
	}
	if i >= len(toks) {
		return nil, fmt.Errorf("syntax error: DROP %s needs a name", obj)
	}
	name, _ := rewriteExpr(qualifiedName(toks, &i), e)
	if kind == "DYNAMIC" || kind == "MATERIALIZED" {
		obj = "VIEW"
	}
	tr.QueryType = "DROP"
	tr.Steps = []step{{SQL: "DROP " + obj + " " + ifExists + render(name), CountCol: -1}}
	return tr, nil
}

// translateMerge emulates
//
//	MERGE INTO t [[AS] a] USING (SELECT …)|src [[AS] s] ON cond
//	WHEN MATCHED [AND c] THEN UPDATE SET col = expr, …
//	WHEN NOT MATCHED [AND c] THEN INSERT [(cols)] VALUES (exprs)
//
// with two SQLite statements, run in this order so that matching uses the
// state before the merge: UPDATE … FROM (source) WHERE cond, then
// INSERT … SELECT … FROM (source) WHERE NOT EXISTS (target row matching cond).
// Placeholders in the source are repeated by number, so binds still line up.
func translateMerge(tr *translation, toks []token, e env) error {
	toks, hist := rewriteExpr(toks, e)
	tr.History = hist
	tr.CountCols = []string{"number of rows inserted", "number of rows updated"}
	into := findTop(toks, 0, "INTO")
	using := findTop(toks, 0, "USING")
	on := findTop(toks, 0, "ON")
	if into != 1 || using < 0 || on < using {
		return fmt.Errorf("syntax error: expected MERGE INTO <target> USING <source> ON <condition>")
	}
	targetToks, targetAlias := nameAndAlias(toks[into+1 : using])
	target := render(targetToks)
	srcToks, srcAlias := nameAndAlias(toks[using+1 : on])
	if srcAlias == "" {
		srcAlias = render(srcToks)
	}
	src := render(srcToks) + " AS " + srcAlias
	var whens []int
	depth := 0
	for k := on; k < len(toks); k++ {
		switch {
		case toks[k].is("("):
			depth++
		case toks[k].is(")"):
			depth--
		case depth == 0 && toks[k].up() == "WHEN":
			whens = append(whens, k)
		}
	}
	if len(whens) == 0 {
		return fmt.Errorf("syntax error: MERGE needs WHEN clauses")
	}
	cond := render(toks[on+1 : whens[0]])
	tDecl := target
	if targetAlias != "" {
		tDecl = target + " AS " + targetAlias
	}
	var update, insert *step
	for w, at := range whens {
		end := len(toks)
		if w+1 < len(whens) {
			end = whens[w+1]
		}
		clause := toks[at+1 : end]
		then := findTop(clause, 0, "THEN")
		if then < 0 || then+1 >= len(clause) {
			return fmt.Errorf("syntax error: WHEN without THEN in MERGE")
		}
		matched := clause[0].up() == "MATCHED"
		extra := ""
		if a := findTop(clause[:then], 0, "AND"); a >= 0 {
			extra = " AND (" + render(clause[a+1:then]) + ")"
		}
		action := clause[then+1:]
		switch {
		case matched && action[0].up() == "UPDATE" && len(action) > 2 && action[1].up() == "SET":
			var sets []string
			for _, a := range splitTop(action[2:]) {
				if len(a) > 2 && a[1].is(".") { // t.col = … → col = …
					a = a[2:]
				}
				sets = append(sets, render(a))
			}
			s := "UPDATE " + tDecl + " SET " + strings.Join(sets, ", ") + " FROM " + src + " WHERE (" + cond + ")" + extra
			update = &step{SQL: s, CountCol: 1}
		case !matched && action[0].up() == "INSERT":
			vals := findTop(action, 0, "VALUES")
			if vals < 0 || vals+1 >= len(action) {
				return fmt.Errorf("syntax error: MERGE INSERT needs VALUES")
			}
			cols := render(action[1:vals])
			v := action[vals+1:]
			exprs := render(v[1 : len(v)-1])
			s := "INSERT INTO " + target + " " + cols + " SELECT " + exprs + " FROM " + src +
				" WHERE NOT EXISTS (SELECT 1 FROM " + tDecl + " WHERE " + cond + ")" + extra
			insert = &step{SQL: s, CountCol: 0}
		default:
			return fmt.Errorf("unsupported feature: MERGE clause WHEN %s THEN %s", render(clause[:then]), action[0].text)
		}
	}
	for _, s := range []*step{update, insert} {
		if s != nil {
			t, _, err := tokenize(s.SQL)
			if err != nil {
				return err
			}
			s.MaxArg = maxArg(t)
			tr.Steps = append(tr.Steps, *s)
		}
	}
	return nil
}

// nameAndAlias splits "x [AS] a" (x a name or a parenthesised query).
func nameAndAlias(toks []token) ([]token, string) {
	if len(toks) == 0 {
		return toks, ""
	}
	n := 1
	if toks[0].is("(") {
		n = matchParen(toks, 0) + 1
	} else {
		for n+1 < len(toks) && toks[n].is(".") {
			n += 2
		}
	}
	rest := toks[n:]
	if len(rest) > 0 && rest[0].up() == "AS" {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return toks[:n], render(rest[:1])
	}
	return toks[:n], ""
}
