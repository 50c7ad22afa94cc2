package sfserver

import (
	"strconv"
	"strings"
)

// References to Snowflake's INFORMATION_SCHEMA that the translator replaces
// by sub-selects: QUERY_HISTORY[_BY_*] (the server's recorded history) and
// TABLES / COLUMNS (the SQLite catalog).

// isHistoryRef reports whether toks[i:] starts with
// [DB.]INFORMATION_SCHEMA.QUERY_HISTORY[_BY_*].
func isHistoryRef(toks []token, i int) bool { return historyRefLen(toks, i) > 0 }

func historyRefLen(toks []token, i int) int { return historyRefLenFor(toks, i, "QUERY_HISTORY") }

// historyRefLenFor returns how many tokens [DB.]INFORMATION_SCHEMA.<name…>
// takes at toks[i:] (0 if it is not there); name is a prefix of the view.
func historyRefLenFor(toks []token, i int, name string) int {
	for _, skip := range []int{0, 2} {
		j := i + skip
		if skip == 2 && !(i+1 < len(toks) && isName(toks[i]) && toks[i+1].is(".")) {
			continue
		}
		if j+2 < len(toks) && unquote(toks[j]) == "INFORMATION_SCHEMA" && toks[j+1].is(".") &&
			(unquote(toks[j+2]) == name || (name == "QUERY_HISTORY" && strings.HasPrefix(unquote(toks[j+2]), name))) {
			return skip + 3
		}
	}
	return 0
}

// infoSchemaView returns TABLES or COLUMNS when toks[i:] starts with
// [DB.]INFORMATION_SCHEMA.TABLES|COLUMNS.
func infoSchemaView(toks []token, i int) string {
	for _, v := range []string{"TABLES", "COLUMNS"} {
		if historyRefLenFor(toks, i, v) > 0 {
			return v
		}
	}
	return ""
}

// infoSchemaSource emulates INFORMATION_SCHEMA.TABLES / COLUMNS from
// sqlite_master: every table and view appears in the session's current
// database and schema, with upper-case names.
func infoSchemaSource(view string, e env) string {
	cat, sch := sqliteQuote(e.Database), sqliteQuote(e.Schema)
	if view == "TABLES" {
		return "(SELECT " + cat + " AS TABLE_CATALOG, " + sch + " AS TABLE_SCHEMA, upper(name) AS TABLE_NAME, " +
			"CASE type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS TABLE_TYPE FROM sqlite_master " +
			"WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite%')"
	}
	return "(SELECT " + cat + " AS TABLE_CATALOG, " + sch + " AS TABLE_SCHEMA, upper(m.name) AS TABLE_NAME, " +
		"upper(p.name) AS COLUMN_NAME, p.cid + 1 AS ORDINAL_POSITION, upper(p.type) AS DATA_TYPE, " +
		"CASE p.\"notnull\" WHEN 0 THEN 'YES' ELSE 'NO' END AS IS_NULLABLE, p.dflt_value AS COLUMN_DEFAULT " +
		"FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite%')"
}

// historySource replaces a QUERY_HISTORY reference (with or without its table
// function arguments) by a sub-select of the session's history snapshot.
// Function arguments are ignored except SESSION_ID => n for _BY_SESSION.
func historySource(ref []token, e env) []token {
	name := ""
	for _, t := range ref {
		if strings.HasPrefix(unquote(t), "QUERY_HISTORY") {
			name = unquote(t)
		}
	}
	src := "(SELECT " + historySelectList() + " FROM temp." + historyTable
	for k := 0; k+2 < len(ref); k++ {
		if ref[k+1].is("=>") && ref[k+2].kind == tkString {
			switch arg := ref[k].up(); {
			case arg == "WAREHOUSE_NAME" && name == "QUERY_HISTORY_BY_WAREHOUSE",
				arg == "USER_NAME" && name == "QUERY_HISTORY_BY_USER":
				src += " WHERE upper(" + arg + ") = upper(" + ref[k+2].text + ")"
			}
		}
	}
	if name == "QUERY_HISTORY_BY_SESSION" {
		id := e.SessionID
		for k := 0; k+2 < len(ref); k++ {
			if ref[k].up() == "SESSION_ID" && ref[k+1].is("=>") && ref[k+2].kind == tkNumber {
				id, _ = strconv.ParseInt(ref[k+2].text, 10, 64)
			}
		}
		src += " WHERE SESSION_ID = " + strconv.FormatInt(id, 10)
	}
	return []token{{tkIdent, src + ")"}}
}
