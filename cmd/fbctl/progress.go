package main

import (
	"os"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"golang.org/x/term"
)

// newProgress is the live view of a run on stderr: on a terminal one
// status line redrawn in place and cut to the terminal's width (asked at
// every redraw, so a resize is followed); otherwise a plain line every
// few seconds, for CI logs.
func (g *globals) newProgress() *view.Progress {
	p := &view.Progress{W: g.stderr, Terminal: isTerminal(g.stderr), Color: g.color}
	if f, ok := g.stderr.(*os.File); ok && p.Terminal {
		p.Width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	return p
}
