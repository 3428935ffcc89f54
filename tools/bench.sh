#!/bin/bash
# tools/bench.sh: what memleakbpf costs a program that allocates, against
# the cost of the probes alone.  A benchmark, not a test: it exits 0 whether
# or not the targets are met.
#
# One table, every figure from this run; rounds alternate every way of
# running, so that the machine's drift spreads over all of them:
#   untraced    nothing attached
#   entry       empty BPF programs at memleakbpf's malloc entry and free
#               entry, no return probe (tools/bench/floor.c -e)
#   floor       empty BPF programs at memleakbpf's probe points: malloc
#               entry and return, free entry (tools/bench/floor.c), at the
#               offsets memleakbpf chooses (user/target/allocators.c)
#   full        memleakbpf -q --interval 1h -- CMD
#   sampled     the same with --sample-bytes BENCH_SAMPLE (n/a when
#               memleakbpf refuses the option): uprobe sessions, unsampled
#               calls skip their return probe
#   sampled-rp  the same with entry and return probes, no sessions (what
#               kernels before 6.12 get): only with BENCH_SAMPLED_RP=1
#   session     the floor of sampled: malloc's probe a uprobe session whose
#               entry asks for no return, free's an entry probe
#               (tools/bench/floor.c -s): only with BENCH_SESSION_FLOOR=1
# Columns: a malloc(64)/free churn (tools/bench/churn.c, linked against a
# private copy of libc so that no other tracer on the machine probes it)
# with glibc's malloc and with a private copy of Debian's jemalloc
# preloaded, 1 and 2 threads: the median ns per malloc/free pair per
# thread, and the median of each round's ratio to the floor of the same
# column.  Then Debian's redis-server (jemalloc) filled by redis-benchmark
# SET: the median of each round's throughput traced against untraced
# (kept; untraced runs before and after the traced ones), the server
# loading the private libc and jemalloc through LD_LIBRARY_PATH.
#
# When memleakbpf misses the churn target, one more run of the floor and of
# memleakbpf (glibc, 1 thread), with kernel.bpf_stats_enabled on (restored
# afterwards), gives ns per run of every BPF program that ran.
#
# Environment: BENCH_ROUNDS (5: the VM's noise moves a round by up to
# 10%), BENCH_PAIRS per thread under probes (200000), BENCH_NONE_PAIRS
# without them (5000000), BENCH_DEPTH frames
# below the loop (4), BENCH_THREADS ("1 2"), BENCH_ALLOCATORS ("glibc
# jemalloc"), BENCH_REDIS_REQUESTS (40000; 0 leaves redis out),
# BENCH_PROFILE (auto: only when the target is missed; 1 always, 0 never),
# BENCH_UNWIND (auto: how memleakbpf walks stacks, --unwind), BENCH_SAMPLE
# (512K; 0 leaves the sampled rows out), BENCH_SAMPLED_RP (0),
# BENCH_SESSION_FLOOR (0).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=.output/bench
LIB=$PWD/$OUT/lib
CHURN=$PWD/$OUT/churn
FLOOR=$PWD/$OUT/floor
JEMALLOC=$LIB/libjemalloc.so.2
ROUNDS=${BENCH_ROUNDS:-5}
PAIRS=${BENCH_PAIRS:-200000}
NONE_PAIRS=${BENCH_NONE_PAIRS:-5000000}
DEPTH=${BENCH_DEPTH:-4}
THREADS=${BENCH_THREADS:-1 2}
ALLOCATORS=${BENCH_ALLOCATORS:-glibc jemalloc}
REDIS_REQUESTS=${BENCH_REDIS_REQUESTS:-40000}
PROFILE=${BENCH_PROFILE:-auto}
UNWIND=${BENCH_UNWIND:-auto}
SAMPLE=${BENCH_SAMPLE:-512K}
SAMPLED_RP=${BENCH_SAMPLED_RP:-0}
SESSION_FLOOR=${BENCH_SESSION_FLOOR:-0}
TARGET_FULL=1.3		# memleakbpf / floor
TARGET_SAMPLED=1.1	# sampled / entry-only floor
TARGET_REDIS_FULL=0.45	# redis throughput kept
TARGET_REDIS_SAMPLED=0.6
REDIS_SERVER=/usr/bin/redis-server
REDIS_CLI=/usr/bin/redis-cli
REDIS_BENCHMARK=/usr/bin/redis-benchmark
MODES="untraced entry floor full sampled"
[ "$SAMPLED_RP" = 1 ] && MODES="$MODES sampled-rp"
[ "$SESSION_FLOOR" = 1 ] && MODES="$MODES session"
declare -A LABEL=(
	[untraced]="untraced"
	[entry]="floor, entry probes only"
	[floor]="floor: malloc entry+return, free"
	[full]="memleakbpf"
	[sampled]="memleakbpf --sample-bytes $SAMPLE"
	[sampled-rp]="memleakbpf --sample-bytes $SAMPLE, no sessions"
	[session]="floor, malloc a session without return"
)

