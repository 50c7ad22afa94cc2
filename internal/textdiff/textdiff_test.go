package textdiff

import (
	"strings"
	"testing"
)

func TestUnifiedEqual(t *testing.T) {
	if got := Unified("a", "b", "x\ny\n", "x\ny\n"); got != "" {
		t.Fatalf("equal texts gave a diff:\n%s", got)
	}
}

func TestUnifiedChange(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"
	b := "one\ntwo\nthree\nFOUR\nfive\nsix\nseven\neight\nnine\nten\neleven\n"
	got := Unified("old", "new", a, b)
	want := `--- old
+++ new
@@ -1,10 +1,11 @@
 one
 two
 three
-four
+FOUR
 five
 six
 seven
 eight
 nine
 ten
+eleven
`
	if got != want {
		t.Fatalf("diff mismatch:\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestUnifiedSeparateHunks(t *testing.T) {
	var a, b strings.Builder
	for i := range 30 {
		line := string(rune('a'+i%26)) + "\n"
		a.WriteString(line)
		if i == 2 || i == 25 {
			b.WriteString("X" + line)
		} else {
			b.WriteString(line)
		}
	}
	got := Unified("a", "b", a.String(), b.String())
	if n := strings.Count(got, "@@ -"); n != 2 {
		t.Fatalf("want 2 hunks, got %d:\n%s", n, got)
	}
	if !strings.Contains(got, "@@ -1,6 +1,6 @@") || !strings.Contains(got, "@@ -23,7 +23,7 @@") {
		t.Fatalf("unexpected hunk headers:\n%s", got)
	}
}

func TestUnifiedNoTrailingNewline(t *testing.T) {
	got := Unified("a", "b", "x", "y")
	if !strings.Contains(got, "-x\n\\ No newline at end of file\n+y\n") {
		t.Fatalf("missing no-newline marker:\n%s", got)
	}
}
