#!/usr/bin/env bash
# The performance suite (issue 8): every figure of docs/benchmarks.md
# measured in one run, side by side, then the markdown table printed,
# written to OUT/bench-results.md and into docs/benchmarks.md.
#
#   make bench
#   ROUNDS=5 scripts/bench.sh
#
# Steps (each a `go test -bench` of one package, its CPU profile kept in
# OUT next to the test binary, so `go tool pprof OUT/NAME.test
# OUT/NAME.prof` explains any figure short of its target):
#   harness  closed harness vs bare loop on the no-op driver, ROUNDS × 9 rounds
#   hotpath  ns/op and allocs/op of both, ROUNDS × 1 s
#   pacer    open model at 10,000 ops/s for PACER_SECONDS (10), ROUNDS times;
#            then at 100 and 1,000 ops/s for the pacer's CPU use
#   co       coordinated omission: 1 s stall, open vs closed model, ROUNDS times
#   pgbench  scripts/bench-pgbench.sh (PGBENCH_ROUNDS 3 × PGBENCH_DURATION 10 s, 8 clients, after
#            a counting round: system calls, context switches, CPU per operation), the
#            server and the client tools on separate CPUs (PIN=split)
#   pgbenchshared  the same rounds with all of them on every CPU (PIN=shared), no counting round
#   ingest   streamer into SQLite and Postgres with the hot path running, ROUNDS times
#   ingestrate  the same at INGEST_RATE (20,000) ops/s, open model, INGEST_SECONDS (5) per side, ROUNDS times
#   store    the same stores fed by a plain loop (no executor), ROUNDS × 200,000 rows
#   memory   RSS over MEMORY_OPS (10,000,000) operations, once
#   scale    50 in-process workers × 100 connections for SCALE_SECONDS (30), once
#   scalepg  the same against a real Postgres (think time 100 ms, results on it too), once
#   lease    run-lease renewal latency and take-over time on SQLite and Postgres, once
#
# Environment: ROUNDS (3), PACER_SECONDS, INGEST_RATE, INGEST_SECONDS, PGBENCH_ROUNDS, PGBENCH_DURATION,
# MEMORY_OPS, SCALE_SECONDS, OUT (.flakebench/bench), DOC
# (docs/benchmarks.md; empty: leave it alone), STEPS (all; a space
# separated subset to rerun some). Postgres is started by the tests
# themselves (internal/pgtest) from the machine's server binaries.
set -uo pipefail

ROUNDS=${ROUNDS:-3}
PACER_SECONDS=${PACER_SECONDS:-10}
PGBENCH_ROUNDS=${PGBENCH_ROUNDS:-3}
PGBENCH_DURATION=${PGBENCH_DURATION:-10}
MEMORY_OPS=${MEMORY_OPS:-10000000}
SCALE_SECONDS=${SCALE_SECONDS:-30}
INGEST_RATE=${INGEST_RATE:-20000}
INGEST_SECONDS=${INGEST_SECONDS:-5}
STEPS=${STEPS:-harness hotpath pacer co pgbench pgbenchshared ingest ingestrate store memory scale scalepg lease storesize}
GO=${GO:-go}

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
OUT=${OUT:-.flakebench/bench}
DOC=${DOC-docs/benchmarks.md}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

export SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true SF_DISABLE_MINICORE=true

wanted() { [[ " $STEPS " == *" $1 "* ]]; }

date -u '+%Y-%m-%d %H:%M' >"$OUT/start.date"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/start.load"
nproc >"$OUT/nproc"
git rev-parse --short HEAD >"$OUT/commit" 2>/dev/null || echo unknown >"$OUT/commit"
"$GO" version >"$OUT/goversion"
echo "Performance suite: $(cat "$OUT/nproc") CPUs, load average $(cat "$OUT/start.load"), output in $OUT"

failed=0
# step NAME [ENV=VALUE ...] -- GO-TEST-ARGS...: one `go test` run with its
# CPU profile and test binary kept; output, command, load average at the
# start and exit status go to OUT/NAME.*.
step() {
	local name=$1
	shift
	local envs=()
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	wanted "$name" || return 0
	local args=(test -run '^$' -o "$OUT/$name.test" -cpuprofile "$OUT/$name.prof" "$@")
	cut -d' ' -f1-3 /proc/loadavg >"$OUT/$name.load"
	# The command as it can be pasted into a shell (OUT spelled as such).
	{ printf '%s ' "${envs[@]}" && printf '%q ' "$GO" "${args[@]}"; } | sed -e "s|$OUT|\$OUT|g" -e 's/ $//' >"$OUT/$name.cmd"
	echo "$OUT/$name.test" >"$OUT/$name.bin"
	echo "== $name (load $(cat "$OUT/$name.load")): $(cat "$OUT/$name.cmd")"
	local t0=$SECONDS rc=0
	env "${envs[@]}" "$GO" "${args[@]}" >"$OUT/$name.txt" 2>&1 || rc=$?
	echo "$rc" >"$OUT/$name.rc"
	grep -E '^(Benchmark|--- FAIL|FAIL|panic)' "$OUT/$name.txt"
	echo "   $((SECONDS - t0)) s, exit $rc"
	if ((rc != 0)); then failed=1; fi
}

