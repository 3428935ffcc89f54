#!/bin/bash
# tools/bench-start.sh: what "nothing lost at start" costs -- the time
# memleakbpf takes to be ready, and the time a launched command is held
# while memleakbpf looks at a file it maps for the first time.  A benchmark,
# not a test: it exits 0 whatever it finds.
#
# Rounds alternate between ./memleakbpf and, side by side, BENCH_BASELINE
# (another build, e.g. of an older commit) when it is set.  For each
# --unwind mode of BENCH_UNWIND ("auto fp") and each binary, median ms of:
#   -- /bin/true       wall time of `memleakbpf -q -- /bin/true`
#   -- sh -c           wall time of `memleakbpf -v -- sh -c 'env true'`
#   hold               the average hold of that run, as memleakbpf says
#                      (-v; two: env and true are new files)
#   env true, new      inside `memleakbpf -- bash -c ...`: `env true` the
#                      first time (env and true are new files: two holds)
#   env true, again    the same right after (nothing new: no hold)
#   ready, all         from start to "tracing all processes" (system-wide)
#   ready, -p          from start to "tracing pid" (-p)
# A hold costs about (new - again) / 2.  "ready" is measured with --unwind fp
# only: by tables, system-wide, the start is the tables of every program
# running, and that is another cost.
#
# Environment: BENCH_ROUNDS (5), BENCH_BASELINE, BENCH_UNWIND ("auto fp").
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-5}
UNWIND=${BENCH_UNWIND:-auto fp}
BINS=(./memleakbpf)
if [ -n "${BENCH_BASELINE:-}" ]; then
	BINS+=("$BENCH_BASELINE")
fi

make -s memleakbpf

TMP=$(mktemp -d /tmp/memleakbpf-bench-start.XXXXXX)
SLEEPER=
cleanup() {
	[ -n "$SLEEPER" ] && kill "$SLEEPER" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wall ms of: memleakbpf -v --unwind MODE -- CMD... (stderr in $TMP/wall.err)
wall() {
	local bin=$1 mode=$2 t0 t1
	shift 2
	t0=$EPOCHREALTIME
	"$bin" -v --unwind "$mode" -- "$@" >/dev/null 2>"$TMP/wall.err"
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

# "new again": ms of `env true` twice in one shell under memleakbpf.
inner() {
	local bin=$1 mode=$2
	"$bin" -q --unwind "$mode" -- bash -c \
		'a=$EPOCHREALTIME; env true; b=$EPOCHREALTIME; env true; c=$EPOCHREALTIME
		 echo "$a $b $c" >"$0"' "$TMP/inner" >/dev/null
	awk '{ printf "%.2f %.2f\n", ($2 - $1) * 1000, ($3 - $2) * 1000 }' "$TMP/inner"
}

# ms from start until stderr says "tracing"; then SIGINT and wait.
ready() {
	local bin=$1 mode=$2 t0 pid i
	shift 2
	: >"$TMP/err"
	t0=$EPOCHREALTIME
	"$bin" --unwind "$mode" --interval 1h "$@" >/dev/null 2>"$TMP/err" &
	pid=$!
	for ((i = 0; i < 6000; i++)); do
		grep -q "tracing " "$TMP/err" && break
		sleep 0.005
	done
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
	kill -INT "$pid"
	wait "$pid" || true
}

median() {
	[ -s "$1" ] || { echo -; return; }
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

sleep 1000 &
SLEEPER=$!

for mode in $UNWIND; do
	for ((r = 0; r < ROUNDS; r++)); do
		for b in "${!BINS[@]}"; do
			bin=${BINS[$b]}
			wall "$bin" "$mode" /bin/true >>"$TMP/true.$mode.$b"; echo >>"$TMP/true.$mode.$b"
			wall "$bin" "$mode" sh -c 'env true' >>"$TMP/sh.$mode.$b"; echo >>"$TMP/sh.$mode.$b"
			sed -n 's/.*held [0-9]* times.*: \([0-9.]*\) ms on average.*/\1/p' "$TMP/wall.err" \
				>>"$TMP/hold.$mode.$b"
			read -r new again < <(inner "$bin" "$mode")
			echo "$new" >>"$TMP/new.$mode.$b"
			echo "$again" >>"$TMP/again.$mode.$b"
			[ "$mode" = fp ] || continue
			ready "$bin" "$mode" >>"$TMP/all.$mode.$b"; echo >>"$TMP/all.$mode.$b"
			ready "$bin" "$mode" -p "$SLEEPER" >>"$TMP/pid.$mode.$b"; echo >>"$TMP/pid.$mode.$b"
		done
	done
done

printf "median ms of %d rounds\n" "$ROUNDS"
printf "| %-6s | %-28s | %12s | %12s | %6s | %15s | %17s | %10s | %10s |\n" \
	unwind binary "-- /bin/true" "-- sh -c" hold "env true, new" "env true, again" "ready, all" "ready, -p"
for mode in $UNWIND; do
	for b in "${!BINS[@]}"; do
		printf "| %-6s | %-28s | %12s | %12s | %6s | %15s | %17s | %10s | %10s |\n" "$mode" "${BINS[$b]}" \
			"$(median "$TMP/true.$mode.$b")" "$(median "$TMP/sh.$mode.$b")" "$(median "$TMP/hold.$mode.$b")" \
			"$(median "$TMP/new.$mode.$b")" "$(median "$TMP/again.$mode.$b")" \
			"$(median "$TMP/all.$mode.$b")" "$(median "$TMP/pid.$mode.$b")"
	done
done
