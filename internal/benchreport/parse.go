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
	pgRoundLine  = regexp.MustCompile(`^\s*(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\b`)
	pgCPU        = regexp.MustCompile(`^\s*\d+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+([0-9.]+), ([0-9.]+)\s*$`)
	pgMedianLine = regexp.MustCompile(`Median ratio fbctl/pgbench: ([0-9.]+)`)
)

// PgbenchRatios reads scripts/bench-pgbench.sh output: the per-round
// ratios fbctl/pgbench (fourth column of the round lines) and the median
// it printed (ok false when it printed none).
func PgbenchRatios(r io.Reader) (rounds []float64, median float64, ok bool, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := pgMedianLine.FindStringSubmatch(line); m != nil {
			median, _ = strconv.ParseFloat(m[1], 64)
			ok = true
			continue
		}
		if m := pgRoundLine.FindStringSubmatch(line); m != nil {
			v, perr := strconv.ParseFloat(m[4], 64)
			if perr == nil {
				rounds = append(rounds, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, false, fmt.Errorf("reading pgbench output: %w", err)
	}
	return rounds, median, ok, nil
}

// PgbenchCPU reads the client CPU microseconds per operation of pgbench
// and of fbctl from each round line of scripts/bench-pgbench.sh.
func PgbenchCPU(r io.Reader) (pgbench, fbctl []float64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := pgCPU.FindStringSubmatch(sc.Text()); m != nil {
			p, err1 := strconv.ParseFloat(m[1], 64)
			f, err2 := strconv.ParseFloat(m[2], 64)
			if err1 == nil && err2 == nil {
				pgbench, fbctl = append(pgbench, p), append(fbctl, f)
			}
		}
	}
	return pgbench, fbctl
}
