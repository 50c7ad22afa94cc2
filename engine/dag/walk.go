package dag

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// VertexError is the error one vertex's function returned.
type VertexError struct {
	Vertex string
	Err    error
}

// Error names the vertex once: an error that already starts with the
// vertex's name (the function named it itself) is not prefixed again.
func (e *VertexError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Vertex+": ") {
		return msg
	}
	return fmt.Sprintf("%s: %s", e.Vertex, msg)
}
func (e *VertexError) Unwrap() error { return e.Err }

// WalkError is what Walk returns when not every vertex succeeded. Failed
// holds only root causes: a vertex that was skipped because something it
// depends on failed is listed in Skipped, never as an error of its own.
// Callers can detect it with errors.As; errors.Is sees through it to each
// vertex's error and to the context's error.
type WalkError struct {
	// Failed lists the vertices whose function returned an error, in
	// insertion order.
	Failed []*VertexError
	// Skipped lists, in insertion order, the vertices that never ran: an
	// upstream vertex failed or the context was cancelled first.
	Skipped []string
	// Cancelled is the context's error when the walk stopped early because
	// the context was done; nil otherwise.
	Cancelled error
}

func (e *WalkError) Error() string {
	var parts []string
	for _, f := range e.Failed {
		parts = append(parts, f.Error())
	}
	if e.Cancelled != nil {
		parts = append(parts, e.Cancelled.Error())
	}
	msg := strings.Join(parts, "; ")
	if len(e.Skipped) > 0 {
		msg += fmt.Sprintf(" (skipped: %s)", strings.Join(e.Skipped, ", "))
	}
	return msg
}

func (e *WalkError) Unwrap() []error {
	out := make([]error, 0, len(e.Failed)+1)
	for _, f := range e.Failed {
		out = append(out, f)
	}
	if e.Cancelled != nil {
		out = append(out, e.Cancelled)
	}
	return out
}

// WalkFunc runs one vertex. It should return promptly when ctx is done.
type WalkFunc func(ctx context.Context, name string) error

type outcome struct {
	v   int
	err error
}

// Walk calls fn for every vertex once all the vertices it depends on have
// succeeded, running at most limit functions at a time (limit <= 0: no
// bound). Vertices become eligible in topological order, ties broken by
// insertion order.
//
// When fn fails for a vertex, every vertex that depends on it (directly or
// not) is skipped; independent branches keep running. When ctx is done, no
// further vertex starts, running ones see ctx cancelled, and Walk returns
// after they finish. Walk returns nil when every vertex succeeded, a
// *CycleError for a cyclic graph (nothing runs), and otherwise a *WalkError.
func (g *Graph) Walk(ctx context.Context, limit int, fn WalkFunc) error {
	if err := g.Validate(); err != nil {
		return err
	}
	n := len(g.names)
	indeg := make([]int, n)
	for v := range n {
		indeg[v] = len(g.up[v])
	}
	const (
		pending = iota
		running
		done
		failed
		skipped
	)
	state := make([]int, n)
	errs := make([]error, n)

	var ready readyQueue
	for v, d := range indeg {
		if d == 0 {
			ready.push(v)
		}
	}

	var eg errgroup.Group
	if limit > 0 {
		eg.SetLimit(limit)
	}
	results := make(chan outcome, n) // buffered: a finished vertex never blocks
	inflight, finished := 0, 0

	var skip func(v int)
	skip = func(v int) {
		for _, w := range g.down[v] {
			if state[w] == pending {
				state[w] = skipped
				finished++
				skip(w)
			}
		}
	}

	for finished < n {
		for ready.len() > 0 && ctx.Err() == nil {
			v := ready.pop()
			if state[v] != pending {
				continue
			}
			state[v] = running
			inflight++
			name := g.names[v]
			// Go blocks while limit functions run; they report through the
			// buffered channel, so this cannot deadlock.
			eg.Go(func() error {
				results <- outcome{v: v, err: fn(ctx, name)}
				return nil
			})
		}
		if inflight == 0 {
			break // cancelled (or nothing left that can run)
		}
		r := <-results
		inflight--
		finished++
		if r.err != nil {
			state[r.v] = failed
			errs[r.v] = r.err
			skip(r.v)
			continue
		}
		state[r.v] = done
		for _, w := range g.down[r.v] {
			indeg[w]--
			if indeg[w] == 0 && state[w] == pending {
				ready.push(w)
			}
		}
	}
	_ = eg.Wait()

	werr := &WalkError{}
	unstarted := false
	for v := range n {
		switch state[v] {
		case failed:
			werr.Failed = append(werr.Failed, &VertexError{Vertex: g.names[v], Err: errs[v]})
		case pending:
			unstarted = true
			werr.Skipped = append(werr.Skipped, g.names[v])
		case skipped:
			werr.Skipped = append(werr.Skipped, g.names[v])
		}
	}
	if unstarted {
		// Only a done context leaves a vertex neither run nor skipped.
		werr.Cancelled = context.Cause(ctx)
		if werr.Cancelled == nil {
			werr.Cancelled = ctx.Err()
		}
	}
	if len(werr.Failed) == 0 && len(werr.Skipped) == 0 {
		return nil
	}
	if len(werr.Failed) == 0 && werr.Cancelled == nil {
		return errors.New("dag: internal error: vertices left unrun without a cause")
	}
	return werr
}
