package view

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics writes diags for people: a severity and summary line, the
// position as FILE:LINE:COLUMN, the source lines with the range underlined,
// and the full-sentence detail.
func Diagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) error {
	var b strings.Builder
	for _, d := range sortDiags(diags) {
		writeDiagnostic(&b, files, d, color)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const (
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

func writeDiagnostic(b *strings.Builder, files map[string]*hcl.File, d *hcl.Diagnostic, color bool) {
	label, paint := "Error", ansiRed
	if d.Severity == hcl.DiagWarning {
		label, paint = "Warning", ansiYellow
	}
	if color {
		fmt.Fprintf(b, "%s%s:%s %s%s%s\n", paint, label, ansiReset, ansiBold, d.Summary, ansiReset)
	} else {
		fmt.Fprintf(b, "%s: %s\n", label, d.Summary)
	}
	if r := d.Subject; r != nil {
		fmt.Fprintf(b, "\n  on %s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
		b.WriteString(":\n")
		writeSnippet(b, files[r.Filename], *r, color)
	}
	if d.Detail != "" {
		b.WriteString("\n")
		b.WriteString(wrap(d.Detail, 100))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// writeSnippet prints the source lines a range covers, numbered, with the
// range underlined by carets on a one-line range.
func writeSnippet(b *strings.Builder, f *hcl.File, r hcl.Range, color bool) {
	if f == nil || len(f.Bytes) == 0 {
		return
	}
	lines := strings.Split(string(f.Bytes), "\n")
	first, last := r.Start.Line, r.End.Line
	if last < first {
		last = first
	}
	if last-first > 4 {
		last = first + 4
	}
	width := len(fmt.Sprint(last))
	for n := first; n <= last && n-1 < len(lines); n++ {
		if n < 1 {
			continue
		}
		fmt.Fprintf(b, "  %*d: %s\n", width, n, strings.TrimRight(lines[n-1], "\r"))
	}
	if r.Start.Line == r.End.Line && r.Start.Line >= 1 && r.Start.Line-1 < len(lines) {
		line := lines[r.Start.Line-1]
		startCol := max(r.Start.Column, 1)
		n := max(r.End.Column-r.Start.Column, 1)
		// Columns count characters; keep tabs so the carets line up.
		var pad strings.Builder
		for i, ch := range []rune(line) {
			if i >= startCol-1 {
				break
			}
			if ch == '\t' {
				pad.WriteByte('\t')
			} else {
				pad.WriteByte(' ')
			}
		}
		carets := strings.Repeat("^", n)
		if color {
			carets = ansiRed + carets + ansiReset
		}
		fmt.Fprintf(b, "  %*s  %s%s\n", width, "", pad.String(), carets)
	}
}

// wrap folds text at word boundaries so no line is longer than width.
func wrap(text string, width int) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line := words[0]
		for _, w := range words[1:] {
			if len(line)+1+len(w) > width {
				out = append(out, line)
				line = w
				continue
			}
			line += " " + w
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// sortDiags orders diagnostics by file, line and column so output is stable
// whatever order the checks ran in.
func sortDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		switch {
		case a == nil && b == nil:
			return false
		case a == nil:
			return true
		case b == nil:
			return false
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
	return out
}

// DiagnosticsFormatVersion is the version of the JSON diagnostics shape.
const DiagnosticsFormatVersion = "1.0"

// JSONValidation is the document `fbctl validate -json` prints. Its shape
// follows `terraform validate -json` so existing tooling can read it.
type JSONValidation struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// JSONDiagnostic is one diagnostic with its source range and snippet.
type JSONDiagnostic struct {
	Severity string       `json:"severity"` // "error" or "warning"
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONRange is a source range; lines and columns are 1-based, bytes 0-based.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a source file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnippet is the source text around a diagnostic.
type JSONSnippet struct {
	Code                 string `json:"code"`
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"`
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// NewJSONValidation converts diagnostics into the JSON document.
func NewJSONValidation(files map[string]*hcl.File, diags hcl.Diagnostics) JSONValidation {
	doc := JSONValidation{FormatVersion: DiagnosticsFormatVersion, Diagnostics: []JSONDiagnostic{}}
	for _, d := range sortDiags(diags) {
		jd := JSONDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			doc.WarningCount++
		} else {
			doc.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &JSONRange{
				Filename: r.Filename,
				Start:    JSONPos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
				End:      JSONPos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
			}
			jd.Snippet = snippet(files[r.Filename], *r)
		}
		doc.Diagnostics = append(doc.Diagnostics, jd)
	}
	doc.Valid = doc.ErrorCount == 0
	return doc
}

// snippet returns the whole source lines the range covers, with the
// highlight offsets relative to the start of the snippet.
func snippet(f *hcl.File, r hcl.Range) *JSONSnippet {
	if f == nil || r.Start.Byte > len(f.Bytes) || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte {
		return nil
	}
	src := f.Bytes
	start := strings.LastIndexByte(string(src[:r.Start.Byte]), '\n') + 1
	end := r.End.Byte
	if nl := strings.IndexByte(string(src[end:]), '\n'); nl >= 0 {
		end += nl
	} else {
		end = len(src)
	}
	return &JSONSnippet{
		Code:                 string(src[start:end]),
		StartLine:            r.Start.Line,
		HighlightStartOffset: r.Start.Byte - start,
		HighlightEndOffset:   r.End.Byte - start,
	}
}

// JSON writes v as indented JSON followed by a newline.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
