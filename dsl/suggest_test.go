package dsl

import "testing"

func TestSuggest(t *testing.T) {
	cases := []struct {
		given      string
		candidates []string
		want       string
	}{
		{"stedy", []string{"warmup", "steady"}, "steady"},
		{"xyz", []string{"steady"}, ""},                // too far
		{"abcd", []string{"abxy", "abcdxy"}, "abxy"},   // both at distance 2: the earlier wins
		{"abcd", []string{"abcdxy", "abxy"}, "abcdxy"}, // and the order decides
		{"abcd", []string{"abcdxy", "abcde"}, "abcde"}, // closer beats earlier
		{"abcd", []string{"abcdxyz"}, ""},              // distance 3 is not suggested
		{"", nil, ""},
	}
	for _, c := range cases {
		if got := Suggest(c.given, c.candidates); got != c.want {
			t.Errorf("Suggest(%q, %q) = %q, want %q", c.given, c.candidates, got, c.want)
		}
	}
	if got, want := DidYouMean("stedy", []string{"steady"}), ` Did you mean "steady"?`; got != want {
		t.Errorf("DidYouMean = %q, want %q", got, want)
	}
	if got := DidYouMean("xyz", []string{"steady"}); got != "" {
		t.Errorf("DidYouMean with nothing close = %q, want empty", got)
	}
}
