package view

import (
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/run"
)

var _ run.DrainHook = (*Progress)(nil)

// Draining implements run.DrainHook: while the workers write the query
// executions they still hold at the end of a run, one status line (a
// plain line every Every without a terminal) says how far they are.
func (p *Progress) Draining(d run.DrainProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := DrainLine(d)
	if p.Terminal {
		fmt.Fprint(p.W, "\r\x1b[2K"+status)
		p.drawn = true
		return
	}
	every := p.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	if now := p.now(); now.Sub(p.lastPlain) >= every {
		p.lastPlain = now
		p.line("%s %s", p.stamp(), status)
	}
}

// DrainLine is the status line of the end-of-run write.
func DrainLine(d run.DrainProgress) string {
	s := fmt.Sprintf("writing query executions: %d rows written, %d waiting (%s); waiting %s for %s while they make progress",
		d.Written, d.Pending, Plural(d.Workers, "worker", "workers"), clock(d.Waited), "the results store")
	return s + " (a hard stop, the second Ctrl-C, leaves the rest in the spill journal for the next command)"
}
