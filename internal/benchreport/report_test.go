package benchreport

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const benchOut = `goos: linux
pkg: github.com/flakebench/fbctl/engine/executor
BenchmarkBareLoop-2        	  949304	      1369 ns/op	    730499 ops/s	     528 B/op	       9 allocs/op
BenchmarkClosedHarness-2   	 1000000	      1622 ns/op	    616584 ops/s	     528 B/op	      10 allocs/op
BenchmarkClosedHarness-2   	 1000000	      1389 ns/op	    719881 ops/s	     528 B/op	      12 allocs/op
BenchmarkBareLoop-2        	  949304	      1400 ns/op	    730499 ops/s	     528 B/op	       9 allocs/op
BenchmarkScale
    scale_bench_test.go:220: BenchmarkScale 5 workers
PASS
`

func TestParseBenchGroupsRoundsByNameAndUnit(t *testing.T) {
	r, err := ParseBench(strings.NewReader(benchOut))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Get("BenchmarkClosedHarness", "ns/op"); len(got) != 2 || got[0] != 1622 || got[1] != 1389 {
		t.Fatalf("ns/op %v", got)
	}
	if len(r) != 2 {
		t.Fatalf("benchmarks %v", r)
	}
	s, ok := Summarize([]float64{3, 1, 2, 10})
	if !ok || s.Median != 2.5 || s.Min != 1 || s.Max != 10 || s.N != 4 {
		t.Fatalf("summary %+v", s)
	}
	if _, ok := Summarize(nil); ok {
		t.Fatal("summary of nothing")
	}
}

// Each workload's rounds are read apart: the select-only figures never
// take a TPC-B round.
func TestPgbenchRoundsAreReadPerWorkload(t *testing.T) {
	out := "Workload: tpcb\n" +
		"ROUND   PGBENCH_TPS    FBCTL_TPS    RATIO   CPU µs/op pgbench, fbctl\n" +
		"1            5506.6       5017.0    0.911   88.0, 105.6\n" +
		"2            5882.1       4984.0    0.847   89.7, 117.0\n" +
		"\nWorkload: select_only\n" +
		"ROUND   PGBENCH_TPS    FBCTL_TPS    RATIO   CPU µs/op pgbench, fbctl\n" +
		"1           40271.3      29358.1    0.729   11.7, 18.8\n" +
		"\nMedians, side by side (target ratio >= 0.9 at 8 clients):\n" +
		"WORKLOAD      PGBENCH_TPS    FBCTL_TPS    RATIO\n" +
		"tpcb               5882.1       5017.0    0.847   (ratios 0.911 0.847)\n"
	rounds, err := PgbenchRounds(strings.NewReader(out))
	if err != nil || len(rounds["tpcb"]) != 2 || len(rounds["select_only"]) != 1 {
		t.Fatalf("rounds %+v, %v", rounds, err)
	}
	if got := rounds["tpcb"][1]; got != (Round{PgbenchTPS: 5882.1, FbctlTPS: 4984, Ratio: 0.847, PgbenchCPU: 89.7, FbctlCPU: 117}) {
		t.Fatalf("tpcb round 2: %+v", got)
	}
	step := &Step{Output: []byte(out)}
	if v := pgbenchRounds("select_only", ratioOf)(step); len(v) != 1 || v[0] != 0.729 {
		t.Fatalf("select-only ratios %v", v)
	}
	if v := pgbenchRounds("select_only", cpuRatioOf)(step); len(v) != 1 || math.Abs(v[0]-18.8/11.7) > 1e-9 {
		t.Fatalf("select-only CPU ratio %v", v)
	}
}

