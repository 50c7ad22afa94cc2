package graph

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// build returns the names and edges of a graph given as "a>b" edges over
// the vertices in order.
func build(vertices []string, edges ...string) ([]string, [][]int) {
	index := map[string]int{}
	for i, v := range vertices {
		index[v] = i
	}
	out := make([][]int, len(vertices))
	for _, e := range edges {
		from, to, _ := strings.Cut(e, ">")
		out[index[from]] = append(out[index[from]], index[to])
	}
	return vertices, out
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name     string
		vertices []string
		edges    []string
		want     [][]string
	}{
		{"acyclic", []string{"a", "b", "c"}, []string{"a>b", "b>c", "a>c"}, nil},
		{"three", []string{"c", "b", "a"}, []string{"a>b", "b>c", "c>a"}, [][]string{{"a", "b", "c", "a"}}},
		{"starts at the smallest name whatever the insertion", []string{"m", "k", "z"},
			[]string{"z>m", "m>k", "k>z"}, [][]string{{"k", "z", "m", "k"}}},
		{"entered from outside still starts at the smallest", []string{"a", "c", "b"},
			[]string{"a>c", "c>b", "b>c"}, [][]string{{"b", "c", "b"}}},
		{"self-edge", []string{"a", "b"}, []string{"b>b"}, [][]string{{"b", "b"}}},
		{"self-edge inside a component adds nothing", []string{"a", "b"}, []string{"a>b", "b>a", "a>a"},
			[][]string{{"a", "b", "a"}}},
		{"follows edges in order", []string{"a", "b", "c"}, []string{"a>c", "a>b", "b>a", "c>a"},
			[][]string{{"a", "c", "a"}}},
		{"one cycle per component, sorted", []string{"x", "y", "b", "a", "ok"},
			[]string{"x>y", "y>x", "b>a", "a>b", "ok>a"}, [][]string{{"a", "b", "a"}, {"x", "y", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, out := build(tt.vertices, tt.edges...)
			var got [][]string
			for _, c := range Cycles(names, out) {
				got = append(got, Names(names, c))
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("cycles (-want +got):\n%s", d)
			}
		})
	}
}

func TestCyclesShortEdgeList(t *testing.T) {
	// Vertices past the end of out have no edges.
	if got := Cycles([]string{"a", "b", "c"}, [][]int{{1}}); got != nil {
		t.Errorf("Cycles = %v, want none", got)
	}
}
