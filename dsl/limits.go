package dsl

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/hashicorp/hcl/v2"
)

// Input limits. HCL's parser recurses once per nesting level and has no
// limit of its own: a file of 70,000 nested parentheses overflows the Go
// stack and kills the process, 10,000 levels already cost 264 MB. So every
// text fbctl parses as HCL (scenario files, -var-file files, -var and
// FB_VAR_ values, file() contents are only strings) is first scanned by
// checkSource, which does not recurse, and refused with a located
// diagnostic when it breaks a limit. docs/language.md lists the limits.
const (
	// MaxFileSize is the largest scenario or variables file read, and the
	// largest file file() returns.
	MaxFileSize = 4 << 20
	// MaxNestingDepth is how deeply braces, brackets, parentheses, quoted
	// strings, heredocs and ${ } / %{ } interpolations may nest.
	MaxNestingDepth = 100
)

// readLimited reads a file of at most MaxFileSize bytes. tooLarge is true
// (and the content nil) when the file is larger; nothing past the limit is
// read.
func readLimited(path string) (b []byte, tooLarge bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	b, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > MaxFileSize {
		return nil, true, nil
	}
	return b, false, nil
}

// fileStart is the range of the first character of a file, the subject of
// diagnostics about a file as a whole.
func fileStart(filename string) *hcl.Range {
	return &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 2, Byte: 1}}
}

func tooLargeDiag(filename, what string) *hcl.Diagnostic {
	return errorDiag("File too large",
		fmt.Sprintf("The %s %s is larger than %d MiB, the most fbctl reads; split it into several files.", what, filename, MaxFileSize>>20),
		fileStart(filename), nil)
}

// frame kinds of the nesting scan.
const (
	frameBracket = iota // { [ (
	frameInterp         // ${ or %{, closed by }
	frameString         // "…"
	frameHeredoc        // <<EOT … EOT
)

type scanFrame struct {
	kind   int
	close  byte      // frameBracket: the closing character
	marker string    // frameHeredoc: the closing marker
	start  hcl.Range // where the construct opens
}

// sourceScanner walks a text once, keeping the open constructs on an
// explicit stack instead of recursing.
type sourceScanner struct {
	src       []byte
	filename  string
	i         int
	line, col int
	stack     []scanFrame
}

// pos is the position of byte i (columns count characters, as HCL's do
// for the text fbctl users write).
func (s *sourceScanner) pos() hcl.Pos { return hcl.Pos{Line: s.line, Column: s.col, Byte: s.i} }

// rangeOf is the range of the n bytes starting at the current position.
func (s *sourceScanner) rangeOf(n int) hcl.Range {
	start := s.pos()
	end := start
	end.Byte += n
	end.Column += utf8.RuneCount(s.src[s.i:min(s.i+n, len(s.src))])
	return hcl.Range{Filename: s.filename, Start: start, End: end}
}

// advance moves past n bytes.
func (s *sourceScanner) advance(n int) {
	for ; n > 0 && s.i < len(s.src); n-- {
		c := s.src[s.i]
		s.i++
		switch {
		case c == '\n':
			s.line, s.col = s.line+1, 1
		case c < utf8.RuneSelf || utf8.RuneStart(c):
			s.col++
		}
	}
}

func (s *sourceScanner) has(prefix string) bool {
	return len(s.src)-s.i >= len(prefix) && string(s.src[s.i:s.i+len(prefix)]) == prefix
}

