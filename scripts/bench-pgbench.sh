#!/usr/bin/env bash
# Side-by-side benchmark: fbctl against pgbench on the same throwaway
# PostgreSQL server, pgbench's two built-in workloads on a `pgbench -i`
# database: the TPC-B-like transaction (pgbench's default script) and
# select-only (`pgbench -S`), both `-M prepared` (fbctl prepares too), with
# scenarios/pgbench_tpcb.fb.hcl (scenarios pgbench_tpcb and
# pgbench_select_only, setup skipped: the data is pgbench's own). The same
# clients and duration, run alternately ROUNDS times per workload. Prints
# each round's TPS, the ratio fbctl/pgbench and each tool's client CPU time
# per operation (which decides the ratio when client and server share a
# few cores), then per workload the median TPS of each tool and the median
# ratio.
#
#   make bench-pgbench
#   ROUNDS=5 DURATION=60 CLIENTS=8 scripts/bench-pgbench.sh
#
# Environment:
#   ROUNDS    rounds per workload, each running both tools once (default 3)
#   DURATION  seconds per tool per round (default 30)
#   CLIENTS   connections of both tools (default 8)
#   PIN       split (default on 2 CPUs or more): the server runs on the upper
#             half of the CPUs and every client tool on the lower half
#             (taskset), so the server's CPUs limit both tools alike and no
#             tool's own CPU is taken from the server: the ratio says whether
#             the tool drives the server as hard as pgbench does; shared: all
#             of them on every CPU, where the tool that spends less CPU per
#             operation leaves more to the server (as measured before PIN)
#   JOBS      pgbench -j threads (default: the client CPUs under PIN=split,
#             2 under PIN=shared); fbctl's Go runtime likewise sizes itself
#             to the CPUs it may run on
#   SCALE     pgbench -i scale factor, 100000 accounts each (default 10)
#   WORKLOADS which ones, space-separated (default "tpcb select_only")
#   MIN_RATIO exit 1 when a median ratio is below this (default: never);
#             the message names the workloads below it
#   COUNT_SECONDS  seconds of the counting round per tool (default 5; 0: skip)
#   COUNT_OPS      operations of each in-process loop in it (default 150000:
#                  about as many seconds as the apply beside it)
#   FBCTL_BEFORE   another fbctl binary (e.g. built from an earlier commit) to
#                  count too, as fbctl-before: the before/after of a change
#
# Before the throughput rounds, a counting round runs each tool once under
# `perf stat` (system calls, context switches, task clock: the kernel's
# counters, which barely slow the process), or under `strace -c -f` and
# /usr/bin/time where perf cannot count system calls (then the CPU column
# is not comparable: strace slows every call): pgbench, a bare pgx loop
# (BenchmarkSelectPaths/bare-pgx in engine/pgtarget), the executor on
# pgx.Conn (/pgx, the path before the lean one), the executor on the
# default lean path (/lean), pgbench's own
# design written in Go (/mux: two threads each waiting once for four raw
# sockets, no executor; Linux) and `fbctl apply`, and prints system calls,
# context switches and CPU µs per operation and ops/s side by side. Counts
# per operation are steadier than throughput on a shared machine. The
# counting round never overlaps a throughput round.
#
# Needs the PostgreSQL server binaries and pgbench (Debian: postgresql,
# postgresql-contrib); as root the server runs as the postgres user.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-8}
PIN=${PIN:-split}
SCALE=${SCALE:-10}
MIN_RATIO=${MIN_RATIO:-}
COUNT_SECONDS=${COUNT_SECONDS:-5}
COUNT_OPS=${COUNT_OPS:-150000}
WORKLOADS=${WORKLOADS:-tpcb select_only}
GO=${GO:-go}

die() { echo "bench-pgbench: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

pgbench=$(command -v pgbench || true)
if [[ -z $pgbench ]]; then
	pgbench=$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -n $pgbench && -x $pgbench ]] || die "pgbench not found in PATH or /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-contrib)"

