package benchreport

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Verdicts of a row.
const (
	Met      = "met"
	Short    = "short"
	Info     = "—" // reported for context, no target
	Missing  = "not measured"
	stepFail = "step failed"
)

// Step is one command of the suite as scripts/bench.sh left it in the
// output directory: NAME.txt (stdout and stderr), NAME.cmd (the command
// line), NAME.load (/proc/loadavg when it started), NAME.rc (exit status),
// and optionally NAME.prof (CPU profile) with the test binary NAME.bin
// names.
type Step struct {
	Name    string
	Output  []byte
	Cmd     string
	Load    string // the 1-, 5- and 15-minute load averages
	RC      int    // -1: no .rc file
	Profile string // path of the CPU profile, "" if none
	Binary  string // path of the test binary the profile belongs to
	Results Results
}

// Row is one line of the table.
type Row struct {
	Figure, Target, Measured, Verdict, Step, Load string
}

// Report is what the suite measured.
type Report struct {
	Dir   string
	Steps map[string]*Step
	Rows  []Row
}

// ReadStep loads step name from dir; a missing output file is not an error
// (the step did not run).
func ReadStep(dir, name string) (*Step, error) {
	s := &Step{Name: name, RC: -1}
	out, err := os.ReadFile(filepath.Join(dir, name+".txt"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", name, err)
	}
	s.Output = out
	if s.Results, err = ParseBench(bytes.NewReader(out)); err != nil {
		return nil, fmt.Errorf("step %s: %w", name, err)
	}
	read := func(ext string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name+ext))
		return strings.TrimSpace(string(b))
	}
	s.Cmd = read(".cmd")
	if f := strings.Fields(read(".load")); len(f) >= 3 {
		s.Load = strings.Join(f[:3], " ")
	}
	if rc, err := strconv.Atoi(read(".rc")); err == nil {
		s.RC = rc
	}
	if p := filepath.Join(dir, name+".prof"); fileExists(p) {
		s.Profile = p
		s.Binary = read(".bin")
	}
	return s, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Size() > 0
}

// figure is one row's definition: where its values come from, how to
// print them, and its target (pass nil: no target).
type figure struct {
	name, target, step string
	values             func(*Step) []float64
	format             func(float64) string
	pass               func(float64) bool
	// worst judges the highest round instead of the median (counts of
	// failures, where one bad round is a shortfall).
	worst bool
}

func metric(bench, unit string) func(*Step) []float64 {
	return func(s *Step) []float64 { return s.Results.Get(bench, unit) }
}

// diff pairs the rounds of two benchmarks' unit: a[i] − b[i].
func diff(benchA, benchB, unit string) func(*Step) []float64 {
	return func(s *Step) []float64 {
		a, b := s.Results.Get(benchA, unit), s.Results.Get(benchB, unit)
		var out []float64
		for i := range min(len(a), len(b)) {
			out = append(out, a[i]-b[i])
		}
		return out
	}
}

// pgbenchRounds is a figure of one workload's throughput rounds.
func pgbenchRounds(workload string, pick func(Round) float64) func(*Step) []float64 {
	return func(s *Step) []float64 {
		rounds, _ := PgbenchRounds(bytes.NewReader(s.Output))
		var out []float64
		for _, r := range rounds[workload] {
			if v := pick(r); v > 0 {
				out = append(out, v)
			}
		}
		return out
	}
}

func ratioOf(r Round) float64      { return r.Ratio }
func pgbenchCPUOf(r Round) float64 { return r.PgbenchCPU }
func fbctlCPUOf(r Round) float64   { return r.FbctlCPU }

// cpuRatioOf is fbctl's client CPU per operation ÷ pgbench's.
func cpuRatioOf(r Round) float64 {
	if r.PgbenchCPU <= 0 {
		return 0
	}
	return r.FbctlCPU / r.PgbenchCPU
}

func f(format string) func(float64) string {
	return func(v float64) string { return fmt.Sprintf(format, v) }
}

