#!/bin/bash
# tools/bench-unwind.sh: what unwinding by CFI tables costs.  A benchmark,
# not a test: it prints figures and exits 0.
#   1. BPF time per allocation event (the malloc entry program, which walks
#      the stack) at about 10, 30 and 60 frames, tables against frame
#      pointers, from kernel.bpf_stats_enabled (restored afterwards): every
#      stack new (churn -a: no stack is the one before it) and the same
#      stack again (a walk replayed from the last one);
#   2. table build time and size for the files users trace most;
#   3. the table memory of a node process, and of the whole machine
#      system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.output/bench
CHURN=$PWD/$OUT/churn
make -s memleakbpf "$OUT/churn" "$OUT/cfi_tables"

TMP=$(mktemp -d /tmp/memleakbpf-bench-unwind.XXXXXX)
STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE" || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ns per run of alloc_enter for churn at depth $2 under --unwind $1; more
# arguments go to churn.
walk_cost() {
	local mode=$1 depth=$2 fig=$TMP/fig pid i id
	shift 2
	rm -f "$fig"
	./memleakbpf -q --unwind "$mode" --interval 1h -- "$CHURN" -n 50000 -t 1 -d "$depth" \
		-o "$fig" -s 2 "$@" >/dev/null 2>"$TMP/log" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ -s "$fig" ] && break
		sleep 0.1
	done
	for id in $(grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
		bpftool prog show id "$id" 2>/dev/null | awk '
			/ name alloc_enter / { hit = 1 }
			hit && /run_time_ns/ { for (i = 1; i < NF; i++) {
				if ($i == "run_time_ns") ns = $(i + 1)
				if ($i == "run_cnt") cnt = $(i + 1) } }
			END { if (hit && cnt > 0) printf "%.0f", ns / cnt }'
	done
	wait "$pid" || true
}

echo "1. BPF ns per allocation event (malloc entry program, stack walk included), 50,000 pairs"
sysctl -q -w kernel.bpf_stats_enabled=1
printf '%-8s %14s %14s %10s %14s %14s\n' frames "new: tables" "new: fp" tables/fp "again: tables" "again: fp"
# churn's frames: malloc, pair_at x (depth + 1), worker_run, main and
# three of libc and _start (the frame-pointer walk stops at main's caller)
for depth in 3 23 53; do
	dw=$(walk_cost auto "$depth" -a)
	fp=$(walk_cost fp "$depth" -a)
	dw_again=$(walk_cost auto "$depth")
	fp_again=$(walk_cost fp "$depth")
	printf '%-8s %14s %14s %9sx %14s %14s\n' "$((depth + 7))" "$dw" "$fp" \
		"$(awk -v a="$dw" -v b="$fp" 'BEGIN { printf "%.1f", a / b }')" "$dw_again" "$fp_again"
done
sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"

echo
echo "2. table build (best of 3) and size in BPF (12 bytes a row, index not counted)"
"$OUT/cfi_tables" /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libstdc++.so.6 \
	/usr/bin/python3.11 /usr/bin/redis-server /usr/bin/node

echo
echo "3. table memory in use (rows and index), from the report's \"unwind\" object"
tables() {
	awk 'match($0, /"tables":\{[^}]*\}/) { t = substr($0, RSTART, RLENGTH) } END { print t }' "$1"
}
if [ -x /usr/bin/node ]; then
	./memleakbpf --json -d 3 -- /usr/bin/node -e 'setTimeout(() => {}, 5000)' >"$TMP/node.json" 2>/dev/null || true
	echo "node process:  $(tables "$TMP/node.json")"
fi
./memleakbpf --json -d 5 >"$TMP/system.json" 2>/dev/null || true
echo "system-wide:   $(tables "$TMP/system.json")"