work=$(mktemp -d "${TMPDIR:-/tmp}/fbctl-bench-pgbench.XXXXXX")
server_pid=
cleanup() {
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cpu_range LO HI prints taskset's list for CPUs LO..HI.
cpu_range() { if (($1 == $2)); then echo "$1"; else echo "$1-$2"; fi; }
ncpu=$(nproc)
server_pin=() pin=()
case $PIN in
split)
	command -v taskset >/dev/null || die "PIN=split needs taskset (Debian: util-linux); PIN=shared runs without"
	if ((ncpu >= 2)); then
		client_cpus=$(cpu_range 0 $((ncpu / 2 - 1))) server_cpus=$(cpu_range $((ncpu / 2)) $((ncpu - 1)))
		server_pin=(taskset -c "$server_cpus") pin=(taskset -c "$client_cpus")
		JOBS=${JOBS:-$((ncpu / 2))}
		cpus="server on CPUs $server_cpus, client tools on CPUs $client_cpus (PIN=split)"
	else
		cpus="1 CPU, shared by the server and the client tools (PIN=split needs 2)"
	fi
	;;
shared) cpus="all $ncpu CPUs shared by the server and the client tools (PIN=shared)" ;;
*) die "PIN must be split or shared, not $PIN" ;;
esac
JOBS=${JOBS:-2}

echo "Building fbctl and the throwaway server ..."
"$GO" build -o "$work/fbctl" ./cmd/fbctl
"$GO" build -o "$work/pgserver" ./internal/pgtest/cmd/pgserver
if ((COUNT_SECONDS > 0)); then
	"$GO" test -c -o "$work/pgtarget.test" ./engine/pgtarget
fi

# The server prints its DSN on one line and stays up until killed.
"${server_pin[@]}" "$work/pgserver" -database bench >"$work/dsn" 2>"$work/pgserver.log" &
server_pid=$!
for _ in $(seq 1 180); do
	[[ -s $work/dsn ]] && break
	kill -0 "$server_pid" 2>/dev/null || die "the Postgres server did not start: $(cat "$work/pgserver.log")"
	sleep 0.5
