package dialect

import (
	"strconv"
	"strings"
)

// rebindNumbered rewrites `?` to `$1, $2, ...`, skipping string literals,
// quoted identifiers, dollar-quoted strings and comments.
func rebindNumbered(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(q, i, c)
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '$' && dollarTag(q, i) != "":
			tag := dollarTag(q, i)
			j := strings.Index(q[i+len(tag):], tag)
			end := len(q)
			if j >= 0 {
				end = i + len(tag) + j + len(tag)
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dollarTag returns the $tag$ opening a dollar-quoted string at i, or "".
func dollarTag(q string, i int) string {
	if i > 0 && (isIdentByte(q[i-1])) {
		return "" // part of an identifier or a $n parameter
	}
	for j := i + 1; j < len(q); j++ {
		switch c := q[j]; {
		case c == '$':
			return q[i : j+1]
		case isIdentByte(c) && !(j == i+1 && c >= '0' && c <= '9'):
		default:
			return ""
		}
	}
	return ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipQuoted returns the index of the quote closing the literal that opens at
// i; a doubled quote is an escaped quote. Unterminated: len(s)-1.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(s) - 1
}
