#!/bin/bash
# tools/bench.sh: what memleakbpf costs a program that allocates, against
# the cost of the probes alone.  A benchmark, not a test: it exits 0 whether
# or not the target is met.
#
# For 1 and 2 threads, rounds alternate three ways of running the same
# malloc(64)/free churn (tools/bench/churn.c, linked against a private copy
# of libc so that no other tracer on the machine probes it):
#   none        nothing attached
#   floor       empty BPF programs on memleakbpf's probe points
#               (tools/bench/floor.c: malloc entry and return, free entry)
#   memleakbpf  ./memleakbpf -q --interval 1h -- churn
#   sampled     the same with --sample-bytes BENCH_SAMPLE (uprobe sessions)
#   sampled-rp  ... with entry and return probes (no sessions), the fallback
# and the table gives the median ns per malloc/free pair of each.  When
# memleakbpf is above TARGET x the floor, one more run of each, with
# kernel.bpf_stats_enabled on (restored afterwards), gives ns per run of
# every BPF program that ran.
#
# Environment: BENCH_ROUNDS (5), BENCH_PAIRS per thread under probes
# (200000), BENCH_NONE_PAIRS without them (5000000), BENCH_DEPTH frames
# below the loop (4), BENCH_THREADS ("1 2"), BENCH_PROFILE (auto: only
# when the target is missed; 1 always, 0 never), BENCH_UNWIND (auto: how
# memleakbpf walks stacks, --unwind), BENCH_SAMPLE (512K; 0: leave the
# sampled modes out).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=.output/bench
CHURN=$PWD/$OUT/churn
FLOOR=$PWD/$OUT/floor
ROUNDS=${BENCH_ROUNDS:-5}
PAIRS=${BENCH_PAIRS:-200000}
NONE_PAIRS=${BENCH_NONE_PAIRS:-5000000}
DEPTH=${BENCH_DEPTH:-4}
THREADS=${BENCH_THREADS:-1 2}
PROFILE=${BENCH_PROFILE:-auto}
UNWIND=${BENCH_UNWIND:-auto}
TARGET=1.3
SAMPLE=${BENCH_SAMPLE:-512K}
MODES="none floor memleakbpf"
[ "$SAMPLE" = 0 ] || MODES="$MODES sampled sampled-rp"

make -s memleakbpf "$OUT/churn" "$OUT/floor"

TMP=$(mktemp -d /tmp/memleakbpf-bench.XXXXXX)
STATS_BEFORE=
cleanup() {
	if [ -n "$STATS_BEFORE" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE" || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The command line of one run of churn under mode $1 with $2 threads;
# extra arguments go to churn.
run_cmd() {
	local mode=$1 threads=$2
	shift 2
	case $mode in
	none)       echo "$CHURN" -n "$NONE_PAIRS" -t "$threads" -d "$DEPTH" "$@" ;;
	floor)      echo "$FLOOR" -- "$CHURN" -n "$PAIRS" -t "$threads" -d "$DEPTH" "$@" ;;
	memleakbpf) echo ./memleakbpf -q --unwind "$UNWIND" --interval 1h -- "$CHURN" -n "$PAIRS" -t "$threads" -d "$DEPTH" "$@" ;;
	sampled)    echo ./memleakbpf -q --unwind "$UNWIND" --sample-bytes "$SAMPLE" --interval 1h -- "$CHURN" -n "$PAIRS" -t "$threads" -d "$DEPTH" "$@" ;;
	sampled-rp) echo env MEMLEAKBPF_UPROBE_SESSION=0 ./memleakbpf -q --unwind "$UNWIND" --sample-bytes "$SAMPLE" --interval 1h -- "$CHURN" -n "$PAIRS" -t "$threads" -d "$DEPTH" "$@" ;;
	esac
}

