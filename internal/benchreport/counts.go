package benchreport

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// The counting round of scripts/bench-pgbench.sh: per workload a header
// "Counting round, WORKLOAD (...)" and lines
// "COUNT TOOL OPS SYSCALLS/OP CTXSW/OP CPU_µs/OP [OPS/S]" (CPU "n/a" under
// strace; OPS/S "n/a" where the tool printed no rate, absent before it was
// added).

var (
	countHeader = regexp.MustCompile(`^Counting round, (\w+) `)
	countLine   = regexp.MustCompile(`^COUNT (\S+)\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+(\S+)(?:\s+(\S+))?\s*$`)
)

// Count is one tool's counts per operation in the counting round.
type Count struct {
	Syscalls, Switches float64
	CPU                float64 // µs; -1 when not measured
	Rate               float64 // ops/s; -1 when not measured
}

// PgbenchCounts reads the counting round: workload → tool → counts.
func PgbenchCounts(r io.Reader) map[string]map[string]Count {
	out := map[string]map[string]Count{}
	workload := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := countHeader.FindStringSubmatch(line); m != nil {
			workload = m[1]
			continue
		}
		m := countLine.FindStringSubmatch(line)
		if m == nil || workload == "" || strings.EqualFold(m[1], "TOOL") {
			continue
		}
		c := Count{CPU: -1, Rate: -1}
		c.Syscalls, _ = strconv.ParseFloat(m[3], 64)
		c.Switches, _ = strconv.ParseFloat(m[4], 64)
		if v, err := strconv.ParseFloat(m[5], 64); err == nil {
			c.CPU = v
		}
		if v, err := strconv.ParseFloat(m[6], 64); err == nil {
			c.Rate = v
		}
		if out[workload] == nil {
			out[workload] = map[string]Count{}
		}
		out[workload][m[1]] = c
	}
	return out
}

// pgbenchCount is a figure of the counting round: one value, when the
// tool was counted on the workload.
func pgbenchCount(workload, tool string, pick func(Count) float64) func(*Step) []float64 {
	return func(s *Step) []float64 {
		c, ok := PgbenchCounts(bytes.NewReader(s.Output))[workload][tool]
		if !ok || pick(c) < 0 {
			return nil
		}
		return []float64{pick(c)}
	}
}

// countRatio is a figure of the counting round: tool's ops/s ÷ base's.
func countRatio(workload, tool, base string) func(*Step) []float64 {
	return func(s *Step) []float64 {
		c := PgbenchCounts(bytes.NewReader(s.Output))[workload]
		a, aok := c[tool]
		b, bok := c[base]
		if !aok || !bok || a.Rate <= 0 || b.Rate <= 0 {
			return nil
		}
		return []float64{a.Rate / b.Rate}
	}
}

func syscallsOf(c Count) float64 { return c.Syscalls }
func cpuOf(c Count) float64      { return c.CPU }
func switchesOf(c Count) float64 { return c.Switches }
