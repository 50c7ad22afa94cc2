package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Results holds the values of `go test -bench` output: by benchmark name
// (without the -GOMAXPROCS suffix), by unit, one value per result line in
// the order they appeared (one per round with -count).
type Results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench reads `go test -bench` output; lines that are not benchmark
// results are ignored.
func ParseBench(r io.Reader) (Results, error) {
	res := Results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // a log line starting with a benchmark's name
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: value %q: %w", name, f[i], err)
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading benchmark output: %w", err)
	}
	return res, nil
}

// Get returns the values of name's unit (nil when absent).
func (r Results) Get(name, unit string) []float64 { return r[name][unit] }

// Summary is the median and the min–max spread of some rounds.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the median (mean of the middle two for an even count)
// and spread of vs; ok is false when vs is empty.
func Summarize(vs []float64) (s Summary, ok bool) {
	if len(vs) == 0 {
		return Summary{}, false
	}
	c := append([]float64(nil), vs...)
	sort.Float64s(c)
	n := len(c)
	med := c[n/2]
	if n%2 == 0 {
		med = (c[n/2-1] + c[n/2]) / 2
	}
	return Summary{Median: med, Min: c[0], Max: c[n-1], N: n}, true
}

var (
	pgWorkloadLine = regexp.MustCompile(`^Workload: (\w+)`)
	pgRoundLine    = regexp.MustCompile(`^\s*(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)(?:\s+([0-9.]+), ([0-9.]+))?\s*$`)
)

// Round is one throughput round of scripts/bench-pgbench.sh: both tools'
// TPS, the ratio fbctl/pgbench and each tool's client CPU µs per
// operation (0 when the line has none).
type Round struct {
	PgbenchTPS, FbctlTPS, Ratio float64
	PgbenchCPU, FbctlCPU        float64
}

// PgbenchRounds reads scripts/bench-pgbench.sh output: the throughput
// rounds of each workload (the rounds after its "Workload: NAME" line).
func PgbenchRounds(r io.Reader) (map[string][]Round, error) {
	out := map[string][]Round{}
	workload := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := pgWorkloadLine.FindStringSubmatch(line); m != nil {
			workload = m[1]
			continue
		}
		m := pgRoundLine.FindStringSubmatch(line)
		if m == nil || workload == "" {
			continue
		}
		num := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
		out[workload] = append(out[workload], Round{PgbenchTPS: num(2), FbctlTPS: num(3), Ratio: num(4), PgbenchCPU: num(5), FbctlCPU: num(6)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading pgbench output: %w", err)
	}
	return out, nil
}