# One run: prints churn's ns per pair.  memleakbpf's report (stdout) is
# thrown away; it is written after churn has measured and exited.
run_one() {
	local mode=$1 threads=$2 fig=$TMP/figure log=$TMP/log
	rm -f "$fig"
	# shellcheck disable=SC2046 # run_cmd's words are the command line
	if ! $(run_cmd "$mode" "$threads" -o "$fig") >/dev/null 2>"$log" || [ ! -s "$fig" ]; then
		echo "bench: $mode with $threads thread(s) failed:" >&2
		cat "$log" >&2
		exit 1
	fi
	awk '$1 == "ns_per_pair" { print $2 }' "$fig"
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A RUNS MED
echo "memleakbpf bench: malloc(64)/free pairs, $DEPTH frames deep, private libc $OUT/lib/libc.so.6, --unwind $UNWIND"
echo "rounds $ROUNDS; pairs per thread: $NONE_PAIRS without probes, $PAIRS with"
for t in $THREADS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		line="threads $t round $r:"
		for m in $MODES; do
			v=$(run_one "$m" "$t")
			RUNS[$m,$t]="${RUNS[$m,$t]:-} $v"
			line="$line $m $v"
		done
		echo "$line" >&2
	done
	for m in $MODES; do
		MED[$m,$t]=$(echo "${RUNS[$m,$t]}" | median)
	done
done

echo
printf '%-8s %12s %12s %14s %16s %12s\n' threads "none ns" "floor ns" "memleakbpf ns" "memleakbpf/floor" "floor/none"
missed=0
for t in $THREADS; do
	ratio=$(awk -v a="${MED[memleakbpf,$t]}" -v b="${MED[floor,$t]}" 'BEGIN { printf "%.2f", a / b }')
	fratio=$(awk -v a="${MED[floor,$t]}" -v b="${MED[none,$t]}" 'BEGIN { printf "%.0f", a / b }')
	printf '%-8s %12.1f %12.1f %14.1f %15sx %11sx\n' "$t" "${MED[none,$t]}" "${MED[floor,$t]}" \
		"${MED[memleakbpf,$t]}" "$ratio" "$fratio"
	if awk -v r="$ratio" -v m="$TARGET" 'BEGIN { exit !(r > m) }'; then
		missed=1
	fi
done
echo "(ns per malloc/free pair, per thread, median of $ROUNDS)"
if [ "$SAMPLE" != 0 ]; then
	echo
	printf '%-8s %14s %16s %14s %16s %16s\n' threads "sampled ns" "sampled/floor" "sampled-rp ns" \
		"sampled-rp/floor" "sampled/none"
	for t in $THREADS; do
		printf '%-8s %14.1f %15sx %14.1f %15sx %15sx\n' "$t" "${MED[sampled,$t]}" \
			"$(awk -v a="${MED[sampled,$t]}" -v b="${MED[floor,$t]}" 'BEGIN { printf "%.2f", a / b }')" \
			"${MED[sampled-rp,$t]}" \
			"$(awk -v a="${MED[sampled-rp,$t]}" -v b="${MED[floor,$t]}" 'BEGIN { printf "%.2f", a / b }')" \
			"$(awk -v a="${MED[sampled,$t]}" -v b="${MED[none,$t]}" 'BEGIN { printf "%.0f", a / b }')"
	done
	echo "(--sample-bytes $SAMPLE: sessions skip the return probe of unsampled calls; -rp: entry and return probes)"
fi
if [ $missed = 0 ]; then
	echo "target ${TARGET}x: met"
else
	echo "target ${TARGET}x: missed"
fi

# ---- where the BPF time goes ----

# Every BPF program process $1 holds (through a link or a program fd), with
# its runs and ns per run; then the uprobes it holds (only at the offsets
# in $FLOOR_OFFSETS when set: the points shared with the floor).
FLOOR_OFFSETS=

# "offset kind" of every uprobe behind one link's fdinfo: a perf-event
# link (offset:, event_type:) or a uprobe_multi link (a table of cookie,
# offset, ref_ctr_offset rows).
link_offsets() {
	awk '/^offset:/ { off = $2 } /^event_type:/ { ev = $2 }
	     /^link_type:/ { multi = ($2 == "uprobe_multi") }
	     multi && /^[0-9]+[ \t]+0x/ { print $2, "uprobe_multi" }
	     END { if (ev ~ /^u(ret)?probe$/) print off, ev }' "$1" 2>/dev/null
}

prog_stats() {
	local pid=$1 ids
	ids=$(grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un)
	for id in $ids; do
		bpftool prog show id "$id" 2>/dev/null | awk -v id="$id" '
			/ name / { for (i = 1; i < NF; i++) if ($i == "name") name = $(i + 1) }
			/run_time_ns/ { for (i = 1; i < NF; i++) {
				if ($i == "run_time_ns") ns = $(i + 1)
				if ($i == "run_cnt") cnt = $(i + 1) } }
			END { if (cnt > 0) printf "  %-16s %10d runs %9.1f ns/run\n", name, cnt, ns / cnt }'
	done
	for f in /proc/"$pid"/fdinfo/*; do
		link_offsets "$f"
	done | sort | awk -v only="$FLOOR_OFFSETS" '
		BEGIN { n = split(only, o, " "); for (i = 1; i <= n; i++) keep[o[i]] = 1 }
		!n || ($1 in keep) { s = s (s == "" ? "" : ", ") $1 " " $2 }
		END { printf "  %d probes%s: %s\n", NR, n ? ", at the floor'"'"'s offsets" : "", s }'
}

# One run of $1 under bpf stats: churn holds on after measuring, while the
# counters of the process holding the programs are read.
profile_one() {
	local mode=$1 fig=$TMP/figure log=$TMP/log pid i
	rm -f "$fig"
	# shellcheck disable=SC2046
	$(run_cmd "$mode" 1 -o "$fig" -s 2) >/dev/null 2>"$log" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ -s "$fig" ] && break
		sleep 0.1
	done
	echo "$mode (1 thread, ns/pair under bpf stats $(awk '{ print $2 }' "$fig" 2>/dev/null)):"
	prog_stats "$pid" || true
	if [ "$mode" = floor ]; then
		FLOOR_OFFSETS=$(for f in /proc/"$pid"/fdinfo/*; do link_offsets "$f"; done |
				awk '{ print $1 }' | sort -u | tr '\n' ' ') || true
	fi
	wait "$pid" || true
}

if [ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && [ $missed = 1 ]; }; then
	echo
	echo "per-program cost (kernel.bpf_stats_enabled=1 for these runs only; stats add ~20-40 ns per run):"
	STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	profile_one floor
	profile_one memleakbpf
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"
	STATS_BEFORE=
fi
exit 0
