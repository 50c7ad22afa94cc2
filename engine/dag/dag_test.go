package dag

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func build(t *testing.T, vertices []string, edges [][2]string) *Graph {
	t.Helper()
	g := New()
	for _, v := range vertices {
		g.Add(v)
	}
	for _, e := range edges {
		if err := g.Connect(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestConnectUnknownVertex(t *testing.T) {
	g := New()
	g.Add("a")
	if err := g.Connect("a", "b"); err == nil {
		t.Fatal("Connect to an unknown vertex: want error")
	}
}

func TestTopologicalOrderStableByInsertion(t *testing.T) {
	g := build(t,
		[]string{"setup", "warmup", "c", "b", "a", "teardown"},
		[][2]string{
			{"setup", "warmup"},
			{"warmup", "c"}, {"warmup", "b"}, {"warmup", "a"},
			{"c", "teardown"}, {"a", "teardown"}, {"b", "teardown"},
		})
	for range 20 { // no map iteration may leak into the order
		got, err := g.TopologicalOrder()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"setup", "warmup", "c", "b", "a", "teardown"}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("order (-want +got):\n%s", d)
		}
	}
}

func TestTopologicalOrderRespectsEdgesOverInsertion(t *testing.T) {
	g := build(t, []string{"z", "y", "x"}, [][2]string{{"x", "z"}, {"y", "x"}})
	got, err := g.TopologicalOrder()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"y", "x", "z"}, got); d != "" {
		t.Fatalf("order (-want +got):\n%s", d)
	}
}

func TestValidateCycles(t *testing.T) {
	tests := []struct {
		name  string
		verts []string
		edges [][2]string
		want  string
	}{
		{"acyclic", []string{"a", "b"}, [][2]string{{"a", "b"}}, ""},
		{"three", []string{"c", "b", "a"}, [][2]string{{"a", "b"}, {"b", "c"}, {"c", "a"}},
			"dependency cycle: a → b → c → a"},
		{"starts at smallest name whatever the insertion", []string{"m", "k", "z"},
			[][2]string{{"z", "m"}, {"m", "k"}, {"k", "z"}}, "dependency cycle: k → z → m → k"},
		{"self", []string{"a", "b"}, [][2]string{{"b", "b"}}, "dependency cycle: b → b"},
		{"two cycles sorted", []string{"x", "y", "b", "a", "ok"},
			[][2]string{{"x", "y"}, {"y", "x"}, {"b", "a"}, {"a", "b"}, {"ok", "a"}},
			"2 dependency cycles: a → b → a; x → y → x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 10 {
				err := build(t, tt.verts, tt.edges).Validate()
				if tt.want == "" {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					return
				}
				var ce *CycleError
				if !errors.As(err, &ce) {
					t.Fatalf("want *CycleError, got %v", err)
				}
				if err.Error() != tt.want {
					t.Fatalf("got %q, want %q", err.Error(), tt.want)
				}
			}
		})
	}
}

func TestTopologicalOrderCycle(t *testing.T) {
	g := build(t, []string{"a", "b"}, [][2]string{{"a", "b"}, {"b", "a"}})
	if _, err := g.TopologicalOrder(); err == nil {
		t.Fatal("want cycle error")
	}
}

func TestDependsOnAndDependants(t *testing.T) {
	g := build(t, []string{"a", "b", "c"}, [][2]string{{"a", "c"}, {"b", "c"}, {"a", "c"}})
	if d := cmp.Diff([]string{"a", "b"}, g.DependsOn("c")); d != "" {
		t.Fatal(d)
	}
	if d := cmp.Diff([]string{"c"}, g.Dependants("a")); d != "" {
		t.Fatal(d)
	}
	if g.DependsOn("a") != nil || g.DependsOn("nope") != nil {
		t.Fatal("want nil")
	}
}
