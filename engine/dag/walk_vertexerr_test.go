package dag

import (
	"errors"
	"testing"
)

func TestVertexErrorNamesTheVertexOnce(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"boom", "phase.a: boom"},
		{"phase.a: boom", "phase.a: boom"},
		{"phase.ab: boom", "phase.a: phase.ab: boom"},
	} {
		if got := (&VertexError{Vertex: "phase.a", Err: errors.New(c.err)}).Error(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.err, got, c.want)
		}
	}
}