// The verdicts follow the medians of what the steps printed; a step that
// did not run or failed is reported, never passed.
func TestBuildVerdicts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hotpath.txt", benchOut)
	write("hotpath.load", "2.50 3.00 4.00 1/2 3")
	write("hotpath.rc", "0")
	write("pacer.txt", "BenchmarkPacer-2  1  5 ns/op  10050 achieved_ops/s  12 lag_p50_us  2000 lag_p99_us  30 cpu_%\n"+
		"BenchmarkPacerCPU/rate=100-2  1  5 ns/op  100 achieved_ops/s  0.8 cpu_%\n"+
		"BenchmarkPacer-2  1  5 ns/op  9000 achieved_ops/s  25 lag_p50_us  300 lag_p99_us  20 cpu_%\n"+
		"BenchmarkPacer-2  1  5 ns/op  10010 achieved_ops/s  15 lag_p50_us  450 lag_p99_us  25 cpu_%\n")
	write("ingestrate.txt", "BenchmarkIngestOpenRate/SQLite-2  1  5 ns/op  0.999 hot_ratio  0 lost_rows\n"+
		"BenchmarkIngestOpenRate/Postgres-2  1  5 ns/op  1 hot_ratio  3 lost_rows\n")
	write("ingest.txt", "BenchmarkIngestHotPath/SQLite-2  1  5 ns/op  0 lost_rows\n"+
		"BenchmarkIngestHotPath/SQLite-2  1  5 ns/op  2707 lost_rows\n"+
		"BenchmarkIngestHotPath/SQLite-2  1  5 ns/op  0 lost_rows\n")
	write("scale.txt", "--- FAIL: BenchmarkScale\n")
	write("scale.rc", "1")
	r, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, row := range r.Rows {
		rows[row.Figure] = row
	}
	check := func(prefix, verdict, measured string) {
		t.Helper()
		for name, row := range rows {
			if strings.HasPrefix(name, prefix) {
				if row.Verdict != verdict || !strings.Contains(row.Measured, measured) {
					t.Fatalf("%s: %+v, want %s %q", name, row, verdict, measured)
				}
				return
			}
		}
		t.Fatalf("no row %q", prefix)
	}
	check("1. Allocs/op the harness adds", Short, "2 (1–3), n=2")
	check("1. Harness overhead: ops/s", Missing, "did not run")
	check("2. Pacer achieved rate", Met, "10010 (9000–10050), n=3")
	check("2. Pacer schedule lag p50", Met, "15")
	check("2. Pacer schedule lag p99", Met, "450")
	check("2. Pacer process CPU at 10,000", Info, "25.0 (20.0–30.0), n=3")
	check("2. Pacer process CPU at 100 ops/s", Met, "0.8, n=1")
	check("2. Pacer process CPU at 1,000 ops/s", Missing, "no value")
	check("5. At 20,000 ops/s (open model), streaming into SQLite", Met, "0.999")
	check("5. Rows lost at 20,000 ops/s", Short, "(0–3), n=2") // rounds of both stores; the verdict takes the worst
	check("7. Scale 50 × 100: oldest heartbeat", Missing, "exit 1")
	check("5. Rows lost while streaming into SQLite", Short, "0 (0–2707), n=3") // one bad round is a shortfall
	if rows["1. Closed harness ns/op (no-op target, 4 conns)"].Load != "2.50 3.00 4.00" {
		t.Fatalf("load %+v", rows)
	}
	if short := r.ShortSteps(); len(short) != 3 || short[0].Name != "hotpath" || short[1].Name != "ingest" || short[2].Name != "ingestrate" {
		t.Fatalf("short steps %v", short)
	}
	if tbl := r.Table(); !strings.Contains(tbl, "| 2. Pacer schedule lag p99 (µs) | < 500 | 450 (300–2000), n=3 | met |") {
		t.Fatalf("table:\n%s", tbl)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Title\n\nprose\n<!-- B -->\nold\n<!-- E -->\nafter\n"
	if got := ReplaceSection(doc, "<!-- B -->", "<!-- E -->", "new\n"); got != "# Title\n\nprose\n<!-- B -->\nnew\n<!-- E -->\nafter\n" {
		t.Fatalf("got %q", got)
	}
	if got := ReplaceSection("# T\n", "<!-- B -->", "<!-- E -->", "new"); got != "# T\n\n<!-- B -->\nnew\n<!-- E -->\n" {
		t.Fatalf("got %q", got)
	}
}

func TestPgbenchCountsReadsTheCountingRound(t *testing.T) {
	out := "Counting round, tpcb (perf; 3s per tool, load 1 1 1):\n" +
		"COUNT TOOL                         OPS  SYSCALLS/OP     CTXSW/OP   CPU_µs/OP\n" +
		"COUNT pgbench                    14399        23.05         2.97         69.6\n" +
		"COUNT fbctl-apply                11658        17.81        11.00        121.9\n" +
		"Counting round, select_only (strace; 3s per tool):\n" +
		"COUNT pgbench                   135067         2.89         0.48          n/a\n" +
		"COUNT go-lean                    20000         2.29         1.26         16.1\n" +
		"Counting round, select_only (perf; 5s per tool):\n" +
		"COUNT go-bare-pgx                30000         2.82         0.77         24.0      40000\n" +
		"COUNT fbctl-apply               164467         2.23         1.22         23.4      32000\n" +
		"COUNT go-mux                     30000         2.80         0.75         16.5        n/a\n"
	c := PgbenchCounts(strings.NewReader(out))
	if got := c["tpcb"]["fbctl-apply"]; got != (Count{Syscalls: 17.81, Switches: 11, CPU: 121.9, Rate: -1}) {
		t.Fatalf("tpcb fbctl-apply: %+v", got)
	}
	if got := c["select_only"]["pgbench"]; got != (Count{Syscalls: 2.89, Switches: 0.48, CPU: -1, Rate: -1}) {
		t.Fatalf("select_only pgbench: %+v", got)
	}
	if got := c["select_only"]["go-mux"]; got != (Count{Syscalls: 2.8, Switches: 0.75, CPU: 16.5, Rate: -1}) {
		t.Fatalf("select_only go-mux: %+v", got)
	}
	if _, ok := c["select_only"]["TOOL"]; ok || len(c["select_only"]) != 5 {
		t.Fatalf("select_only tools: %v", c["select_only"])
	}
	step := &Step{Output: []byte(out)}
	if v := countRatio("select_only", "fbctl-apply", "go-bare-pgx")(step); len(v) != 1 || v[0] != 0.8 {
		t.Fatalf("fbctl ÷ bare pgx %v", v)
	}
	if v := countRatio("select_only", "go-mux", "go-bare-pgx")(step); v != nil {
		t.Fatalf("a tool without a rate has no ratio, got %v", v)
	}
	if v := pgbenchCount("tpcb", "pgbench", syscallsOf)(&Step{Output: []byte(out)}); len(v) != 1 || v[0] != 23.05 {
		t.Fatalf("figure value %v", v)
	}
}
