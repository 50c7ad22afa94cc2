package dag

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type recorder struct {
	mu   sync.Mutex
	done []string
}

func (r *recorder) add(name string) {
	r.mu.Lock()
	r.done = append(r.done, name)
	r.mu.Unlock()
}

func TestWalkRunsAfterDependencies(t *testing.T) {
	g := build(t, []string{"setup", "warmup", "p1", "p2", "p3", "teardown"}, [][2]string{
		{"setup", "warmup"}, {"warmup", "p1"}, {"warmup", "p2"},
		{"p1", "p3"}, {"p2", "p3"}, {"p3", "teardown"},
	})
	var r recorder
	finished := map[string]*atomic.Bool{}
	for _, v := range g.Vertices() {
		finished[v] = &atomic.Bool{}
	}
	err := g.Walk(context.Background(), 4, func(_ context.Context, name string) error {
		for _, dep := range g.DependsOn(name) {
			if !finished[dep].Load() {
				t.Errorf("%s started before its dependency %s finished", name, dep)
			}
		}
		r.add(name)
		finished[name].Store(true)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.done) != 6 {
		t.Fatalf("ran %v", r.done)
	}
}

func TestWalkBoundedParallelism(t *testing.T) {
	g := New()
	for _, v := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		g.Add(v)
	}
	var cur, peak atomic.Int64
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	errc := make(chan error, 1)
	go func() {
		errc <- g.Walk(context.Background(), 3, func(_ context.Context, _ string) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			started <- struct{}{}
			<-release
			cur.Add(-1)
			return nil
		})
	}()
	for range 3 {
		<-started
	}
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != 3 {
		t.Fatalf("peak parallelism %d, want exactly 3 (limit 3, 8 independent vertices)", p)
	}
}

func TestWalkFailureSkipsDependantsOnly(t *testing.T) {
	// setup → a → a2 → teardown ; setup → b → teardown ; c independent
	g := build(t, []string{"setup", "a", "a2", "b", "c", "teardown"}, [][2]string{
		{"setup", "a"}, {"a", "a2"}, {"a2", "teardown"}, {"setup", "b"}, {"b", "teardown"},
	})
	boom := errors.New("boom")
	var r recorder
	err := g.Walk(context.Background(), 2, func(_ context.Context, name string) error {
		r.add(name)
		if name == "a" {
			return boom
		}
		return nil
	})
	var we *WalkError
	if !errors.As(err, &we) {
		t.Fatalf("want *WalkError, got %v", err)
	}
	if !errors.Is(err, boom) {
		t.Fatal("errors.Is(err, boom) = false")
	}
	if len(we.Failed) != 1 || we.Failed[0].Vertex != "a" {
		t.Fatalf("failed = %v, want only the root cause a", we.Failed)
	}
	if d := cmp.Diff([]string{"a2", "teardown"}, we.Skipped); d != "" {
		t.Fatalf("skipped (-want +got):\n%s", d)
	}
	if we.Cancelled != nil {
		t.Fatalf("Cancelled = %v", we.Cancelled)
	}
	slices.Sort(r.done)
	if d := cmp.Diff([]string{"a", "b", "c", "setup"}, r.done); d != "" {
		t.Fatalf("ran (-want +got):\n%s", d)
	}
	if want := "a: boom (skipped: a2, teardown)"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
}

func TestWalkCancellation(t *testing.T) {
	g := build(t, []string{"first", "second", "third"}, [][2]string{{"first", "second"}, {"second", "third"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var r recorder
	err := g.Walk(ctx, 1, func(ctx context.Context, name string) error {
		r.add(name)
		if name == "first" {
			cancel() // the walk must not start anything after this
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	var we *WalkError
	if !errors.As(err, &we) || len(we.Failed) != 0 {
		t.Fatalf("want a WalkError with no failures, got %#v", err)
	}
	if d := cmp.Diff([]string{"second", "third"}, we.Skipped); d != "" {
		t.Fatalf("skipped (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"first"}, r.done); d != "" {
		t.Fatalf("ran (-want +got):\n%s", d)
	}
}

func TestWalkRunningVertexSeesCancellation(t *testing.T) {
	g := New()
	g.Add("long")
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- g.Walk(ctx, 0, func(ctx context.Context, _ string) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-started
	cancel()
	err := <-errc
	var we *WalkError
	if !errors.As(err, &we) || len(we.Failed) != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestWalkCycleRunsNothing(t *testing.T) {
	g := build(t, []string{"a", "b"}, [][2]string{{"a", "b"}, {"b", "a"}})
	ran := false
	err := g.Walk(context.Background(), 0, func(context.Context, string) error { ran = true; return nil })
	var ce *CycleError
	if !errors.As(err, &ce) || ran {
		t.Fatalf("err=%v ran=%v", err, ran)
	}
}

func TestWalkEmpty(t *testing.T) {
	if err := New().Walk(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkWalk measures the scheduling overhead of a 200-vertex layered
// graph (10 layers of 20, each vertex depending on the whole layer before).
func BenchmarkWalk(b *testing.B) {
	g := New()
	var prev []string
	for l := range 10 {
		var layer []string
		for i := range 20 {
			name := string(rune('a'+l)) + string(rune('a'+i))
			g.Add(name)
			for _, p := range prev {
				_ = g.Connect(p, name)
			}
			layer = append(layer, name)
		}
		prev = layer
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := g.Walk(ctx, 8, func(context.Context, string) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
