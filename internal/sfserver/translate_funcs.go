package sfserver

import (
	"strconv"
	"strings"
)

// Snowflake functions rewritten to SQLite expressions. Each rewriter gets
// the call's arguments (already rewritten, split on top-level commas) and
// returns replacement tokens; arguments are spliced in as tokens so bind
// placeholders inside them still count.

func raw(s string) token { return token{tkIdent, strings.TrimSpace(s)} }

// join builds a token list from strings (raw SQL) and token slices.
func join(parts ...any) []token {
	var out []token
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			out = append(out, raw(x))
		case []token:
			out = append(out, x...)
		}
	}
	return out
}

type funcRewrite func(args [][]token) ([]token, bool)

// funcRewriteFor returns the rewriter of a Snowflake function, or nil.
func funcRewriteFor(name string) funcRewrite {
	switch name {
	case "RANDOM":
		return func(args [][]token) ([]token, bool) { return join("random()"), true }
	case "SEQ1", "SEQ2", "SEQ4", "SEQ8":
		return seqN
	case "UNIFORM":
		return func(a [][]token) ([]token, bool) {
			if len(a) < 2 {
				return nil, false
			}
			return join("(CAST(", a[0], "AS INTEGER) + abs(random()) % (CAST(", a[1], "AS INTEGER) - CAST(", a[0], "AS INTEGER) + 1))"), true
		}
	case "RANDSTR":
		return func(a [][]token) ([]token, bool) {
			if len(a) < 1 {
				return nil, false
			}
			return join("substr(hex(randomblob(", a[0], ")), 1,", a[0], ")"), true
		}
	case "ZEROIFNULL":
		return func(a [][]token) ([]token, bool) {
			if len(a) != 1 {
				return nil, false
			}
			return join("ifnull(", a[0], ", 0)"), true
		}
	case "TO_DATE":
		return castFunc("DATE")
	case "TO_TIMESTAMP", "TO_TIMESTAMP_NTZ", "TO_TIMESTAMP_LTZ":
		return castFunc("TIMESTAMP_NTZ")
	case "TO_VARCHAR", "TO_CHAR":
		return castFunc("VARCHAR")
	case "YEAR":
		return datePart("%Y")
	case "MONTH":
		return datePart("%m")
	case "DAY", "DAYOFMONTH":
		return datePart("%d")
	case "HOUR":
		return datePart("%H")
	case "MINUTE":
		return datePart("%M")
	case "SECOND":
		return datePart("%S")
	case "DATE_PART":
		return epochPart
	case "DATEADD", "TIMESTAMPADD":
		return dateAdd
	case "DATEDIFF", "TIMESTAMPDIFF":
		return dateDiff
	}
	return nil
}

func seqN(args [][]token) ([]token, bool) { return join("(row_number() OVER () - 1)"), true }

func castFunc(typ string) funcRewrite {
	return func(a [][]token) ([]token, bool) {
		if len(a) != 1 {
			return nil, false
		}
		return castExpr(a[0], []token{raw(typ)}), true
	}
}

func datePart(f string) funcRewrite {
	return func(a [][]token) ([]token, bool) {
		if len(a) != 1 {
			return nil, false
		}
		return join("CAST(strftime('"+f+"',", a[0], ") AS INTEGER)"), true
	}
}

// epochPart: DATE_PART(EPOCH_SECOND | EPOCH_MILLISECOND |
// EPOCH_MICROSECOND, x), the epoch parts fbctl reads the server's clock
// with.
func epochPart(a [][]token) ([]token, bool) {
	if len(a) != 2 || len(a[0]) != 1 {
		return nil, false
	}
	scale := map[string]string{"EPOCH_SECOND": "86400", "EPOCH_MILLISECOND": "86400000", "EPOCH_MICROSECOND": "86400000000"}[strings.ToUpper(strings.Trim(a[0][0].text, "'\""))]
	if scale == "" {
		return nil, false
	}
	return join("CAST((julianday(", a[1], ") - 2440587.5) * "+scale+" AS INTEGER)"), true
}

