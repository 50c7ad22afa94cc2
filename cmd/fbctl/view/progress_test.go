package view

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/run"
)

func TestStatusLine(t *testing.T) {
	steady := run.PhaseProgress{Phase: "steady", PhaseKind: "MEASUREMENT", Elapsed: 30 * time.Second, Planned: 2 * time.Minute,
		Operations: 12345, Errors: 3, Dropped: 7, OpsPerSec: 411.6, Interval: histogram.Summary{P50: 850, P99: 12_500},
		Cumulative: histogram.Summary{P99: 20_000}}
	pr := run.Progress{Phases: []run.PhaseProgress{steady}, WorkersAlive: 3, WorkersStale: 1, WorkersExpected: 4,
		Stream: run.StreamStats{Buffered: 120, Written: 9000, Spilled: 40, JournalPending: 10, FlushP99US: 2500}}
	got := StatusLine(pr, true)
	for _, want := range []string{"steady 00:30/02:00", "[=====               ]", "412 ops/s", "p50 850µs", "p99 12.50ms (all 20.00ms)",
		"errors 3", "dropped 7", "rows written 9000 buffered 120 spilled 40 (journal 10) flush p99 2.50ms", "workers 3/4 (1 stale)"} {
		if !strings.Contains(got, want) {
			t.Errorf("status line %q lacks %q", got, want)
		}
	}
	if strings.Contains(StatusLine(pr, false), "[") {
		t.Error("a plain line must not draw a bar")
	}
	side := steady
	side.Phase = "reads"
	both := StatusLine(run.Progress{Phases: []run.PhaseProgress{steady, side}}, true)
	if !strings.Contains(both, "steady 00:30/02:00  412 ops/s") || !strings.Contains(both, "|  reads 00:30") || strings.Contains(both, "[") {
		t.Errorf("two nodes side by side: %q", both)
	}
}

// Without a terminal, progress is one plain line per interval.
func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	p := &Progress{W: &buf, Every: 5 * time.Second, Now: func() time.Time { return now }}
	for i := 0; i < 12; i++ {
		p.Progress(run.Progress{Phases: []run.PhaseProgress{{Phase: "steady", Elapsed: time.Duration(i) * time.Second}}})
		now = now.Add(time.Second)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("12 seconds at one line per 5 s printed %d lines:\n%s", n, buf.String())
	}
	if strings.Contains(buf.String(), "\r") {
		t.Fatal("plain output must not redraw")
	}
}

// On a terminal the status line is cut to the terminal's width at every
// redraw, so it never wraps (a wrapped line leaves fragments behind when
// it is redrawn), and it follows a resize.
func TestProgressFitsTheTerminal(t *testing.T) {
	steady := run.PhaseProgress{Phase: "steady", PhaseKind: "MEASUREMENT", Elapsed: 30 * time.Second, Planned: 2 * time.Minute,
		Operations: 12345, Errors: 3, Dropped: 7, OpsPerSec: 411.6, Interval: histogram.Summary{P50: 850, P99: 12_500},
		Cumulative: histogram.Summary{P99: 20_000}}
	pr := run.Progress{Phases: []run.PhaseProgress{steady, steady}, WorkersAlive: 3, WorkersExpected: 4,
		Stream: run.StreamStats{Buffered: 120, Written: 9000, FlushP99US: 2500}}
	if n := utf8.RuneCountInString(StatusLine(pr, true)); n <= 80 {
		t.Fatalf("the fixture's line has %d columns; it must be longer than 80 to test anything", n)
	}
	var buf bytes.Buffer
	width := 80
	p := &Progress{W: &buf, Terminal: true, Width: func() int { return width }}
	for _, w := range []int{80, 40, 200} {
		width = w
		buf.Reset()
		p.Progress(pr)
		drawn := strings.TrimPrefix(buf.String(), "\r\x1b[2K")
		if strings.Contains(drawn, "\n") {
			t.Fatalf("width %d: the status line has a newline: %q", w, drawn)
		}
		full := StatusLine(pr, true)
		switch n := utf8.RuneCountInString(drawn); {
		case n > w-1:
			t.Errorf("width %d: drew %d columns: %q", w, n, drawn)
		case utf8.RuneCountInString(full) > w-1 && !strings.HasSuffix(drawn, "…"):
			t.Errorf("width %d: a cut line must say so with …: %q", w, drawn)
		case utf8.RuneCountInString(full) <= w-1 && drawn != full:
			t.Errorf("width %d: a line that fits must not be cut: %q", w, drawn)
		}
	}
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{{"abcdef", 0, "abcdef"}, {"abcdef", 7, "abcdef"}, {"abcdef", 6, "abcd…"}, {"p99 µµµµ", 6, "p99 …"}, {"abc", 1, ""}} {
		if got := FitWidth(tc.in, tc.width); got != tc.want {
			t.Errorf("FitWidth(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}
