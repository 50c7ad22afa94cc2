package view

import "unicode/utf8"

// FitWidth cuts a one-line status to fit a terminal of width columns,
// ending it with "…" when it was cut. It keeps one column free: a line
// that fills the last column makes some terminals wrap the cursor, and the
// next redraw would then leave the old line behind. Every character of a
// status line is one column wide (ASCII and "µ"). width < 1: not cut.
func FitWidth(line string, width int) string {
	if width < 1 {
		return line
	}
	room := width - 1
	if utf8.RuneCountInString(line) <= room {
		return line
	}
	if room < 1 {
		return ""
	}
	n := 0
	for i := range line {
		if n == room-1 {
			return line[:i] + "…"
		}
		n++
	}
	return line
}
