package dsl

// CountPlaceholders counts the bind placeholders of a SQL statement: every
// `?`, plus the number of distinct `$N` (Postgres style). Placeholders inside
// quoted strings ('...'), quoted identifiers ("..."), dollar-quoted strings
// ($$...$$, $tag$...$tag$) and comments (-- and /* */) are not counted.
func CountPlaceholders(sql string) int {
	n := 0
	dollars := map[string]bool{}
	isIdent := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			// Skip to the closing quote; a doubled quote is an escape.
			for i++; i < len(sql); i++ {
				if sql[i] == c {
					if i+1 < len(sql) && sql[i+1] == c {
						i++
						continue
					}
					break
				}
			}
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := indexFrom(sql, "*/", i+2)
			if end < 0 {
				return n + len(dollars)
			}
			i = end + 1
		case c == '?':
			n++
		case c == '$' && (i == 0 || !isIdent(sql[i-1])):
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			if j > i+1 {
				dollars[sql[i+1:j]] = true
				i = j - 1
				continue
			}
			// Dollar quoting: $tag$ ... $tag$.
			for j < len(sql) && isIdent(sql[j]) {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				tag := sql[i : j+1]
				end := indexFrom(sql, tag, j+1)
				if end < 0 {
					return n + len(dollars)
				}
				i = end + len(tag) - 1
			}
		}
	}
	return n + len(dollars)
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
