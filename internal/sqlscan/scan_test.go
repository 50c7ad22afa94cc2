package sqlscan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func kinds(sql string) []string {
	names := map[Kind]string{Text: "text", String: "string", QuotedIdent: "ident", DollarQuoted: "dollar",
		LineComment: "line", BlockComment: "block", Placeholder: "?", Numbered: "$N", Semicolon: ";"}
	var out []string
	for t := range Tokens(sql) {
		s := names[t.Kind] + " " + t.Text
		if t.Unterminated {
			s += " (unterminated)"
		}
		out = append(out, s)
	}
	return out
}

func TestTokens(t *testing.T) {
	got := kinds("SELECT 'a''?', \"b?\", $t$ ? $t$, a$1, $2 -- c?\n/* d; */ ?;")
	want := []string{
		"text SELECT ", "string 'a''?'", "text , ", `ident "b?"`, "text , ", "dollar $t$ ? $t$", "text , a$1, ",
		"$N $2", "text  ", "line -- c?", "text \n", "block /* d; */", "text  ", "? ?", "; ;",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tokens (-want +got):\n%s", d)
	}
}

// An unterminated literal, quoted identifier, dollar quote or block comment
// runs to the end of the text, for every use alike.
func TestUnterminated(t *testing.T) {
	for _, sql := range []string{
		"SELECT ?, 'open ?; SELECT ?",
		"SELECT ?, \"open ?; SELECT ?",
		"SELECT ?, $x$ open ?; SELECT ?",
		"SELECT ?, $$ open ?; SELECT ?",
		"SELECT ?, /* open ?; SELECT ?",
	} {
		toks := kinds(sql)
		if last := toks[len(toks)-1]; !strings.HasSuffix(last, " (unterminated)") || !strings.Contains(last, "open ?; SELECT ?") {
			t.Errorf("%q: last token %q, want the rest of the text, unterminated", sql, last)
		}
		if got := CountPlaceholders(sql); got != 1 {
			t.Errorf("CountPlaceholders(%q) = %d, want 1", sql, got)
		}
		if got, want := Rebind(sql), "SELECT $1"+sql[len("SELECT ?"):]; got != want {
			t.Errorf("Rebind(%q) = %q, want %q", sql, got, want)
		}
		if got := Split(sql); len(got) != 1 || got[0] != sql {
			t.Errorf("Split(%q) = %q, want the whole text as one statement", sql, got)
		}
	}
	// A line comment needs no end: it stops at the end of the text.
	if got := kinds("SELECT 1 -- c"); got[len(got)-1] != "line -- c" {
		t.Errorf("line comment at the end: %q", got)
	}
}

func TestCountPlaceholders(t *testing.T) {
	cases := map[string]int{
		"SELECT 1":                      0,
		"SELECT ?":                      1,
		"SELECT '?', \"?\", ?":          1,
		"SELECT 'it''s ?', ?":           1,
		"SELECT $1, $2, $1":             2,
		"SELECT $$ ? $$, ?":             1,
		"SELECT $tag$ ? $tag$, ?":       1,
		"SELECT $a$ $b$ ? $b$ $a$, ?":   1,
		"SELECT ? -- ?\n, ?":            2,
		"SELECT /* ? */ ?":              1,
		"SELECT a$1 FROM t WHERE x = ?": 1,
		"SELECT $1a":                    1,
		"SELECT '?":                     0,
	}
	for sql, want := range cases {
		if got := CountPlaceholders(sql); got != want {
			t.Errorf("CountPlaceholders(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestRebind(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM T WHERE A = ? AND B = ?", "SELECT * FROM T WHERE A = $1 AND B = $2"},
		{"SELECT '?', \"a?b\", ? FROM T", "SELECT '?', \"a?b\", $1 FROM T"},
		{"SELECT ? -- why?\n, ? /* what? */ , ?", "SELECT $1 -- why?\n, $2 /* what? */ , $3"},
		{"SELECT $$ a ? $$, $tag$ ? $tag$, ?", "SELECT $$ a ? $$, $tag$ ? $tag$, $1"},
		{"SELECT $1, ?", "SELECT $1, $1"},
		// The new $N must not run into what follows or precedes it.
		{"SELECT ?1", "SELECT $1 1"},
		{"SELECT ?$$x$$", "SELECT $1 $$x$$"},
		{"SELECT a?", "SELECT a $1"},
		{"??0", "$1 $2 0"},
		{" $?", " $ $1"},
	}
	for _, c := range cases {
		if got := Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	got := Split("-- head; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n/* c; */ SELECT \"q;\"\n;\n-- tail only\n;/* only */;;" +
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql")
	want := []string{
		"-- head; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b')",
		"/* c; */ SELECT \"q;\"",
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// FuzzScanner checks that the three uses agree on any text: the tokens give
// the text back; splitting then counting placeholders equals counting the
// whole; rebinding leaves no ?, keeps the count and the statements.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		"SELECT ?; SELECT ?, ?",
		"INSERT INTO t VALUES (?, '?;'); -- ?;\nUPDATE t SET a = ? /* ; */",
		"SELECT $$;?$$; SELECT $x$ ? $x$, ?",
		"SELECT 'unterminated ?; SELECT ?",
		"SELECT ?; /* open ?; SELECT ?",
		"SELECT ?; $tag$ open ?",
		"SELECT \"a\"\"?\"; SELECT ?",
		"SELECT a?, ?1, ?$$x$$;",
		";;--\n;",
		"SELECT $1, ?; SELECT $1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		var toks []Token
		for tok := range Tokens(s) {
			b.WriteString(tok.Text)
			toks = append(toks, tok)
			if tok.Text == "" {
				t.Fatalf("empty token in %q", s)
			}
		}
		if b.String() != s {
			t.Fatalf("tokens joined = %q, want %q", b.String(), s)
		}
		numbered := false
		for i, tok := range toks {
			if tok.Unterminated && i != len(toks)-1 {
				t.Fatalf("%q: unterminated token %q is not the last", s, tok.Text)
			}
			numbered = numbered || tok.Kind == Numbered
		}

		stmts := Split(s)
		if !numbered { // $N are counted once per statement, so only ? add up
			sum := 0
			for _, st := range stmts {
				sum += CountPlaceholders(st)
			}
			if whole := CountPlaceholders(s); sum != whole {
				t.Fatalf("%q: placeholders per statement %d, in the whole %d (statements %q)", s, sum, whole, stmts)
			}
		}

		r := Rebind(s)
		for tok := range Tokens(r) {
			if tok.Kind == Placeholder {
				t.Fatalf("Rebind(%q) = %q still has a ?", s, r)
			}
		}
		if !numbered {
			if got, want := CountPlaceholders(r), CountPlaceholders(s); got != want {
				t.Fatalf("Rebind(%q) = %q has %d placeholders, want %d", s, r, got, want)
			}
		}
		if got, want := len(Split(r)), len(stmts); got != want {
			t.Fatalf("Rebind(%q) = %q splits into %d statements, want %d", s, r, got, want)
		}
	})
}