// checkSource scans src for what must be refused before HCL parses it: a
// NUL byte, nesting deeper than MaxNestingDepth, and a heredoc that is
// never closed (HCL reports that at the end of the file, after errors that
// follow from it; this reports it where it starts). It never recurses, so
// any input is scanned in time and memory linear in its size. Other syntax
// errors are left to HCL. When it returns errors, the text must not be
// given to the parser.
func checkSource(src []byte, filename string) hcl.Diagnostics {
	s := &sourceScanner{src: src, filename: filename, line: 1, col: 1}
	var diags hcl.Diagnostics
	nuls := 0
	var firstNUL hcl.Range
	push := func(f scanFrame) bool {
		s.stack = append(s.stack, f)
		if len(s.stack) > MaxNestingDepth {
			diags = append(diags, errorDiag("Nesting too deep",
				fmt.Sprintf("Expressions and blocks nest more than %d levels deep here (brackets, parentheses, braces, strings, heredocs and interpolations count); fbctl refuses deeper nesting so a file cannot exhaust memory. Flatten the expression, for example with locals.", MaxNestingDepth),
				rangePtr(f.start), nil))
			return false
		}
		return true
	}
	top := func() *scanFrame {
		if len(s.stack) == 0 {
			return nil
		}
		return &s.stack[len(s.stack)-1]
	}
	// templateText takes one step through the text of a string or
	// heredoc: ${ and %{ open an interpolation, $${ and %%{ are escapes.
	// It is false when the nesting got too deep.
	templateText := func() bool {
		if interpolationStart(s.src[s.i:]) > 0 {
			if !push(scanFrame{kind: frameInterp, start: s.rangeOf(2)}) {
				return false
			}
			s.advance(2)
			return true
		}
		s.advance(escapeLen(s.src[s.i:]))
		return true
	}
	atLineStart := true
	for s.i < len(s.src) {
		c := s.src[s.i]
		if c == 0 {
			if nuls == 0 {
				firstNUL = s.rangeOf(1)
			}
			nuls++
			s.advance(1)
			atLineStart = false
			continue
		}
		t := top()
		switch {
		case t != nil && t.kind == frameHeredoc:
			if atLineStart {
				if n, ok := closesHeredoc(s.src[s.i:], t.marker); ok {
					s.stack = s.stack[:len(s.stack)-1]
					s.advance(n)
					atLineStart = false
					continue
				}
			}
			atLineStart = c == '\n'
			if !templateText() {
				return diags
			}
		case t != nil && t.kind == frameString:
			switch {
			case c == '\\':
				s.advance(2)
			case c == '"':
				s.stack = s.stack[:len(s.stack)-1]
				s.advance(1)
			case c == '\n':
				// A quoted string cannot span lines; HCL reports it.
				s.stack = s.stack[:len(s.stack)-1]
				s.advance(1)
			default:
				if !templateText() {
					return diags
				}
			}
		default: // expression or body
			atLineStart = false
			switch {
			case c == '#' || s.has("//"):
				for s.i < len(s.src) && s.src[s.i] != '\n' {
					if s.src[s.i] == 0 {
						break
					}
					s.advance(1)
				}
			case s.has("/*"):
				s.advance(2)
				for s.i < len(s.src) && !s.has("*/") && s.src[s.i] != 0 {
					s.advance(1)
				}
				s.advance(2)
			case c == '"':
				if !push(scanFrame{kind: frameString, start: s.rangeOf(1)}) {
					return diags
				}
				s.advance(1)
			case s.has("<<"):
				n, marker := heredocStart(s.src[s.i:])
				if n == 0 {
					s.advance(2)
					continue
				}
				opener := 2 + len(marker)
				if s.has("<<-") {
					opener++
				}
				if !push(scanFrame{kind: frameHeredoc, marker: marker, start: s.rangeOf(opener)}) {
					return diags
				}
				s.advance(n)
				atLineStart = true
			case c == '{' || c == '[' || c == '(':
				closer := map[byte]byte{'{': '}', '[': ']', '(': ')'}[c]
				if !push(scanFrame{kind: frameBracket, close: closer, start: s.rangeOf(1)}) {
					return diags
				}
				s.advance(1)
			case c == '}' || c == ']' || c == ')':
				// Pop whatever is open: a mismatch is a syntax error HCL
				// reports better than a scan could.
				if t != nil {
					s.stack = s.stack[:len(s.stack)-1]
				}
				s.advance(1)
			default:
				s.advance(1)
			}
		}
	}
	if nuls > 0 {
		detail := "The file contains a NUL character (byte 0) here. Scenario files are text: a NUL byte is never part of valid HCL, and a database would cut SQL short at it. Remove it."
		if nuls > 1 {
			detail = fmt.Sprintf("The file contains %d NUL characters (byte 0), the first here. Scenario files are text: a NUL byte is never part of valid HCL, and a database would cut SQL short at it. Remove them.", nuls)
		}
		diags = append(diags, errorDiag("Invalid NUL character", detail, &firstNUL, nil))
	}
	for _, f := range s.stack {
		if f.kind == frameHeredoc {
			diags = append(diags, errorDiag("Unterminated heredoc",
				fmt.Sprintf("The heredoc that starts here is never closed: no line holds only its closing marker %s, so the rest of the file was read as its text. Add a line with %s after the heredoc's last line.", f.marker, f.marker),
				rangePtr(f.start), nil))
			break
		}
	}
	return diags
}