step harness -- -bench '^BenchmarkHarnessRatio$' -benchtime 1x -count "$ROUNDS" ./engine/executor
step hotpath -- -bench '^Benchmark(ClosedHarness|BareLoop)$' -benchtime 1s -benchmem -count "$ROUNDS" ./engine/executor
step pacer FBCTL_BENCH_PACER_SECONDS="$PACER_SECONDS" -- -bench '^BenchmarkPacer(CPU)?$' -benchtime 1x -count "$ROUNDS" ./engine/executor
step co -- -bench '^BenchmarkCoordinatedOmission$' -benchtime 1x -count "$ROUNDS" ./engine/executor

# pgbench_step NAME PIN [ENV...]: scripts/bench-pgbench.sh as step NAME.
pgbench_step() {
	local name=$1 pin=$2 cmd t0 rc
	shift 2
	wanted "$name" || return 0
	cut -d' ' -f1-3 /proc/loadavg >"$OUT/$name.load"
	rm -f "$OUT/$name.prof" "$OUT/$name.bin"
	cmd="PIN=$pin $* ROUNDS=$PGBENCH_ROUNDS DURATION=$PGBENCH_DURATION CLIENTS=8 scripts/bench-pgbench.sh"
	cmd=${cmd//  / }
	echo "$cmd" >"$OUT/$name.cmd"
	echo "== $name (load $(cat "$OUT/$name.load")): $cmd"
	t0=$SECONDS rc=0
	if [[ -x scripts/bench-pgbench.sh ]]; then
		env PIN="$pin" "$@" ROUNDS="$PGBENCH_ROUNDS" DURATION="$PGBENCH_DURATION" CLIENTS=8 GO="$GO" scripts/bench-pgbench.sh >"$OUT/$name.txt" 2>&1 || rc=$?
	else
		echo "scripts/bench-pgbench.sh is missing or not executable" >"$OUT/$name.txt"
		rc=127
	fi
	echo "$rc" >"$OUT/$name.rc"
	tail -n 6 "$OUT/$name.txt"
	echo "   $((SECONDS - t0)) s, exit $rc"
	if ((rc != 0)); then failed=1; fi
}
# The comparison with the server and the clients on separate CPUs (the
# gate), then on shared CPUs (client CPU competing with the server's).
pgbench_step pgbench split
pgbench_step pgbenchshared shared COUNT_SECONDS=0

step ingest -- -bench '^BenchmarkIngestHotPath$' -benchtime 1x -count "$ROUNDS" ./engine/stream
step ingestrate FBCTL_BENCH_INGEST_RATE="$INGEST_RATE" FBCTL_BENCH_INGEST_SECONDS="$INGEST_SECONDS" -- -bench '^BenchmarkIngestOpenRate$' -benchtime 1x -count "$ROUNDS" ./engine/stream
step store -- -bench '^BenchmarkStreamer(SQLite|Postgres)$/^flush=1000$' -benchtime 200000x -count "$ROUNDS" ./engine/stream
step memory FBCTL_BENCH_MEMORY_OPS="$MEMORY_OPS" -- -bench '^BenchmarkMemoryRSS$' -benchtime 1x ./engine/stream
step scale FBCTL_BENCH_SCALE_SECONDS="$SCALE_SECONDS" -- -bench '^BenchmarkScale$' -benchtime 1x -v ./engine/run
step scalepg FBCTL_BENCH_SCALE_SECONDS="$SCALE_SECONDS" -- -bench '^BenchmarkScalePostgres$' -benchtime 1x -v ./engine/run
step lease -- -bench '^BenchmarkLeaseFailover$' -benchtime 1x -v ./engine/run
step storesize -- -bench '^BenchmarkStoreSize$' -benchtime 1x -count "$ROUNDS" ./engine/run

echo
docarg=()
[[ -n $DOC ]] && docarg=(-doc "$DOC")
"$GO" run ./internal/benchreport/cmd/benchreport -dir "$OUT" "${docarg[@]}" || failed=1
echo
echo "Report: $OUT/bench-results.md${DOC:+, and $DOC}"
exit "$failed"