make -s memleakbpf "$OUT/churn" "$OUT/floor" "$OUT/lib/libjemalloc.so.2"

TMP=$(mktemp -d /tmp/memleakbpf-bench.XXXXXX)
STATS_BEFORE=
SERVER_PID=
REDIS_PORT=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		"$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
			kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -n "$STATS_BEFORE" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE" || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Does this memleakbpf take --sample-bytes?  (It refuses it, before
# loading anything, in versions without sampling.)
SAMPLED_OK=1
if [ "$SAMPLE" = 0 ]; then
	SAMPLED_OK=0
	echo "sampled rows n/a: BENCH_SAMPLE=0"
elif ! ./memleakbpf -q --sample-bytes "$SAMPLE" --interval 1h -- /bin/true >/dev/null 2>"$TMP/log"; then
	SAMPLED_OK=0
	echo "sampled rows n/a: $(head -n 1 "$TMP/log")"
fi

# TRACER: the command line that runs a command under mode $1 (the
# command follows it).
tracer_cmd() {
	case $1 in
	untraced) TRACER=() ;;
	entry)    TRACER=("$FLOOR" -e --) ;;
	floor)    TRACER=("$FLOOR" --) ;;
	session)  TRACER=("$FLOOR" -s --) ;;
	full)     TRACER=(./memleakbpf -q --unwind "$UNWIND" --interval 1h --) ;;
	sampled)  TRACER=(./memleakbpf -q --unwind "$UNWIND" --interval 1h --sample-bytes "$SAMPLE" --) ;;
	sampled-rp) TRACER=(env MEMLEAKBPF_UPROBE_SESSION=0 ./memleakbpf -q --unwind "$UNWIND"
			    --interval 1h --sample-bytes "$SAMPLE" --) ;;
	esac
}

# CMD: one run of churn, mode $1, allocator $2, $3 threads; extra
# arguments go to churn.  jemalloc is preloaded into the tracer too, which
# finds it there (as a user would run it) and attaches before churn starts.
churn_cmd() {
	local mode=$1 alloc=$2 threads=$3 pairs=$PAIRS
	shift 3
	[ "$mode" = untraced ] && pairs=$NONE_PAIRS
	tracer_cmd "$mode"
	CMD=(env)
	[ "$alloc" = jemalloc ] && CMD+=("LD_PRELOAD=$JEMALLOC")
	CMD+=("${TRACER[@]}" "$CHURN" -n "$pairs" -t "$threads" -d "$DEPTH" "$@")
}

# One run: prints churn's ns per pair.  memleakbpf's report (stdout) is
# thrown away; it is written after churn has measured and exited.
run_churn() {
	local fig=$TMP/figure log=$TMP/log
	rm -f "$fig"
	churn_cmd "$@" -o "$fig"
	if ! "${CMD[@]}" >/dev/null 2>"$log" || [ ! -s "$fig" ]; then
		echo "bench: churn $* failed:" >&2
		cat "$log" >&2
		exit 1
	fi
	awk '$1 == "ns_per_pair" { print $2 }' "$fig"
}

# ---- redis ----

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		# below the ephemeral range (32768-): redis-benchmark's own
		# client sockets of the previous run may hold those
		p=$((20000 + RANDOM % 12000))
		if ! port_in_use "$p"; then
			echo "$p"
			return
		fi
	done
	echo "bench: no free port for redis-server" >&2
	exit 1
}

