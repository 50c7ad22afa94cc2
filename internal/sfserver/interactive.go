package sfserver

import (
	"context"
	"regexp"
	"sort"
	"strings"
)

// Interactive tables and warehouses, as far as fbctl checks them: CREATE
// INTERACTIVE TABLE … CLUSTER BY (…) [TARGET_LAG = … WAREHOUSE = …] AS …
// records the table's kind and cluster keys (the data is a plain SQLite
// table), CREATE INTERACTIVE WAREHOUSE x TABLES (…) a warehouse of type
// INTERACTIVE listing them (ALTER WAREHOUSE x ADD TABLES (…) adds more),
// and SHOW TABLES [LIKE] reports name, kind, cluster_by, target_lag and
// is_hybrid / is_dynamic / is_interactive.

type tableInfo struct {
	kind      string // STANDARD, HYBRID, INTERACTIVE, DYNAMIC, …
	clusterBy []string
	targetLag string
}

// parenNames returns the names in the parenthesised list after toks[at]
// (e.g. CLUSTER BY (a, b) or TABLES (t1, t2)), upper-cased.
func parenNames(toks []token, open int) []string {
	if open >= len(toks) || !toks[open].is("(") {
		return nil
	}
	end := matchParen(toks, open)
	if end < 0 {
		return nil
	}
	var out []string
	for _, part := range splitTop(toks[open+1 : end]) {
		if len(part) > 0 {
			out = append(out, strings.ToUpper(render(part)))
		}
	}
	return out
}

// tableOptions reads CLUSTER BY (…) and TARGET_LAG = '…' in toks[from:to].
func tableOptions(toks []token, from, to int) (cluster []string, lag string) {
	for k := from; k < to && k < len(toks); k++ {
		switch toks[k].up() {
		case "CLUSTER":
			if k+2 < len(toks) && toks[k+1].up() == "BY" {
				cluster = parenNames(toks, k+2)
			}
		case "TARGET_LAG":
			if k+2 < len(toks) && toks[k+1].is("=") && toks[k+2].kind == tkString {
				lag = unquoteString(toks[k+2].text)
			}
		}
	}
	return cluster, lag
}

// cutTables removes TABLES (…) from toks and returns the names.
func cutTables(toks []token) ([]token, []string) {
	for k := 0; k+1 < len(toks); k++ {
		if toks[k].up() == "TABLES" && toks[k+1].is("(") {
			end := matchParen(toks, k+1)
			if end < 0 {
				break
			}
			names := parenNames(toks, k+1)
			return append(append([]token(nil), toks[:k]...), toks[end+1:]...), names
		}
	}
	return toks, nil
}

// noteTableInfo remembers a created table's kind and options.
func (s *Server) noteTableInfo(name string, info tableInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[name] = info
}

// showTables answers SHOW TABLES [LIKE 'pattern'] from the tables created
// through the server (kind and options) and the SQLite catalog.
func (s *Server) showTables(ctx context.Context, se *session, tr *translation) *queryData {
	cols := []string{"name", "database_name", "schema_name", "kind", "cluster_by", "target_lag", "is_hybrid", "is_dynamic", "is_interactive"}
	data := &queryData{StatementTypeID: typeSCL}
	for _, c := range cols {
		data.RowType = append(data.RowType, rowType{Name: c, Type: "text", Length: maxText, Nullable: true})
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	infos := make(map[string]tableInfo, len(s.tables))
	for n, t := range s.tables {
		infos[n] = t
	}
	s.mu.Unlock()
	sort.Strings(names)
	like := likeMatcher(tr.Like)
	yn := func(b bool) string {
		if b {
			return "Y"
		}
		return "N"
	}
	for _, n := range names {
		if like != nil && !like.MatchString(n) {
			continue
		}
		var exists int
		if err := se.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND upper(name) = ?", n).Scan(&exists); err != nil || exists == 0 {
			continue // dropped
		}
		t := infos[n]
		cluster := ""
		if len(t.clusterBy) > 0 {
			cluster = "LINEAR(" + strings.Join(t.clusterBy, ", ") + ")"
		}
		vals := []string{n, se.database, se.schema, "TABLE", cluster, t.targetLag,
			yn(t.kind == "HYBRID"), yn(t.kind == "DYNAMIC" || (t.kind == "INTERACTIVE" && t.targetLag != "")), yn(t.kind == "INTERACTIVE")}
		row := make([]*string, len(vals))
		for i := range vals {
			v := vals[i]
			row[i] = &v
		}
		data.RowSet = append(data.RowSet, row)
	}
	data.Total, data.Returned = int64(len(data.RowSet)), int64(len(data.RowSet))
	return data
}

// likeMatcher compiles a SHOW … LIKE pattern (case-insensitive; % and _);
// nil for no pattern.
func likeMatcher(pattern string) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	pat := strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(pattern))
	return regexp.MustCompile("(?is)^" + pat + "$")
}