// dateUnit maps a Snowflake date part to a SQLite modifier unit and the
// number of seconds it spans (0 for months and years).
func dateUnit(t []token) (string, float64, bool) {
	if len(t) != 1 {
		return "", 0, false
	}
	u := strings.ToUpper(strings.Trim(t[0].text, "'\""))
	switch u {
	case "YEAR", "YEARS", "Y", "YY", "YYY", "YYYY", "YR", "YRS":
		return "years", 0, true
	case "MONTH", "MONTHS", "MM", "MON", "MONS":
		return "months", 0, true
	case "WEEK", "WEEKS", "W", "WK", "WEEKOFYEAR", "WOY", "WY":
		return "week", 7 * 86400, true
	case "DAY", "DAYS", "D", "DD", "DAYOFMONTH":
		return "days", 86400, true
	case "HOUR", "HOURS", "H", "HH", "HR", "HRS":
		return "hours", 3600, true
	case "MINUTE", "MINUTES", "M", "MI", "MIN", "MINS":
		return "minutes", 60, true
	case "SECOND", "SECONDS", "S", "SEC", "SECS":
		return "seconds", 1, true
	case "MILLISECOND", "MILLISECONDS", "MS", "MSEC":
		return "ms", 0.001, true
	case "MICROSECOND", "MICROSECONDS", "US", "USEC":
		return "us", 0.000001, true
	case "NANOSECOND", "NANOSECONDS", "NS", "NSEC":
		return "ns", 0.000000001, true
	}
	return "", 0, false
}

// dateAdd: DATEADD(unit, n, x). A DATE operand (date(...)) stays a date.
func dateAdd(a [][]token) ([]token, bool) {
	if len(a) != 3 {
		return nil, false
	}
	unit, secs, ok := dateUnit(a[0])
	if !ok {
		return nil, false
	}
	var mod []token
	switch unit {
	case "years", "months", "days", "hours", "minutes", "seconds":
		mod = join("printf('%+d "+unit+"', ", a[1], ")")
	case "week":
		mod = join("printf('%+d days', 7 * (", a[1], "))")
	default:
		mod = join("printf('%+.9f seconds', ("+strconv.FormatFloat(secs, 'g', -1, 64)+") * (", a[1], "))")
	}
	if len(a[2]) > 0 && strings.HasPrefix(a[2][0].text, "date(") {
		return join("date(", a[2], ",", mod, ")"), true
	}
	return join("(strftime('%Y-%m-%d %H:%M:%f',", a[2], ",", mod, ")||'000000')"), true
}

// dateDiff: DATEDIFF(unit, a, b) as whole units between a and b.
func dateDiff(a [][]token) ([]token, bool) {
	if len(a) != 3 {
		return nil, false
	}
	unit, secs, ok := dateUnit(a[0])
	if !ok {
		return nil, false
	}
	switch unit {
	case "years":
		return join("(CAST(strftime('%Y',", a[2], ") AS INTEGER) - CAST(strftime('%Y',", a[1], ") AS INTEGER))"), true
	case "months":
		return join("((CAST(strftime('%Y',", a[2], ") AS INTEGER) - CAST(strftime('%Y',", a[1], ") AS INTEGER)) * 12 + CAST(strftime('%m',",
			a[2], ") AS INTEGER) - CAST(strftime('%m',", a[1], ") AS INTEGER))"), true
	}
	return join("CAST(round((julianday(", a[2], ") - julianday(", a[1], ")) * 86400.0 / "+strconv.FormatFloat(secs, 'g', -1, 64)+") AS INTEGER)"), true
}

// castExpr converts operand to a Snowflake type the way SQLite needs it:
// dates and timestamps become text in the server's formats (a plain CAST
// AS DATE would give a number in SQLite).
func castExpr(operand, typ []token) []token {
	base := ""
	if len(typ) > 0 {
		base = strings.ToUpper(typ[0].text)
	}
	scale := ""
	for k := 0; k+1 < len(typ); k++ {
		if typ[k].is(",") {
			scale = typ[k+1].text
		}
	}
	switch {
	case base == "DATE":
		return join("date(", operand, ")")
	case strings.HasPrefix(base, "TIMESTAMP"), base == "DATETIME":
		return join("(strftime('%Y-%m-%d %H:%M:%f',", operand, ")||'000000')")
	case base == "TIME":
		return join("time(", operand, ")")
	case base == "VARIANT", base == "OBJECT", base == "ARRAY":
		return operand
	case base == "BOOLEAN":
		return join("(lower(CAST(", operand, "AS TEXT)) IN ('true', 't', 'yes', 'y', 'on', '1'))")
	case strings.Contains(base, "CHAR"), base == "STRING", base == "TEXT":
		return join("CAST(", operand, "AS TEXT)")
	case base == "NUMBER", base == "NUMERIC", base == "DECIMAL", base == "DEC":
		if scale != "" && scale != "0" {
			return join("CAST(", operand, "AS REAL)")
		}
		return join("CAST(", operand, "AS INTEGER)")
	case strings.Contains(base, "INT"):
		return join("CAST(", operand, "AS INTEGER)")
	case strings.HasPrefix(base, "FLOAT"), strings.HasPrefix(base, "DOUBLE"), base == "REAL":
		return join("CAST(", operand, "AS REAL)")
	}
	return join("CAST(", operand, "AS", typ, ")")
}