# One redis-server under mode $1, filled by redis-benchmark SET: its
# requests per second in RPS.  Not in a subshell: the server's pid is
# known to cleanup.
run_redis() {
	local mode=$1 log=$TMP/redis.log i rps
	REDIS_PORT=$(free_port)
	tracer_cmd "$mode"
	env LD_LIBRARY_PATH="$LIB" "${TRACER[@]}" "$REDIS_SERVER" --port "$REDIS_PORT" \
		--bind 127.0.0.1 --save "" --appendonly no --logfile "" >"$log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 300; i++)); do
		"$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "bench: redis-server under $mode did not start:" >&2
			cat "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
	rps=$("$REDIS_BENCHMARK" -h 127.0.0.1 -p "$REDIS_PORT" -t set -n "$REDIS_REQUESTS" \
		-r 100000 -d 100 -q 2>/dev/null | tr '\r' '\n' |
		awk '/^SET: .* requests per second/ { v = $2 } END { print v }')
	"$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
	wait "$SERVER_PID" || true
	SERVER_PID=
	if [ -z "$rps" ]; then
		echo "bench: redis-benchmark under $mode gave no figure:" >&2
		cat "$log" >&2
		exit 1
	fi
	RPS=$rps
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

COLS=
for a in $ALLOCATORS; do
	for t in $THREADS; do
		COLS="$COLS $a:$t"
	done
done
REDIS=0
if [ "$REDIS_REQUESTS" -gt 0 ] && [ -x "$REDIS_SERVER" ] && [ -x "$REDIS_BENCHMARK" ] &&
   [ -x "$REDIS_CLI" ]; then
	REDIS=1
else
	echo "redis left out (BENCH_REDIS_REQUESTS=0, or redis-server, redis-cli, redis-benchmark missing)"
fi

# RUNS[mode,column]: one figure per round, in round order.  The redis
# column's reference (REF) is the mean of an untraced run before and one
# after the traced ones of the round.
declare -A RUNS MED
REF=
echo "memleakbpf bench: malloc(64)/free pairs, $DEPTH frames deep, private libc and jemalloc in $OUT/lib, --unwind $UNWIND"
echo "rounds $ROUNDS; pairs per thread: $NONE_PAIRS untraced, $PAIRS traced; redis-benchmark SET: $REDIS_REQUESTS requests, 100-byte values"
for ((r = 1; r <= ROUNDS; r++)); do
	for c in $COLS; do
		line="round $r ${c/:/ } thr:"
		for m in $MODES; do
			[ "${m#sampled}" != "$m" ] && [ $SAMPLED_OK = 0 ] && continue
			v=$(run_churn "$m" "${c%:*}" "${c#*:}")
			RUNS[$m,$c]="${RUNS[$m,$c]:-} $v"
			line="$line $m $v"
		done
		echo "$line" >&2
	done
	if [ $REDIS = 1 ]; then
		line="round $r redis SET/s:"
		for m in $MODES untraced; do
			[ "${m#sampled}" != "$m" ] && [ $SAMPLED_OK = 0 ] && continue
			run_redis "$m"
			line="$line $m $RPS"
			if [ "$m" != untraced ]; then
				RUNS[$m,redis]="${RUNS[$m,redis]:-} $RPS"
			elif [ -z "${before:-}" ]; then
				before=$RPS
			else
				RUNS[untraced,redis]="${RUNS[untraced,redis]:-} $before $RPS"
				REF="$REF $(awk -v a="$before" -v b="$RPS" 'BEGIN { print (a + b) / 2 }')"
				before=
			fi
		done
		echo "$line" >&2
	fi
done
for m in $MODES; do
	for c in $COLS redis; do
		if [ -n "${RUNS[$m,$c]:-}" ]; then
			MED[$m,$c]=$(echo "${RUNS[$m,$c]}" | median)
		fi
	done
done

# ---- the table (Markdown) ----

# The median over rounds of $1[r] / $2[r] (two lists of figures, one per
# round): each round's figures were measured minutes apart at most, which
# the machine's drift over the whole run does not touch.
ratio() {
	paste -d' ' <(echo "$1" | tr ' ' '\n' | grep .) <(echo "$2" | tr ' ' '\n' | grep .) |
		awk '{ print $1 / $2 }' | median | awk '{ printf "%.2f", $1 }'
}

echo
header="| |"
rule="| --- |"
for c in $COLS; do
	header="$header ${c%:*} ${c#*:} thr |"
	rule="$rule --- |"
done
if [ $REDIS = 1 ]; then
	header="$header redis SET kept |"
	rule="$rule --- |"
fi
echo "$header"
echo "$rule"
for m in $MODES; do
	row="| ${LABEL[$m]} |"
	for c in $COLS; do
		if [ -z "${MED[$m,$c]:-}" ]; then
			row="$row n/a |"
		elif [ "$m" = untraced ]; then
			row="$row $(printf '%.1f' "${MED[$m,$c]}") ns |"
		else
			row="$row $(printf '%.0f' "${MED[$m,$c]}") ns $(ratio "${RUNS[$m,$c]}" "${RUNS[floor,$c]}")x |"
		fi
	done
	if [ $REDIS = 1 ]; then
		if [ -z "${MED[$m,redis]:-}" ]; then
			row="$row n/a |"
		elif [ "$m" = untraced ]; then
			row="$row $(printf '%.0f' "${MED[$m,redis]}")/s |"
		else
			row="$row $(ratio "${RUNS[$m,redis]}" "$REF") |"
		fi
	fi
	echo "$row"
done
echo "(ns per malloc/free pair per thread, median of $ROUNDS rounds, and the median of each"
echo " round's ratio to its floor; redis: requests per second untraced, then the median of"
echo " each round's traced/untraced, untraced measured before and after the traced runs)"

# ---- the targets ----

# "met" or "missed": is $1 $2 $3 (awk comparison)?
verdict() {
	if awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; then echo met; else echo missed; fi
}

echo
FULL_MISSED=0
line="targets: memleakbpf <= ${TARGET_FULL}x floor:"
for c in $COLS; do
	x=$(ratio "${RUNS[full,$c]}" "${RUNS[floor,$c]}")
	v=$(verdict "$x" "<=" "$TARGET_FULL")
	[ "$v" = missed ] && FULL_MISSED=1
	line="$line ${c/:/ }t ${x}x $v,"
done
echo "${line%,}"
line="         sampled <= ${TARGET_SAMPLED}x the entry-only floor:"
for c in $COLS; do
	if [ $SAMPLED_OK = 1 ]; then
		x=$(ratio "${RUNS[sampled,$c]}" "${RUNS[entry,$c]}")
		line="$line ${c/:/ }t ${x}x $(verdict "$x" "<=" "$TARGET_SAMPLED"),"
	else
		line="$line ${c/:/ }t n/a,"
	fi
done
echo "${line%,}"
if [ $REDIS = 1 ]; then
	x=$(ratio "${RUNS[full,redis]}" "$REF")
	line="         redis throughput kept >= $TARGET_REDIS_FULL (memleakbpf): $x $(verdict "$x" ">=" "$TARGET_REDIS_FULL");"
	if [ $SAMPLED_OK = 1 ]; then
		x=$(ratio "${RUNS[sampled,redis]}" "$REF")
		line="$line >= $TARGET_REDIS_SAMPLED (sampled): $x $(verdict "$x" ">=" "$TARGET_REDIS_SAMPLED")"
	else
		line="$line >= $TARGET_REDIS_SAMPLED (sampled): n/a"
	fi
	echo "$line"
	# The floors bound what any uprobe tool keeps on this machine (the
	# cost of a trap varies tenfold between VMs): our share, apart.
	line="         redis against its floor (kept by memleakbpf / kept by the floor): $(ratio "${RUNS[full,redis]}" "${RUNS[floor,redis]}")"
	[ $SAMPLED_OK = 1 ] &&
		line="$line; sampled / entry-only floor: $(ratio "${RUNS[sampled,redis]}" "${RUNS[entry,redis]}")"
	echo "$line"
fi

# ---- where the BPF time goes ----

# Every BPF program process $1 holds (through a link or a program fd), with
# its runs and ns per run; then the uprobes it holds (only at the offsets
# in $FLOOR_OFFSETS when set: the points shared with the floor).
FLOOR_OFFSETS=

# "offset kind" of every uprobe behind one link's fdinfo: a perf-event
# link (offset:, event_type:) or a uprobe_multi link (link_type
# uprobe_multi or uretprobe_multi, a table of cookie, offset,
# ref_ctr_offset rows).
link_offsets() {
	awk '/^offset:/ { off = $2 } /^event_type:/ { ev = $2 }
	     /^link_type:/ { multi = ($2 ~ /^u(ret)?probe_multi$/) ? $2 : "" }
	     multi != "" && /^[0-9]+[ \t]+0x/ { print $2, multi }
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

# One run of $1 (glibc, 1 thread) under bpf stats: churn holds on after
# measuring, while the counters of the process holding the programs are read.
profile_one() {
	local mode=$1 fig=$TMP/figure log=$TMP/log pid i
	rm -f "$fig"
	churn_cmd "$mode" glibc 1 -o "$fig" -s 2
	"${CMD[@]}" >/dev/null 2>"$log" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ -s "$fig" ] && break
		sleep 0.1
	done
	echo "$mode (glibc, 1 thread, ns/pair under bpf stats $(awk '{ print $2 }' "$fig" 2>/dev/null)):"
	prog_stats "$pid" || true
	if [ "$mode" = floor ]; then
		FLOOR_OFFSETS=$(for f in /proc/"$pid"/fdinfo/*; do link_offsets "$f"; done |
				awk '{ print $1 }' | sort -u | tr '\n' ' ') || true
	fi
	wait "$pid" || true
}

if [ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && [ $FULL_MISSED = 1 ]; }; then
	echo
	echo "per-program cost (kernel.bpf_stats_enabled=1 for these runs only; stats add ~20-40 ns per run):"
	STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	profile_one floor
	profile_one full
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"
	STATS_BEFORE=
fi
exit 0