// heredocStart recognises <<MARKER or <<-MARKER followed by a newline at
// the start of b, returning the bytes it spans (newline included) and the
// marker; 0 when b does not start a heredoc.
func heredocStart(b []byte) (int, string) {
	i := 2
	if i < len(b) && b[i] == '-' {
		i++
	}
	j := i
	for j < len(b) && (b[j] == '_' || b[j] == '-' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || j > i && b[j] >= '0' && b[j] <= '9') {
		j++
	}
	if j == i {
		return 0, ""
	}
	k := j
	if k < len(b) && b[k] == '\r' {
		k++
	}
	if k >= len(b) || b[k] != '\n' {
		return 0, ""
	}
	return k + 1, string(b[i:j])
}

// closesHeredoc reports whether the line starting b is the closing marker
// (optionally indented) and how many bytes it spans, without its newline.
func closesHeredoc(b []byte, marker string) (int, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if len(b)-i < len(marker) || string(b[i:i+len(marker)]) != marker {
		return 0, false
	}
	j := i + len(marker)
	if j < len(b) && b[j] == '\r' {
		j++
	}
	if j < len(b) && b[j] != '\n' {
		return 0, false
	}
	return i + len(marker), true
}

// interpolationStart returns 2 when b starts ${ or %{ (not the escapes $${
// and %%{), else 0.
func interpolationStart(b []byte) int {
	if len(b) >= 2 && (b[0] == '$' || b[0] == '%') && b[1] == '{' {
		return 2
	}
	return 0
}

// escapeLen is how many bytes of template text to skip: three for the
// escapes $${ and %%{, else one.
func escapeLen(b []byte) int {
	if len(b) >= 3 && (b[0] == '$' || b[0] == '%') && b[1] == b[0] && b[2] == '{' {
		return 3
	}
	return 1
}

// Upper bounds of the load settings. A value above them is a typo or a
// test of fbctl rather than of a database (connections = 1e9 would make
// apply grow memory until the machine gives out), so it is refused at
// validate with a located diagnostic, before anything reaches the run
// engine. docs/language.md lists them.
const (
	// MaxConnections bounds every session count: a phase's connections
	// and max_connections, a warmup's connections, find_max start, step
	// and max, and scaling's max_connections_per_worker.
	MaxConnections = 100_000
	// MaxWorkers bounds workers, min_workers and max_workers.
	MaxWorkers = 1_000
	// MaxRate bounds an open phase's rate and a ramp's from and to, in
	// operations per second across all workers.
	MaxRate = 1_000_000
	// MaxDuration bounds a phase, warmup, ramp or find_max step, and the
	// longest a find_max search may take.
	MaxDuration = 7 * 24 * time.Hour
	// MaxThinkTime bounds think_time.
	MaxThinkTime = time.Hour
	// MaxPoolSize bounds a pool's size (the values sampled at run start
	// travel to every worker).
	MaxPoolSize = 100_000
	// MaxWeight bounds a query's weight.
	MaxWeight = 1_000_000
	// MaxRowsPerSecond bounds sampling's max_rows_per_second.
	MaxRowsPerSecond = 1_000_000
)

