package sfserver

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the tokenizer and the expression-level rewrites of the
// Snowflake-to-SQLite translator. Statement-level rewrites (DDL, MERGE) are in
// translate_stmt.go. The translator handles a known subset of Snowflake SQL:
// what fbctl itself emits plus common benchmark queries. It is not a parser.

type tokKind int

const (
	tkIdent  tokKind = iota // bare identifier or keyword
	tkQuoted                // "quoted identifier"
	tkString                // 'string literal', already in SQLite escaping
	tkNumber
	tkParam // ?N or :name after normalisation
	tkPunct
)

type token struct {
	kind tokKind
	text string
}

// up returns the upper-cased text of a bare identifier, "" otherwise.
func (t token) up() string {
	if t.kind != tkIdent {
		return ""
	}
	return strings.ToUpper(t.text)
}

func (t token) is(p string) bool { return t.kind == tkPunct && t.text == p }

// tokenize splits Snowflake SQL into significant tokens, dropping comments and
// whitespace. Positional placeholders (? and :N) become ?N with N the 1-based
// position in the original text, so that a rewrite can repeat or reorder them.
// It returns the highest placeholder number seen.
func tokenize(src string) ([]token, int, error) {
	var toks []token
	param := 0
	maxParam := 0
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(src[i:], "--"), c == '/' && strings.HasPrefix(src[i:], "//"):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				i = len(src)
			} else {
				i += j + 1
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, 0, fmt.Errorf("unterminated comment")
			}
			i += j + 4
		case c == '\'':
			s, n, err := scanString(src[i:])
			if err != nil {
				return nil, 0, err
			}
			toks = append(toks, token{tkString, sqliteQuote(s)})
			i += n
		case c == '$' && strings.HasPrefix(src[i:], "$$"):
			j := strings.Index(src[i+2:], "$$")
			if j < 0 {
				return nil, 0, fmt.Errorf("unterminated $$ string")
			}
			toks = append(toks, token{tkString, sqliteQuote(src[i+2 : i+2+j])})
			i += j + 4
		case c == '"':
			j := i + 1
			for j < len(src) {
				if src[j] == '"' {
					if j+1 < len(src) && src[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(src) {
				return nil, 0, fmt.Errorf("unterminated quoted identifier")
			}
			toks = append(toks, token{tkQuoted, src[i : j+1]})
			i = j + 1
		case c == '?':
			param++
			j := i + 1
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			n := param
			if j > i+1 {
				n, _ = strconv.Atoi(src[i+1 : j])
			}
			maxParam = max(maxParam, n)
			toks = append(toks, token{tkParam, "?" + strconv.Itoa(n)})
			i = j
		case c == ':' && i > 0 && (isIdentChar(src[i-1]) || src[i-1] == '"' || src[i-1] == ')') &&
			i+1 < len(src) && src[i+1] != ':' && src[i+1] != '=':
			toks = append(toks, token{tkPunct, ":"}) // semi-structured path: v:key
			i++
		case c == ':' && i+1 < len(src) && src[i+1] != ':' && isIdentChar(src[i+1]):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			name := src[i+1 : j]
			if n, err := strconv.Atoi(name); err == nil {
				maxParam = max(maxParam, n)
				toks = append(toks, token{tkParam, "?" + name})
			} else {
				toks = append(toks, token{tkParam, ":" + name})
			}
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			j := i
			for j < len(src) && (isDigit(src[j]) || src[j] == '.' ||
				((src[j] == 'e' || src[j] == 'E') && j+1 < len(src) && (isDigit(src[j+1]) || src[j+1] == '-' || src[j+1] == '+')) ||
				((src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, token{tkNumber, src[i:j]})
			i = j
		case isIdentChar(c):
			j := i
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tkIdent, src[i:j]})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "::", "=>", "<=", ">=", "<>", "!=", "||":
				toks = append(toks, token{tkPunct, two})
				i += 2
			default:
				toks = append(toks, token{tkPunct, string(c)})
				i++
			}
		}
	}
	return toks, maxParam, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

// scanString reads a Snowflake string literal (quote doubling and backslash
// escapes) and returns its value and length in bytes.
func scanString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated string literal")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

func sqliteQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// render joins tokens back into SQL text.
func render(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && needSpace(toks[i-1], t) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

func needSpace(prev, cur token) bool {
	if cur.is(",") || cur.is(".") || prev.is(".") || strings.HasSuffix(prev.text, "(") ||
		(cur.kind != tkString && (strings.HasPrefix(cur.text, ")") || strings.HasPrefix(cur.text, ","))) {
		return false
	}
	if cur.is("(") && (prev.kind == tkQuoted || (prev.kind == tkIdent && !spacedKeywords[prev.up()])) {
		return false
	}
	return true
}

// spacedKeywords keep a space before "(" when rendered (cosmetic only).
var spacedKeywords = map[string]bool{
	"SELECT": true, "IN": true, "KEY": true, "VALUES": true, "AS": true, "ON": true, "AND": true,
	"OR": true, "NOT": true, "EXISTS": true, "FROM": true, "JOIN": true, "WHERE": true, "USING": true,
	"BY": true, "THEN": true, "ELSE": true, "WHEN": true, "UNIQUE": true, "INTO": true,
}

// matchParen returns the index of the parenthesis closing the one at open.
func matchParen(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch {
		case toks[i].is("("):
			depth++
		case toks[i].is(")"):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// env is what the translator needs to know about the session.
type env struct {
	Database, Schema, Warehouse, Role, User, Account string
	SessionID                                        int64
}

// tsExpr is the SQLite expression for "now" in the server's timestamp text
// format (UTC, nine fractional digits).
const tsExpr = "(strftime('%Y-%m-%d %H:%M:%f','now')||'000000')"

// rewriteExpr applies the expression-level rewrites to a statement's tokens:
// Snowflake functions, :: casts, qualified names and QUERY_HISTORY references.
// It reports whether the statement reads the emulated query history.
func rewriteExpr(toks []token, e env) ([]token, bool) {
	history := false
	out := make([]token, 0, len(toks))
	// grpStart..grpEnd is the last multi-token rewrite in out, so a
	// following :: cast takes all of it as its operand.
	grpStart, grpEnd := -1, -1
	group := func(before int) { grpStart, grpEnd = before, len(out) }
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		u := t.up()
		nextParen := i+1 < len(toks) && toks[i+1].is("(")
		emptyCall := nextParen && i+2 < len(toks) && toks[i+2].is(")")
		prevDot := len(out) > 0 && out[len(out)-1].is(".")
		if prevDot {
			out = append(out, t)
			continue
		}
		switch {
		case u == "TABLE" && nextParen && i+3 < len(toks) && toks[i+2].up() == "GENERATOR" && toks[i+3].is("("):
			end, inner := matchParen(toks, i+1), matchParen(toks, i+3)
			if end > 0 && inner > 0 {
				args, h := rewriteExpr(toks[i+4:inner], e)
				if g, ok := generatorSource(args); ok {
					before := len(out)
					out, history, i = append(out, g...), history || h, end
					group(before)
					continue
				}
			}
		case nextParen && (u == "CAST" || u == "TRY_CAST"):
			end := matchParen(toks, i+1)
			if end < 0 {
				break
			}
			inner := toks[i+2 : end]
			as := findTop(inner, 0, "AS")
			if as < 0 {
				break
			}
			operand, h := rewriteExpr(inner[:as], e)
			before := len(out)
			out, history, i = append(out, castExpr(operand, mapType(inner[as+1:]))...), history || h, end
			group(before)
			continue
		case nextParen && funcRewriteFor(u) != nil:
			end := matchParen(toks, i+1)
			if end < 0 {
				break
			}
			inner, h := rewriteExpr(toks[i+2:end], e)
			var args [][]token
			if len(inner) > 0 {
				args = splitTop(inner)
			}
			if repl, ok := funcRewriteFor(u)(args); ok {
				before := len(out)
				out, history, i = append(out, repl...), history || h, end
				group(before)
				continue
			}
		case u == "TABLE" && nextParen && isHistoryRef(toks, i+2):
			end := matchParen(toks, i+1)
			if end < 0 {
				out = append(out, t)
				continue
			}
			out = append(out, historySource(toks[i+2:end], e)...)
			history = true
			i = end
			continue
		case isHistoryRef(toks, i) && !nextParen:
			n := historyRefLen(toks, i)
			out = append(out, historySource(toks[i:i+n], e)...)
			history = true
			i += n - 1
			continue
		case aggregateRefLen(toks, i) > 0:
			out = append(out, aggregateSource())
			history = true
			i += aggregateRefLen(toks, i) - 1
			continue
		case !nextParen && infoSchemaView(toks, i) != "":
			view := infoSchemaView(toks, i)
			out = append(out, token{tkIdent, infoSchemaSource(view, e)})
			i += historyRefLenFor(toks, i, view) - 1
			continue
		case (u == "PARSE_JSON" || u == "TO_VARIANT" || u == "TO_OBJECT" || u == "TO_ARRAY" || u == "TRY_PARSE_JSON") && nextParen:
			continue // keep the parenthesised argument only
		case u == "CURRENT_TIMESTAMP" || u == "LOCALTIMESTAMP" || u == "SYSTIMESTAMP" ||
			((u == "SYSDATE" || u == "GETDATE") && emptyCall):
			out = append(out, token{tkIdent, tsExpr})
			if emptyCall {
				i += 2
			}
			continue
		case u == "CURRENT_DATE":
			out = append(out, token{tkIdent, "date('now')"})
			if emptyCall {
				i += 2
			}
			continue
		case emptyCall && currentFunc(u, e) != nil:
			out = append(out, *currentFunc(u, e))
			i += 2
			continue
		case t.is(":") && len(out) > 0 && i+1 < len(toks) && isName(toks[i+1]):
			out, i = rewritePath(out, toks, i)
			group(len(out) - 1)
			continue
		case u == "OBJECT_CONSTRUCT" && nextParen:
			t.text = "json_object"
		case u == "ARRAY_CONSTRUCT" && nextParen:
			t.text = "json_array"
		case u == "ARRAY_SIZE" && nextParen:
			t.text = "json_array_length"
		case u == "IFF" && nextParen:
			t.text = "iif"
		case u == "NVL" && nextParen:
			t.text = "ifnull"
		case u == "ILIKE":
			t.text = "LIKE"
		case t.is("::"):
			gs := -1
			if grpEnd == len(out) {
				gs = grpStart
			}
			var start int
			out, i, start = rewriteCast(out, toks, i, gs)
			if start >= 0 {
				group(start)
			}
			continue
		case (t.kind == tkIdent || t.kind == tkQuoted) && i+4 < len(toks) && toks[i+1].is(".") &&
			isName(toks[i+2]) && toks[i+3].is(".") && isName(toks[i+4]):
			i += 4 // DB.SCHEMA.OBJECT → OBJECT
			t = toks[i]
		case (t.kind == tkIdent || t.kind == tkQuoted) && i+2 < len(toks) && toks[i+1].is(".") &&
			isName(toks[i+2]) && isSchemaName(t, e):
			i += 2 // SCHEMA.OBJECT → OBJECT
			t = toks[i]
		}
		out = append(out, t)
	}
	return out, history
}

func isName(t token) bool { return t.kind == tkIdent || t.kind == tkQuoted }

func unquote(t token) string {
	if t.kind == tkQuoted {
		return strings.ReplaceAll(t.text[1:len(t.text)-1], `""`, `"`)
	}
	return strings.ToUpper(t.text)
}

func isSchemaName(t token, e env) bool {
	n := unquote(t)
	return n == "PUBLIC" || (e.Schema != "" && strings.EqualFold(n, e.Schema))
}

func currentFunc(u string, e env) *token {
	var v string
	switch u {
	case "CURRENT_DATABASE":
		v = e.Database
	case "CURRENT_SCHEMA":
		v = e.Schema
	case "CURRENT_WAREHOUSE":
		v = e.Warehouse
	case "CURRENT_ROLE":
		v = e.Role
	case "CURRENT_USER":
		v = e.User
	case "CURRENT_ACCOUNT", "CURRENT_ACCOUNT_NAME":
		v = e.Account
	case "CURRENT_SESSION":
		v = strconv.FormatInt(e.SessionID, 10)
	case "CURRENT_VERSION":
		v = serverVersion
	case "CURRENT_REGION":
		v = "LOCAL"
	default:
		return nil
	}
	if v == "" {
		return &token{tkIdent, "NULL"}
	}
	return &token{tkString, sqliteQuote(v)}
}