func figures() []figure {
	const (
		ex      = "BenchmarkHarnessRatio"
		pacer   = "BenchmarkPacer"
		co      = "BenchmarkCoordinatedOmission"
		mem     = "BenchmarkMemoryRSS"
		scale   = "BenchmarkScale"
		scalePG = "BenchmarkScalePostgres"
		lease   = "BenchmarkLeaseFailover"
		size    = "BenchmarkStoreSize"
		ingSQL  = "BenchmarkIngestHotPath/SQLite"
		ingPG   = "BenchmarkIngestHotPath/Postgres"
		// The pacer's CPU at low rates, and ingest at a realistic rate.
		pacerCPU = "BenchmarkPacerCPU"
		rateSQL  = "BenchmarkIngestOpenRate/SQLite"
		ratePG   = "BenchmarkIngestOpenRate/Postgres"
	)
	return []figure{
		{"1. Harness overhead: ops/s closed harness ÷ bare loop (wall)", "≥ 0.97", "harness", metric(ex, "ratio"), f("%.3f"), func(v float64) bool { return v >= 0.97 }, false},
		{"1. Harness overhead: CPU per op bare ÷ harness", "—", "harness", metric(ex, "cpu_ratio"), f("%.3f"), nil, false},
		{"1. Closed harness ns/op (no-op target, 4 conns)", "—", "hotpath", metric("BenchmarkClosedHarness", "ns/op"), f("%.0f"), nil, false},
		{"1. Bare loop ns/op (same driver and conns)", "—", "hotpath", metric("BenchmarkBareLoop", "ns/op"), f("%.0f"), nil, false},
		{"1. Closed harness allocs/op (database/sql included)", "—", "hotpath", metric("BenchmarkClosedHarness", "allocs/op"), f("%.0f"), nil, false},
		{"1. Allocs/op the harness adds over the bare loop (sampling 0)", "≤ 1", "hotpath", diff("BenchmarkClosedHarness", "BenchmarkBareLoop", "allocs/op"), f("%.0f"), func(v float64) bool { return v <= 1 }, false},
		{"2. Pacer achieved rate at 10,000 ops/s (ops/s)", "within 1%", "pacer", metric(pacer, "achieved_ops/s"), f("%.0f"), func(v float64) bool { return math.Abs(v-10_000) <= 100 }, false},
		{"2. Pacer schedule lag p50 (µs)", "< 20", "pacer", metric(pacer, "lag_p50_us"), f("%.0f"), func(v float64) bool { return v < 20 }, false},
		{"2. Pacer schedule lag p99 (µs)", "< 500", "pacer", metric(pacer, "lag_p99_us"), f("%.0f"), func(v float64) bool { return v < 500 }, false},
		{"2. Pacer process CPU at 10,000 ops/s (% of one CPU, no-op target's driver included)", "—", "pacer", metric(pacer, "cpu_%"), f("%.1f"), nil, false},
		{"2. Pacer process CPU at 1,000 ops/s (% of one CPU)", "not a core", "pacer", metric(pacerCPU+"/rate=1000", "cpu_%"), f("%.1f"), func(v float64) bool { return v < 50 }, false},
		{"2. Pacer process CPU at 100 ops/s (% of one CPU)", "not a core", "pacer", metric(pacerCPU+"/rate=100", "cpu_%"), f("%.1f"), func(v float64) bool { return v < 50 }, false},
		{"2. Pacer context switches per operation at 10,000 ops/s", "—", "pacer", metric(pacer, "ctxsw/op"), f("%.2f"), nil, false},
		{"3. Coordinated omission, 1 s stall: open-model p99 (ms)", "reflects the stall (≥ 500)", "co", metric(co, "open_p99_ms"), f("%.1f"), func(v float64) bool { return v >= 500 }, false},
		{"3. Coordinated omission, 1 s stall: open-model max (ms)", "reflects the stall (≥ 1000)", "co", metric(co, "open_max_ms"), f("%.1f"), func(v float64) bool { return v >= 1000 }, false},
		{"3. Coordinated omission, 1 s stall: closed-model p99 (ms)", "— (hides the stall)", "co", metric(co, "closed_p99_ms"), f("%.1f"), nil, false},
		{"3. Coordinated omission, 1 s stall: closed-model max (ms)", "—", "co", metric(co, "closed_max_ms"), f("%.1f"), nil, false},
		{"4. fbctl ÷ pgbench -S -M prepared, select-only, 8 clients, server and clients on separate CPUs (TPS)", "≥ 0.9 (goal 1.0)", "pgbench", pgbenchRounds("select_only", ratioOf), f("%.3f"), func(v float64) bool { return v >= 0.9 }, false},
		{"4. fbctl ÷ pgbench -M prepared, TPC-B-like, 8 clients, separate CPUs (TPS)", "≥ 0.9 (goal 1.0)", "pgbench", pgbenchRounds("tpcb", ratioOf), f("%.3f"), func(v float64) bool { return v >= 0.9 }, false},
		{"4. Client CPU per select, fbctl ÷ pgbench", "≤ 1.2", "pgbench", pgbenchRounds("select_only", cpuRatioOf), f("%.2f"), func(v float64) bool { return v <= 1.2 }, false},
		{"4. Client CPU per select, pgbench (µs)", "—", "pgbench", pgbenchRounds("select_only", pgbenchCPUOf), f("%.1f"), nil, false},
		{"4. Client CPU per select, fbctl (µs)", "—", "pgbench", pgbenchRounds("select_only", fbctlCPUOf), f("%.1f"), nil, false},
		{"4. Client CPU per TPC-B transaction, fbctl ÷ pgbench", "—", "pgbench", pgbenchRounds("tpcb", cpuRatioOf), f("%.2f"), nil, false},
		{"4. Shared CPUs: fbctl ÷ pgbench -S, select-only (TPS)", "— (client CPU takes the server's)", "pgbenchshared", pgbenchRounds("select_only", ratioOf), f("%.3f"), nil, false},
		{"4. Shared CPUs: fbctl ÷ pgbench, TPC-B-like (TPS)", "—", "pgbenchshared", pgbenchRounds("tpcb", ratioOf), f("%.3f"), nil, false},
		{"4. Shared CPUs: client CPU per select, fbctl ÷ pgbench", "—", "pgbenchshared", pgbenchRounds("select_only", cpuRatioOf), f("%.2f"), nil, false},
		{"4. Client CPU per select, executor on the lean path, multiplexed (µs, counting round)", "—", "pgbench", pgbenchCount("select_only", "go-lean", cpuOf), f("%.1f"), nil, false},
		{"4. Client CPU per select, executor on pgx.Conn (µs, counting round)", "—", "pgbench", pgbenchCount("select_only", "go-pgx", cpuOf), f("%.1f"), nil, false},
		{"4. fbctl apply ÷ bare pgx loop, select-only (ops/s, counting round)", "≥ 0.97", "pgbench", countRatio("select_only", "fbctl-apply", "go-bare-pgx"), f("%.3f"), func(v float64) bool { return v >= 0.97 }, false},
		{"4. pgbench's design in Go (2 threads × 4 raw sockets) ÷ pgbench (ops/s, counting round)", "—", "pgbench", countRatio("select_only", "go-mux", "pgbench"), f("%.3f"), nil, false},
		// The counting round of scripts/bench-pgbench.sh (perf stat or strace).
		{"4. System calls per select, pgbench", "—", "pgbench", pgbenchCount("select_only", "pgbench", syscallsOf), f("%.2f"), nil, false},
		{"4. System calls per select, bare pgx loop", "—", "pgbench", pgbenchCount("select_only", "go-bare-pgx", syscallsOf), f("%.2f"), nil, false},
		{"4. System calls per select, fbctl apply", "—", "pgbench", pgbenchCount("select_only", "fbctl-apply", syscallsOf), f("%.2f"), nil, false},
		{"4. Context switches per select, pgbench", "—", "pgbench", pgbenchCount("select_only", "pgbench", switchesOf), f("%.2f"), nil, false},
		{"4. Context switches per select, bare pgx loop", "—", "pgbench", pgbenchCount("select_only", "go-bare-pgx", switchesOf), f("%.2f"), nil, false},
		{"4. Context switches per select, fbctl apply", "—", "pgbench", pgbenchCount("select_only", "fbctl-apply", switchesOf), f("%.2f"), nil, false},
		{"4. Context switches per select, pgbench's design in Go", "—", "pgbench", pgbenchCount("select_only", "go-mux", switchesOf), f("%.2f"), nil, false},
		{"4. Client CPU per select, pgbench's design in Go (µs, counting round)", "—", "pgbench", pgbenchCount("select_only", "go-mux", cpuOf), f("%.1f"), nil, false},
		{"4. System calls per TPC-B transaction, pgbench", "—", "pgbench", pgbenchCount("tpcb", "pgbench", syscallsOf), f("%.2f"), nil, false},
		{"4. System calls per TPC-B transaction, fbctl apply", "—", "pgbench", pgbenchCount("tpcb", "fbctl-apply", syscallsOf), f("%.2f"), nil, false},
		{"5. Streamer ingest into SQLite (rows/s)", "≥ 50,000", "ingest", metric(ingSQL, "rows/s"), f("%.0f"), func(v float64) bool { return v >= 50_000 }, false},
		{"5. Hot path while streaming into SQLite: ops/s ÷ no sink", "≥ 0.95 (unaffected)", "ingest", metric(ingSQL, "hot_ratio"), f("%.3f"), func(v float64) bool { return v >= 0.95 }, false},
		lost("5. Rows lost while streaming into SQLite (spill queue full), worst round", "ingest", ingSQL),
		{"5. Streamer ingest into Postgres, COPY (rows/s)", "≥ 100,000", "ingest", metric(ingPG, "rows/s"), f("%.0f"), func(v float64) bool { return v >= 100_000 }, false},
		{"5. Hot path while streaming into Postgres: ops/s ÷ no sink", "≥ 0.95 (unaffected)", "ingest", metric(ingPG, "hot_ratio"), f("%.3f"), func(v float64) bool { return v >= 0.95 }, false},
		lost("5. Rows lost while streaming into Postgres (spill queue full), worst round", "ingest", ingPG),
		{"5. At 20,000 ops/s (open model), streaming into SQLite: ops done ÷ no sink", "≥ 0.95", "ingestrate", metric(rateSQL, "hot_ratio"), f("%.3f"), func(v float64) bool { return v >= 0.95 }, false},
		{"5. At 20,000 ops/s, schedule lag p99 without sink, next to the SQLite rounds (µs)", "—", "ingestrate", metric(rateSQL, "base_lag_p99_us"), f("%.0f"), nil, false},
		{"5. At 20,000 ops/s, schedule lag p99 streaming into SQLite (µs)", "< 500", "ingestrate", metric(rateSQL, "hot_lag_p99_us"), f("%.0f"), func(v float64) bool { return v < 500 }, false},
		{"5. At 20,000 ops/s, process CPU per op without sink, next to the SQLite rounds (µs)", "—", "ingestrate", metric(rateSQL, "base_cpu_us/op"), f("%.1f"), nil, false},
		{"5. At 20,000 ops/s, process CPU per op streaming into SQLite, store writes included (µs)", "—", "ingestrate", metric(rateSQL, "hot_cpu_us/op_incl_close"), f("%.1f"), nil, false},
		{"5. At 20,000 ops/s (open model), streaming into Postgres: ops done ÷ no sink", "≥ 0.95", "ingestrate", metric(ratePG, "hot_ratio"), f("%.3f"), func(v float64) bool { return v >= 0.95 }, false},
		{"5. At 20,000 ops/s, schedule lag p99 without sink, next to the Postgres rounds (µs)", "—", "ingestrate", metric(ratePG, "base_lag_p99_us"), f("%.0f"), nil, false},
		{"5. At 20,000 ops/s, schedule lag p99 streaming into Postgres (µs)", "< 500", "ingestrate", metric(ratePG, "hot_lag_p99_us"), f("%.0f"), func(v float64) bool { return v < 500 }, false},
		{"5. At 20,000 ops/s, process CPU per op without sink, next to the Postgres rounds (µs)", "—", "ingestrate", metric(ratePG, "base_cpu_us/op"), f("%.1f"), nil, false},
		{"5. At 20,000 ops/s, process CPU per op streaming into Postgres, store writes included (µs)", "—", "ingestrate", metric(ratePG, "hot_cpu_us/op_incl_close"), f("%.1f"), nil, false},
		lost("5. Rows lost at 20,000 ops/s into SQLite / Postgres, worst round", "ingestrate", rateSQL, ratePG),
		{"5. Store alone (no executor), SQLite (rows/s)", "—", "store", metric("BenchmarkStreamerSQLite/flush=1000", "rows/s"), f("%.0f"), nil, false},
		{"5. Store alone (no executor), Postgres COPY (rows/s)", "—", "store", metric("BenchmarkStreamerPostgres/flush=1000", "rows/s"), f("%.0f"), nil, false},
		{"6. Memory, 10M operations: peak RSS (MB)", "< 100", "memory", metric(mem, "rss_peak_MB"), f("%.1f"), func(v float64) bool { return v < 100 }, false},
		{"6. Memory, 10M operations: peak − first-quarter RSS (MB)", "flat (≤ 16)", "memory", growth, f("%.1f"), func(v float64) bool { return v <= 16 }, false},
		lost("6. Memory, 10M operations: rows the streamer dropped (spill queue full)", "memory", mem),
		{"7. Scale 50 × 100: oldest heartbeat seen (s)", "< StaleAfter (30 s)", "scale", metric(scale, "hb_max_age_s"), f("%.2f"), func(v float64) bool { return v < 30 }, false},
		{"7. Scale 50 × 100: workers merged into the parent result", "50, sums match", "scale", mergedWorkers, f("%.0f"), func(v float64) bool { return v == 50 }, false},
		{"7. Scale 50 × 100: ops/s", "—", "scale", metric(scale, "ops/s"), f("%.0f"), nil, false},
		{"7. Scale 50 × 100: CPU ms per second per 1,000 ops/s", "—", "scale", metric(scale, "cpu_ms_per_s_per_kops"), f("%.2f"), nil, false},
		{"7. Scale 50 × 100 on Postgres: oldest heartbeat seen (s)", "< StaleAfter (30 s)", "scalepg", metric(scalePG, "hb_max_age_s"), f("%.2f"), func(v float64) bool { return v < 30 }, false},
		{"7. Scale 50 × 100 on Postgres: children merged, sums match (1 = yes)", "1", "scalepg", metric(scalePG, "merged_ok"), f("%.0f"), func(v float64) bool { return v == 1 }, true},
		{"7. Scale 50 × 100 on Postgres: peak sessions", "—", "scalepg", metric(scalePG, "sessions"), f("%.0f"), nil, false},
		{"7. Scale 50 × 100 on Postgres: ops/s", "—", "scalepg", metric(scalePG, "ops/s"), f("%.0f"), nil, false},
		{"8. Run lease renewal on SQLite: p50 (µs)", "—", "lease", metric(lease+"/sqlite", "renew_p50_us"), f("%.0f"), nil, false},
		{"8. Run lease renewal on SQLite: p99 (µs)", "< 1/3 of the TTL", "lease", metric(lease+"/sqlite", "renew_p99_us"), f("%.0f"), func(v float64) bool { return v < 2e6/3 }, false},
		{"8. Run lease renewal on Postgres: p50 (µs)", "—", "lease", metric(lease+"/postgres", "renew_p50_us"), f("%.0f"), nil, false},
		{"8. Run lease renewal on Postgres: p99 (µs)", "< 1/3 of the TTL", "lease", metric(lease+"/postgres", "renew_p99_us"), f("%.0f"), func(v float64) bool { return v < 2e6/3 }, false},
		{"8. Take-over after the last renewal, TTL 2 s, SQLite (s)", "≤ TTL + TTL/10 + renewal", "lease", metric(lease+"/sqlite", "takeover_s"), f("%.2f"), func(v float64) bool { return v <= 2.3 }, false},
		{"8. Take-over after the last renewal, TTL 2 s, Postgres (s)", "≤ TTL + TTL/10 + renewal", "lease", metric(lease+"/postgres", "takeover_s"), f("%.2f"), func(v float64) bool { return v <= 2.3 }, false},
		{"9. Embedded store after three runs: bytes per stored row", "—", "storesize", metric(size, "B/row"), f("%.0f"), nil, false},
		{"9. Embedded store: the rows' raw size (bytes per row)", "—", "storesize", metric(size, "raw-B/row"), f("%.0f"), nil, false},
		{"9. Embedded store ÷ raw row size", "≤ 2", "storesize", metric(size, "store/raw"), f("%.2f"), func(v float64) bool { return v <= 2 }, false},
		{"9. Embedded store: bytes given back per row of a deleted run", "—", "storesize", metric(size, "reclaimed-B/row"), f("%.0f"), nil, false},
	}
}

