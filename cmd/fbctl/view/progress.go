package view

import (
	"fmt"
	"github.com/flakebench/fbctl/engine/store"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flakebench/fbctl/engine/run"
)

// Progress renders a run while it goes. On a terminal it redraws one status
// line with a progress bar; otherwise (CI logs) it prints a plain line every
// Every. Node starts and ends and state changes are printed as lines in both
// modes. It implements run.Hook.
type Progress struct {
	W        io.Writer
	Terminal bool
	Color    bool
	Every    time.Duration // plain-line interval without a terminal (default 5s)
	Now      func() time.Time
	// Width is the terminal's width in columns, asked at every redraw (the
	// terminal may be resized); the status line is cut to fit, never
	// wrapped. nil or a result below 1: not cut.
	Width func() int

	mu        sync.Mutex
	lastPlain time.Time
	drawn     bool // a status line is on screen and must be cleared first
}

var _ run.Hook = (*Progress)(nil)

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// line prints a whole line, clearing a drawn status line first.
func (p *Progress) line(format string, args ...any) {
	if p.drawn {
		fmt.Fprint(p.W, "\r\x1b[2K")
		p.drawn = false
	}
	fmt.Fprintf(p.W, format+"\n", args...)
}

// NodeStarted implements run.Hook.
func (p *Progress) NodeStarted(_, node string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("%s %s started", p.stamp(), node)
}

// NodeFinished implements run.Hook.
func (p *Progress) NodeFinished(_, node string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.line("%s %s failed: %v", p.stamp(), node, err)
		return
	}
	p.line("%s %s finished", p.stamp(), node)
}

// NodeSkipped implements run.Hook.
func (p *Progress) NodeSkipped(_, node, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("%s %s skipped: %s", p.stamp(), node, reason)
}

// StateChanged implements run.Hook.
func (p *Progress) StateChanged(s run.StateChange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf("%s run %s %s", p.stamp(), s.RunID, s.Status)
	switch {
	case s.Phase != "" && s.PhaseKind != "":
		msg += fmt.Sprintf(" (phase %s, %s)", s.Phase, s.PhaseKind)
	case s.Phase != "":
		msg += fmt.Sprintf(" (phase %s)", s.Phase)
	}
	if s.Reason != "" {
		msg += ": " + s.Reason
	}
	p.line("%s", msg)
}

// Progress implements run.Hook.
func (p *Progress) Progress(pr run.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := StatusLine(pr, p.Terminal)
	if p.Terminal {
		if p.Width != nil {
			status = FitWidth(status, p.Width())
		}
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

// Done clears the status line so what follows starts on a clean line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.W, "\r\x1b[2K")
		p.drawn = false
	}
}

func (p *Progress) stamp() string { return p.now().UTC().Format("15:04:05") }

// StatusLine is one line about the running nodes: per node its name,
// elapsed of planned (with a bar when bar is set and one node runs),
// throughput and latency of the last interval merged over the workers,
// the cumulative p99, errors and dropped arrivals; then the stream and the
// workers' health.
func StatusLine(pr run.Progress, bar bool) string {
	var b strings.Builder
	for i, ph := range pr.Phases {
		if i > 0 {
			b.WriteString("  |  ")
		}
		name := ph.Phase
		if ph.PhaseKind == "WARMUP" {
			name += " (warmup)"
		}
		fmt.Fprintf(&b, "%s %s", name, clock(ph.Elapsed))
		if ph.Planned > 0 {
			fmt.Fprintf(&b, "/%s", clock(ph.Planned))
			if bar && len(pr.Phases) == 1 {
				b.WriteString(" " + progressBar(float64(ph.Elapsed)/float64(ph.Planned), 20))
			}
		}
		fmt.Fprintf(&b, "  %.0f ops/s  p50 %s  p99 %s (all %s)  ops %d  errors %d", ph.OpsPerSec,
			Micros(ph.Interval.P50), Micros(ph.Interval.P99), Micros(ph.Cumulative.P99), ph.Operations, ph.Errors)
		if ph.Dropped > 0 {
			fmt.Fprintf(&b, "  dropped %d", ph.Dropped)
		}
	}
	if st := pr.Stream; st.Written+st.Buffered+st.Spilled > 0 {
		fmt.Fprintf(&b, "  rows written %d buffered %d", st.Written, st.Buffered)
		if st.Spilled > 0 {
			fmt.Fprintf(&b, " spilled %d (journal %d)", st.Spilled, st.JournalPending)
		}
		if st.Dropped > 0 {
			fmt.Fprintf(&b, " LOST %d", st.Dropped)
		}
		fmt.Fprintf(&b, " flush p99 %s", Micros(st.FlushP99US))
	}
	writeServerLive(&b, pr.Server)
	fmt.Fprintf(&b, "  workers %d/%d", pr.WorkersAlive, pr.WorkersExpected)
	if pr.WorkersStale > 0 {
		fmt.Fprintf(&b, " (%d stale)", pr.WorkersStale)
	}
	return b.String()
}

func progressBar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(width))
	return "[" + strings.Repeat("=", full) + strings.Repeat(" ", width-full) + "]"
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// Micros renders a latency in microseconds with a readable unit.
func Micros(us int64) string {
	switch {
	case us <= 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 1_000_000:
		return fmt.Sprintf("%.2fms", float64(us)/1000)
	default:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	}
}

// Bytes renders a size with a binary unit (KiB, MiB, GiB).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// writeServerLive adds the latest server sample: the run's sessions by
// state, with the lock waits' count.
func writeServerLive(b *strings.Builder, samples []store.ServerSample) {
	if len(samples) == 0 {
		return
	}
	by := map[string]int64{}
	var states []string
	for _, s := range samples {
		if _, ok := by[s.State]; !ok {
			states = append(states, s.State)
		}
		by[s.State] += s.Sessions
	}
	sort.Strings(states)
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = fmt.Sprintf("%d %s", by[st], st)
	}
	b.WriteString("  server: " + strings.Join(parts, ", "))
}