// generatorSource replaces TABLE(GENERATOR(ROWCOUNT => n)) by a recursive
// CTE yielding n rows.
func generatorSource(args []token) ([]token, bool) {
	for k := 0; k+2 < len(args); k++ {
		if args[k].up() == "ROWCOUNT" && args[k+1].is("=>") {
			end := k + 3
			for end < len(args) && !args[end].is(",") {
				end++
			}
			n := args[k+2 : end]
			return join("(WITH RECURSIVE sfserver_gen(SEQ) AS (SELECT 0 UNION ALL SELECT SEQ + 1 FROM sfserver_gen WHERE SEQ + 1 <", n,
				") SELECT SEQ FROM sfserver_gen)"), true
		}
	}
	return nil, false
}

// rewriteCast turns operand::TYPE into CAST(operand AS TYPE) (or just the
// operand for semi-structured types). i points at the :: token.
func rewriteCast(out, toks []token, i, groupStart int) ([]token, int, int) {
	if i+1 >= len(toks) || len(out) == 0 {
		return append(out, toks[i]), i, -1
	}
	typEnd := i + 1
	if typEnd+1 < len(toks) && toks[typEnd+1].is("(") {
		if m := matchParen(toks, typEnd+1); m > 0 {
			typEnd = m
		}
	}
	typ := mapType(toks[i+1 : typEnd+1])
	// find where the operand starts in out
	start := len(out) - 1
	if groupStart >= 0 {
		start = groupStart
	} else if out[start].is(")") {
		depth := 0
		for ; start >= 0; start-- {
			if out[start].is(")") {
				depth++
			} else if out[start].is("(") {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if start > 0 && out[start-1].kind == tkIdent {
			start--
		}
	}
	for groupStart < 0 && start >= 2 && out[start-1].is(".") && isName(out[start-2]) {
		start -= 2
	}
	if start < 0 {
		return append(out, toks[i]), i, -1
	}
	operand := append([]token(nil), out[start:]...)
	out = append(out[:start], castExpr(operand, typ)...)
	return out, typEnd, start
}

// rewritePath turns v:a.b (Snowflake semi-structured access) into
// json_extract(v, '$.a.b'). i points at the ':' token.
func rewritePath(out, toks []token, i int) ([]token, int) {
	start := len(out) - 1
	for start >= 2 && out[start-1].is(".") && isName(out[start-2]) {
		start -= 2
	}
	path := "$"
	j := i + 1
	for j < len(toks) && isName(toks[j]) {
		key := toks[j].text
		if toks[j].kind == tkQuoted {
			key = unquote(toks[j])
		}
		path += "." + key
		if j+2 < len(toks) && toks[j+1].is(".") && isName(toks[j+2]) {
			j += 2
			continue
		}
		break
	}
	expr := "json_extract(" + render(out[start:]) + ", " + sqliteQuote(path) + ")"
	return append(out[:start], raw(expr)), j
}

// mapType maps a Snowflake column type (name plus optional arguments) to the
// type declared in SQLite. Names are kept where SQLite's type affinity is
// right, so the declared type still tells the server which Snowflake type to
// report; the few whose affinity would be wrong are renamed.
func mapType(typ []token) []token {
	if len(typ) == 0 {
		return typ
	}
	switch typ[0].up() {
	case "STRING", "NVARCHAR2", "VARCHAR2":
		return append([]token{{tkIdent, "TEXT"}}, typ[1:]...)
	case "TIMESTAMP", "DATETIME":
		return append([]token{{tkIdent, "TIMESTAMP_NTZ"}}, typ[1:]...)
	}
	return typ
}