// lost is a count of rows the streamer dropped (over every round of the
// benches given): met only when no round lost any.
func lost(name, step string, benches ...string) figure {
	values := func(s *Step) []float64 {
		var out []float64
		for _, b := range benches {
			out = append(out, s.Results.Get(b, "lost_rows")...)
		}
		return out
	}
	return figure{name: name, target: "0", step: step, values: values, format: f("%.0f"),
		pass: func(v float64) bool { return v == 0 }, worst: true}
}

// mergedWorkers is the number of workers merged when the child rows sum
// to the parent (merged_ok), else 0.
func mergedWorkers(s *Step) []float64 {
	n, ok := s.Results.Get("BenchmarkScale", "workers_merged"), s.Results.Get("BenchmarkScale", "merged_ok")
	var out []float64
	for i := range min(len(n), len(ok)) {
		out = append(out, n[i]*ok[i])
	}
	return out
}

// growth is peak − early RSS per round.
func growth(s *Step) []float64 {
	p, e := s.Results.Get("BenchmarkMemoryRSS", "rss_peak_MB"), s.Results.Get("BenchmarkMemoryRSS", "rss_early_MB")
	var out []float64
	for i := range min(len(p), len(e)) {
		out = append(out, p[i]-e[i])
	}
	return out
}

// Build reads every step in dir and evaluates the figures.
func Build(dir string) (*Report, error) {
	r := &Report{Dir: dir, Steps: map[string]*Step{}}
	for _, fg := range figures() {
		st, ok := r.Steps[fg.step]
		if !ok {
			var err error
			if st, err = ReadStep(dir, fg.step); err != nil {
				return nil, err
			}
			r.Steps[fg.step] = st
		}
		row := Row{Figure: fg.name, Target: fg.target, Step: fg.step}
		if st == nil {
			row.Measured, row.Verdict = "step did not run", Missing
			r.Rows = append(r.Rows, row)
			continue
		}
		row.Load = st.Load
		sum, ok := Summarize(fg.values(st))
		switch {
		case !ok && st.RC > 0:
			row.Measured, row.Verdict = fmt.Sprintf("%s (exit %d), see %s.txt", stepFail, st.RC, fg.step), Missing
		case !ok:
			row.Measured, row.Verdict = "no value in the output", Missing
		default:
			row.Measured = fmt.Sprintf("%s (%s–%s), n=%d", fg.format(sum.Median), fg.format(sum.Min), fg.format(sum.Max), sum.N)
			if sum.N == 1 {
				row.Measured = fmt.Sprintf("%s, n=1", fg.format(sum.Median))
			}
			row.Verdict = Info
			if fg.pass != nil {
				v := sum.Median
				if fg.worst {
					v = sum.Max
				}
				row.Verdict = map[bool]string{true: Met, false: Short}[fg.pass(v)]
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return r, nil
}

// ShortSteps returns the steps with at least one figure short, in table
// order.
func (r *Report) ShortSteps() []*Step {
	seen := map[string]bool{}
	var out []*Step
	for _, row := range r.Rows {
		if row.Verdict == Short && !seen[row.Step] && r.Steps[row.Step] != nil {
			seen[row.Step] = true
			out = append(out, r.Steps[row.Step])
		}
	}
	return out
}

// Table renders the rows as a markdown table.
func (r *Report) Table() string {
	var b strings.Builder
	b.WriteString("| Figure | Target | Measured: median (min–max), rounds | Verdict | Load avg (1/5/15 min) at the step |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row.Figure, row.Target, row.Measured, row.Verdict, row.Load)
	}
	return b.String()
}