// atMost reports a value of attribute a above limit. unit names the limit
// ("", " ops/s"); ok is false when it reported.
func (l *loader) atMost(a *hcl.Attribute, got, limit float64, unit string) bool {
	if a == nil || got <= limit {
		return true
	}
	l.diags = append(l.diags, errorDiag("Invalid "+a.Name,
		fmt.Sprintf("%s = %s is above fbctl's limit of %s%s. The limit keeps a typo from exhausting this machine's memory or the database; see Limits in docs/language.md.",
			a.Name, formatLimit(got), formatLimit(limit), unit),
		rangePtr(a.Expr.Range()), rangePtr(a.Range)))
	return false
}

// durationAtMost is atMost for durations.
func (l *loader) durationAtMost(a *hcl.Attribute, got, limit time.Duration) bool {
	if a == nil || got <= limit {
		return true
	}
	l.diags = append(l.diags, errorDiag("Invalid "+a.Name,
		fmt.Sprintf("%s = %q is above fbctl's limit of %s; see Limits in docs/language.md.", a.Name, formatDuration(got), formatDuration(limit)),
		rangePtr(a.Expr.Range()), rangePtr(a.Range)))
	return false
}

func formatLimit(f float64) string {
	if f == float64(int64(f)) && f < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// formatDuration writes whole days as "168h" and keeps time.Duration's
// form otherwise ("1h30m0s" → "1h30m").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkPhaseLimits checks a decoded phase's settings against the upper
// bounds, and that an open phase issues at least one operation: a rate so
// low that rate × duration is below one measures nothing, and every
// threshold over it would judge an empty phase.
func (l *loader) checkPhaseLimits(p *Phase, content *hcl.BodyContent) {
	attrs := content.Attributes
	l.atMost(attrs["connections"], float64(p.Connections), MaxConnections, "")
	l.atMost(attrs["max_connections"], float64(p.MaxConnections), MaxConnections, "")
	l.atMost(attrs["workers"], float64(p.Workers), MaxWorkers, "")
	l.durationAtMost(attrs["duration"], p.Duration, MaxDuration)
	if p.ThinkTime != nil {
		l.durationAtMost(attrs["think_time"], *p.ThinkTime, MaxThinkTime)
	}
	if s := p.Scaling; s != nil && s.MaxConnectionsPerWorker > 0 && s.MaxWorkers == 0 {
		budget := max(p.Connections, p.MaxConnections)
		if need := (budget + s.MaxConnectionsPerWorker - 1) / s.MaxConnectionsPerWorker; need > MaxWorkers {
			blk := content.Blocks.OfType("scaling")[0]
			l.diags = append(l.diags, errorDiag("Too many workers",
				fmt.Sprintf("The phase %q would need %d workers for %d connections at %d per worker, more than the %d fbctl allows. Raise max_connections_per_worker or set max_workers; see Limits in docs/language.md.",
					p.Name, need, budget, s.MaxConnectionsPerWorker, MaxWorkers),
				rangePtr(blk.DefRange), nil))
		}
	}
	// An open phase must issue at least one operation.
	var ops float64
	var subject *hcl.Range
	switch {
	case p.Model == load.Open && attrs["rate"] != nil:
		a := attrs["rate"]
		if !l.atMost(a, p.Rate, MaxRate, " ops/s") || p.Rate <= 0 || p.Duration <= 0 {
			return
		}
		ops, subject = p.Rate*p.Duration.Seconds(), rangePtr(a.Expr.Range())
	case p.Model == load.Ramp && p.Ramp != nil && p.Ramp.Over > 0 && p.Duration > 0:
		r := p.Ramp
		over := min(r.Over, p.Duration)
		ops = (r.From+r.To)/2*over.Seconds() + r.To*(p.Duration-over).Seconds()
		subject = rangePtr(content.Blocks.OfType("ramp")[0].DefRange)
	default:
		return
	}
	if ops < 1 {
		l.diags = append(l.diags, errorDiag("Phase measures nothing",
			fmt.Sprintf("The phase %q would issue %.3g operations in all over %s: less than one, so it would measure nothing and every threshold over it would judge an empty phase. Raise the rate (at least %.3g ops/s over this duration) or lengthen the phase.",
				p.Name, ops, formatDuration(p.Duration), 1/p.Duration.Seconds()),
			subject, nil))
	}
}
