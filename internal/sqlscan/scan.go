package sqlscan

import (
	"iter"
	"strconv"
	"strings"
)

// Kind is what a token is.
type Kind int

const (
	Text         Kind = iota // anything else: keywords, names, numbers, operators, white space
	String                   // '…'
	QuotedIdent              // "…"
	DollarQuoted             // $tag$…$tag$
	LineComment              // -- … up to (not including) the newline
	BlockComment             // /* … */
	Placeholder              // ?
	Numbered                 // $N
	Semicolon                // ;
)

// Token is one token of SQL text: Text is the exact source slice, so the
// tokens of a text joined give the text back.
type Token struct {
	Kind         Kind
	Text         string
	Unterminated bool // a quote, dollar quote or block comment the text does not close
}

// Tokens returns the tokens of sql in order. Runs of plain text are one
// Text token.
func Tokens(sql string) iter.Seq[Token] {
	return func(yield func(Token) bool) {
		text := 0 // start of the pending Text token
		flush := func(end int) bool {
			if end > text {
				return yield(Token{Kind: Text, Text: sql[text:end]})
			}
			return true
		}
		for i := 0; i < len(sql); {
			kind, end, open := next(sql, i)
			if kind == Text {
				i = end
				continue
			}
			if !flush(i) || !yield(Token{Kind: kind, Text: sql[i:end], Unterminated: open}) {
				return
			}
			i, text = end, end
		}
		flush(len(sql))
	}
}

// next lexes the token starting at i: its kind, its end and whether it is
// unterminated. A Text result covers one byte.
func next(s string, i int) (kind Kind, end int, unterminated bool) {
	switch c := s[i]; {
	case c == '\'' || c == '"':
		kind = String
		if c == '"' {
			kind = QuotedIdent
		}
		for j := i + 1; j < len(s); j++ {
			if s[j] == c {
				if j+1 < len(s) && s[j+1] == c {
					j++
					continue
				}
				return kind, j + 1, false
			}
		}
		return kind, len(s), true
	case c == '-' && i+1 < len(s) && s[i+1] == '-':
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			return LineComment, i + j, false
		}
		return LineComment, len(s), false
	case c == '/' && i+1 < len(s) && s[i+1] == '*':
		if j := strings.Index(s[i+2:], "*/"); j >= 0 {
			return BlockComment, i + 2 + j + 2, false
		}
		return BlockComment, len(s), true
	case c == '?':
		return Placeholder, i + 1, false
	case c == ';':
		return Semicolon, i + 1, false
	case c == '$' && (i == 0 || !isIdentByte(s[i-1])):
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+1 {
			return Numbered, j, false
		}
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '$' {
			tag := s[i : j+1]
			if k := strings.Index(s[j+1:], tag); k >= 0 {
				return DollarQuoted, j + 1 + k + len(tag), false
			}
			return DollarQuoted, len(s), true
		}
	}
	return Text, i + 1, false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// CountPlaceholders counts the bind placeholders of a statement: every ?,
// plus the number of distinct $N.
func CountPlaceholders(sql string) int {
	n := 0
	var numbered map[string]bool
	for t := range Tokens(sql) {
		switch t.Kind {
		case Placeholder:
			n++
		case Numbered:
			if numbered == nil {
				numbered = map[string]bool{}
			}
			numbered[t.Text] = true
		}
	}
	return n + len(numbered)
}

// Rebind rewrites each ? placeholder to $1, $2, … in order (Postgres
// style) and leaves everything else as it is. Where a neighbouring byte
// would join the new $N (an identifier character or a $), a space is put in between, so the rebound text lexes into the
// same tokens.
func Rebind(sql string) string {
	if !strings.Contains(sql, "?") {
		return sql
	}
	var b strings.Builder
	b.Grow(len(sql) + 16)
	n, at := 0, 0
	for t := range Tokens(sql) {
		at += len(t.Text)
		if t.Kind != Placeholder {
			b.WriteString(t.Text)
			continue
		}
		n++
		if out := b.String(); out != "" && joins(out[len(out)-1]) {
			b.WriteByte(' ')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		if at < len(sql) && joins(sql[at]) {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// joins reports whether c next to a $N would change how it lexes.
func joins(c byte) bool { return isIdentByte(c) || c == '$' }

// Split splits a script into statements at the semicolons outside
// literals, quoted identifiers, dollar quotes and comments. Each statement
// is trimmed of surrounding white space and keeps its inner comments;
// statements that are empty or only comments are dropped.
func Split(script string) []string {
	var (
		out   []string
		start int
		at    int
		code  bool // the statement so far has a token other than comments and white space
	)
	flush := func(end int) {
		if code {
			out = append(out, strings.TrimSpace(script[start:end]))
		}
	}
	for t := range Tokens(script) {
		switch t.Kind {
		case Semicolon:
			flush(at)
			start, code = at+1, false
		case LineComment, BlockComment:
		case Text:
			if strings.TrimSpace(t.Text) != "" {
				code = true
			}
		default:
			code = true
		}
		at += len(t.Text)
	}
	flush(len(script))
	return out
}