done
[[ -s $work/dsn ]] || die "the Postgres server did not print its DSN within 90s"
dsn=$(head -n 1 "$work/dsn")
# postgres://USER@HOST:PORT/DB?sslmode=disable
hostport=${dsn#*@}; hostport=${hostport%%/*}
host=${hostport%:*}; port=${hostport##*:}
user=${dsn#postgres://}; user=${user%%@*}
db=${dsn##*/}; db=${db%%\?*}

pg_version=$("$pgbench" --version | awk '{print $3}')
echo "Server: $dsn (pgbench $pg_version)"
echo "Loading: pgbench -i -s $SCALE ..."
"$pgbench" -i -q -s "$SCALE" "$dsn" >"$work/init.log" 2>&1 || die "pgbench -i failed: $(tail -n 5 "$work/init.log")"

fbctl() { (cd "$work" && "$work/fbctl" "$@"); }
results="sqlite:$work/results.db"
scenario="$repo/scenarios/pgbench_tpcb.fb.hcl"

# cpu_per_op prints the CPU microseconds per operation from a bash `time`
# report ("USER SYS" seconds) and an operation count.
cpu_per_op() { awk -v n="$2" '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$1"; }

# run_pgbench WORKLOAD prints "TPS CPU_US_PER_OP".
run_pgbench() {
	local tps n flags=() TIMEFORMAT='%U %S'
	[[ $1 == select_only ]] && flags=(-S)
	{ time "${pin[@]}" "$pgbench" "${flags[@]}" -M prepared -n -c "$CLIENTS" -j "$JOBS" -T "$DURATION" "$dsn" >"$work/pgbench.out" 2>&1; } 2>"$work/pgbench.time" ||
		die "pgbench failed: $(tail -n 5 "$work/pgbench.out")"
	tps=$(awk '/^tps = / {print $3; exit}' "$work/pgbench.out")
	n=$(awk -F': *' '/actually processed/ {split($2, a, "/"); print a[1]; exit}' "$work/pgbench.out")
	[[ -n $tps && -n $n ]] || die "no tps in pgbench's output: $(tail -n 5 "$work/pgbench.out")"
	echo "$tps $(cpu_per_op "$work/pgbench.time" "$n")"
}

# run_fbctl WORKLOAD [SECONDS [WRAPPER...]] prints "TPS CPU_US_PER_OP" (the
# CPU of the whole apply) and leaves the operation count in $work/fbctl.ops.
run_fbctl() {
	local out qps n status name="pgbench_$1" TIMEFORMAT='%U %S' secs=${2:-$DURATION}
	shift $(($# > 1 ? 2 : 1))
	{ time (cd "$work" && "$@" "${pin[@]}" "${fbctl_bin:-$work/fbctl}" apply -auto-approve -results "$results" -scenario "$name" \
		-var pgbench_host="$host" -var pgbench_port="$port" -var pgbench_user="$user" -var pgbench_database="$db" \
		-var pgbench_sslmode=disable -var pgbench_init=false -var pgbench_sample_rate=0.01 \
		-var pgbench_scale="$SCALE" -var pgbench_clients="$CLIENTS" -var pgbench_duration="${secs}s" "$scenario" >"$work/fbctl.out" 2>"$work/fbctl.err"); } 2>"$work/fbctl.time" ||
		die "fbctl apply failed: $(tail -n 20 "$work/fbctl.err") $(tail -n 5 "$work/fbctl.out")"
	out=$(fbctl runs -json -limit 1 -scenario "$name" -results "$results") || die "fbctl runs failed"
	status=$(grep -o '"status": *"[A-Z_]*"' <<<"$out" | head -n 1 | sed 's/.*"\([A-Z_]*\)"$/\1/')
	[[ $status == COMPLETED ]] || die "the fbctl run ended $status: $out"
	qps=$(grep -o '"qps": *[0-9.e+-]*' <<<"$out" | head -n 1 | awk '{print $2}')
	n=$(grep -o '"operations": *[0-9]*' <<<"$out" | head -n 1 | awk '{print $2}')
	[[ -n $qps && -n $n ]] || die "no qps in fbctl runs -json: $out"
	echo "$n" >"$work/fbctl.ops"
	echo "$qps $(cpu_per_op "$work/fbctl.time" "$n")"
}

# The counting round. counter CMD... runs CMD under perf stat (or strace
# and time) into $work/count.*; count_report TOOL OPS prints its line.
if perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -o /dev/null true >/dev/null 2>&1; then
	count_with=perf
elif command -v strace >/dev/null && [[ -x /usr/bin/time ]]; then
	count_with=strace
else
	count_with=
fi
counter() {
	rm -f "$work"/count.*
	case $count_with in
	perf) perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -o "$work/count.perf" -- "$@" ;;
	strace) /usr/bin/time -o "$work/count.time" -f '%c %w %U %S' strace -qq -c -f -o "$work/count.strace" -- "$@" ;;
	esac
}
count_report() {
	local tool=$1 ops=$2 rate=${3:-} sys cs cpu
	case $count_with in
	perf)
		sys=$(awk -F, '$3 == "raw_syscalls:sys_enter" {print $1}' "$work/count.perf")
		cs=$(awk -F, '$3 == "context-switches" {print $1}' "$work/count.perf")
		cpu=$(awk -F, '$3 == "task-clock" {print $1 * 1000}' "$work/count.perf") # msec -> µs
		;;
	strace)
		sys=$(awk '$NF == "total" {print $(NF - 2)}' "$work/count.strace")
		read -r inv vol _ <"$work/count.time"
		cs=$((inv + vol)) cpu=
		;;
	esac
	awk -v t="$tool" -v n="$ops" -v s="$sys" -v c="$cs" -v u="$cpu" -v r="$rate" 'BEGIN {
		printf "COUNT %-22s %9d %12.2f %12.2f %12s %10s\n", t, n, s / n, c / n, (u == "" ? "n/a" : sprintf("%.1f", u / n)), (r == "" ? "n/a" : sprintf("%.0f", r)) }'
}
count_round() {
	local workload=$1 flags=() n
	echo
	echo "Counting round, $workload ($count_with; ${COUNT_SECONDS}s per tool, ${COUNT_OPS} operations per in-process loop, load $(cut -d' ' -f1-3 /proc/loadavg)):"
	printf 'COUNT %-22s %9s %12s %12s %12s %10s\n' TOOL OPS SYSCALLS/OP CTXSW/OP CPU_µs/OP OPS/S
	[[ $workload == select_only ]] && flags=(-S)
	counter "${pin[@]}" "$pgbench" "${flags[@]}" -M prepared -n -c "$CLIENTS" -j "$JOBS" -T "$COUNT_SECONDS" "$dsn" >"$work/pgbench.out" 2>&1 || die "pgbench failed: $(tail -n 5 "$work/pgbench.out")"
	n=$(awk -F': *' '/actually processed/ {split($2, a, "/"); print a[1]; exit}' "$work/pgbench.out")
	count_report pgbench "$n" "$(awk '/^tps = / {print $3; exit}' "$work/pgbench.out")"
	if [[ $workload == select_only ]]; then
		local path
		for path in bare-pgx pgx lean mux; do
			counter "${pin[@]}" env FBCTL_BENCH_DSN="$dsn" "$work/pgtarget.test" -test.run '^$' -test.bench "^BenchmarkSelectPaths/^$path\$" -test.benchtime "${COUNT_OPS}x" >"$work/paths.out" 2>&1 ||
				die "BenchmarkSelectPaths/$path failed: $(tail -n 5 "$work/paths.out")"
			if ! grep -q "^BenchmarkSelectPaths/$path" "$work/paths.out"; then
				[[ $path == mux ]] && continue # Linux only
				die "BenchmarkSelectPaths/$path did not run: $(tail -n 5 "$work/paths.out")"
			fi
			count_report "go-$path" "$COUNT_OPS" "$(awk '/^BenchmarkSelectPaths/ {for (i = 2; i <= NF; i++) if ($i == "ops/s") print $(i - 1)}' "$work/paths.out")"
		done
	fi
	fb=$(run_fbctl "$workload" "$COUNT_SECONDS" counter)
	count_report "fbctl-apply" "$(cat "$work/fbctl.ops")" "${fb%% *}"
	if [[ -n ${FBCTL_BEFORE:-} ]]; then
		fb=$(fbctl_bin=$FBCTL_BEFORE run_fbctl "$workload" "$COUNT_SECONDS" counter)
		count_report "fbctl-before" "$(cat "$work/fbctl.ops")" "${fb%% *}"
	fi
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "CPUs: $cpus; pgbench -j $JOBS"
echo "$CLIENTS clients, ${DURATION}s per tool, $ROUNDS rounds per workload, scale $SCALE ($((SCALE * 100000)) accounts), both -M prepared"
summary=()
low=
for workload in $WORKLOADS; do
	echo
	if ((COUNT_SECONDS > 0)) && [[ -n $count_with ]]; then
		count_round "$workload"
	elif ((COUNT_SECONDS > 0)); then
		echo "Counting round skipped: neither perf stat nor strace and /usr/bin/time can count system calls here"
	fi
	echo
	echo "Workload: $workload"
	printf '%-6s %12s %12s %8s   %s\n' ROUND PGBENCH_TPS FBCTL_TPS RATIO "CPU µs/op pgbench, fbctl"
	ratios=() pgs=() fbs=()
	for round in $(seq 1 "$ROUNDS"); do
		# Alternate which tool goes first, so neither always runs on a
		# warmer cache.
		if ((round % 2 == 1)); then
			pg=$(run_pgbench "$workload"); fb=$(run_fbctl "$workload")
		else
			fb=$(run_fbctl "$workload"); pg=$(run_pgbench "$workload")
		fi
		read -r pg_tps pg_cpu <<<"$pg"
		read -r fb_tps fb_cpu <<<"$fb"
		ratio=$(awk -v a="$fb_tps" -v b="$pg_tps" 'BEGIN {printf "%.3f", a / b}')
		ratios+=("$ratio") pgs+=("$pg_tps") fbs+=("$fb_tps")
		printf '%-6s %12.1f %12.1f %8s   %s, %s\n' "$round" "$pg_tps" "$fb_tps" "$ratio" "$pg_cpu" "$fb_cpu"
	done
	m=$(printf '%s\n' "${ratios[@]}" | median)
	summary+=("$(printf '%-12s %12.1f %12.1f %8s   (ratios %s)' "$workload" "$(printf '%s\n' "${pgs[@]}" | median)" "$(printf '%s\n' "${fbs[@]}" | median)" "$m" "$(IFS=' '; echo "${ratios[*]}")")")
	if [[ -n $MIN_RATIO ]] && awk -v m="$m" -v t="$MIN_RATIO" 'BEGIN {exit !(m < t)}'; then
		low+=" $workload=$m"
	fi
done
echo
echo "Medians, side by side (target ratio >= 0.9 at 8 clients):"
printf '%-12s %12s %12s %8s\n' WORKLOAD PGBENCH_TPS FBCTL_TPS RATIO
printf '%s\n' "${summary[@]}"
[[ -z $low ]] || die "median ratio fbctl/pgbench below MIN_RATIO=$MIN_RATIO:$low"
