#!/bin/bash
# tools/soak.sh (make soak): memleakbpf system-wide for SOAK_MINUTES (30)
# under churn.  Not a test: long, and the machine's own.
#
# The load, all at once: short-lived processes (a /bin/true loop, and
# fork+exec from C), exec chains (sh -c 'sh -c true'), threads created and
# joined, mmap/mremap/munmap storms, dlopen/dlclose loops
# (tools/soak/soak_load.c), and leak workloads started and stopped along
# the way: first_alloc, whose first allocation is 3,000,000 bytes, one
# started every minute and each stopped two minutes later.
#
# Every minute: memleakbpf's RSS and CPU, the longest it took over a report
# (events wait in the ring meanwhile), its tables (unwind bytes, stacks),
# events dropped by reason, and how late its reports came (elapsed time
# against report number x interval).  At the end: every leak workload still
# running holds exactly 3,000,000 native bytes in the last report, and the
# stopped ones are gone from it.
#
# Targets: RSS under 100 MiB at every sample and not growing (the last
# third's peak within 10% of the first third's); reports at most one
# interval late; drops all counted (the report's total is the sum of its
# reasons).  Exits 1 when one is missed.
#
# Environment: SOAK_MINUTES (30), SOAK_INTERVAL (10, seconds between reports).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${SOAK_MINUTES:-30}
INTERVAL=${SOAK_INTERVAL:-10}
RSS_LIMIT_KIB=$((100 * 1024))
LOAD=.output/soak/soak_load
LEAK=$PWD/.output/workloads/first_alloc
make -s memleakbpf "$LOAD" .output/workloads/first_alloc

TMP=$(mktemp -d /tmp/memleakbpf-soak.XXXXXX)
LOADS=()
declare -A LEAKS=()	# minute started -> pid
declare -A HOLDERS=()	# minute started -> pid of what holds its stdin open
ML=
cleanup() {
	local p
	for p in "${LOADS[@]}" "${LEAKS[@]}" "${HOLDERS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	[ -n "$ML" ] && kill -INT "$ML" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

./memleakbpf -v --json --interval "${INTERVAL}s" --sort outstanding --top 50 \
	>"$TMP/reports" 2>"$TMP/log" &
ML=$!
for ((i = 0; i < 600; i++)); do
	grep -q "tracing all processes" "$TMP/log" && break
	kill -0 "$ML" 2>/dev/null || { cat "$TMP/log" >&2; exit 1; }
	sleep 0.1
done
echo "memleakbpf $ML tracing all processes; ${MINUTES} min of churn, a report every ${INTERVAL}s"

(while :; do /bin/true; done) >/dev/null 2>&1 &
LOADS+=($!)
(while :; do sh -c 'sh -c true'; done) >/dev/null 2>&1 &
LOADS+=($!)
for kind in threads maps dlopen forks; do
	"$LOAD" "$kind" &
	LOADS+=($!)
done

# A leak workload reads a fifo of its own until EOF: a holder process keeps
# its write end open (and nothing else does: no other process inherits it)
# until the workload is stopped.
start_leak() {
	local m=$1 fifo=$TMP/leak.$1
	mkfifo "$fifo"
	"$LEAK" --wait <"$fifo" 2>/dev/null &
	LEAKS[$m]=$!
	(exec 3>"$fifo"; exec sleep 1000000) &
	HOLDERS[$m]=$!
}
stop_leak() {
	local m=$1
	kill "${HOLDERS[$m]}" 2>/dev/null || true
	wait "${HOLDERS[$m]}" 2>/dev/null || true
	wait "${LEAKS[$m]}" 2>/dev/null || true
	STOPPED+=("${LEAKS[$m]}")
	unset "LEAKS[$m]" "HOLDERS[$m]"
}
STOPPED=()

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ML/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$ML/status"; }

# The last whole report (the one being written may be cut short).
LAST_REPORT='
import json, sys
def last_report(path):
    last = None
    for line in open(path):
        if line.endswith("\n"):
            last = line
    return json.loads(last) if last else None
'

# The last report's figures, one line.
report_line() {
	python3 -c "$LAST_REPORT"'
r = last_report(sys.argv[1])
if not r:
    print("no report yet"); sys.exit(0)
u = r.get("unwind", {}).get("tables", {})
drops = " ".join("%s=%d" % (k, v) for k, v in r["drops"].items() if v)
print("report %d: %d processes (+%d exited, folded), %d stacks, unwind %.1f MiB of %.0f MiB, dropped %d%s" % (
    r["report"], len(r["processes"]), r["exited_folded"]["processes"], r["stacks_total"],
    u.get("bytes", 0) / 2**20, u.get("budget_bytes", 0) / 2**20, r["dropped"],
    " (" + drops + ")" if drops else ""))' "$TMP/reports"
}

# Every report's lateness, and whether its drops add up.
report_checks() {
	python3 - "$TMP/reports" "$INTERVAL" <<'EOF'
import json, sys
late = 0.0
bad = 0
n = 0
for line in open(sys.argv[1]):
    if not line.endswith("\n"):
        continue
    r = json.loads(line)
    if r.get("final"):
        continue
    n += 1
    late = max(late, r["elapsed_s"] - r["report"] * float(sys.argv[2]))
    if sum(r["drops"].values()) != r["dropped"]:
        bad += 1
print("%d %.2f %d" % (n, late, bad))
EOF
}

# The longest a report of the last minute kept events waiting (made,
# written, purged; -v says it), in ms.
MS_SEEN=0
report_ms_update() {
	local lines
	lines=$(grep "made and written in" "$TMP/log" || true)
	REPORT_MS=$(printf '%s\n' "$lines" | tail -n +$((MS_SEEN + 1)) | awk '
		{ t = 0; for (i = 1; i < NF; i++) if ($i == "in") t += $(i + 1); if (t > max) max = t }
		END { printf "%d", max }')
	MS_SEEN=$(printf '%s\n' "$lines" | grep -c . || true)
}

printf '%-4s %9s %6s %7s  %s\n' min "RSS" "CPU" "report" "tables and drops"
rss_max=0
declare -a RSS_BY_MIN
t0=$(date +%s)
ticks=$(cpu_ticks)
for ((m = 1; m <= MINUTES; m++)); do
	start_leak "$m"
	[ -n "${LEAKS[$((m - 2))]:-}" ] && stop_leak $((m - 2))
	# sample every 5 s: the peak between minutes counts too
	for ((s = 0; s < 12; s++)); do
		sleep 5
		kill -0 "$ML" 2>/dev/null || { echo "memleakbpf exited:" >&2; cat "$TMP/log" >&2; exit 1; }
		r=$(rss_kib)
		((r > rss_max)) && rss_max=$r
		RSS_BY_MIN[m]=$((r > ${RSS_BY_MIN[m]:-0} ? r : ${RSS_BY_MIN[m]:-0}))
	done
	now=$(cpu_ticks)
	report_ms_update
	printf '%-4d %6d MiB %5.1f%% %5d ms  %s\n' "$m" $((RSS_BY_MIN[m] / 1024)) \
		"$(awk -v d=$((now - ticks)) -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * d / hz / 60 }')" \
		"$REPORT_MS" "$(report_line)"
	ticks=$now
done

read -r nreports late badsums <<<"$(report_checks)"
# the leak workloads: running ones exact, stopped ones gone
sleep $((INTERVAL + 2))
leaks_ok=$(python3 -c "$LAST_REPORT"'
r = last_report(sys.argv[3])
alive = [int(p) for p in sys.argv[1].split()]
stopped = [int(p) for p in sys.argv[2].split()]
procs = {p["pid"]: p for p in r["processes"]}
ok = True
for pid in alive:
    got = procs.get(pid, {}).get("categories", {}).get("native", {}).get("bytes")
    if got != 3000000:
        print("leak workload %d: native %s, want 3000000" % (pid, got), file=sys.stderr)
        ok = False
for pid in stopped:
    if pid in procs and not procs[pid]["exited"]:
        print("stopped leak workload %d still listed" % pid, file=sys.stderr)
        ok = False
print("yes" if ok else "no")' "${LEAKS[*]}" "${STOPPED[*]}" "$TMP/reports")
kill -INT "$ML"
if wait "$ML"; then code=0; else code=$?; fi
ML=

third=$((MINUTES / 3 > 0 ? MINUTES / 3 : 1))
first_peak=0
last_peak=0
for ((m = 1; m <= third; m++)); do
	((RSS_BY_MIN[m] > first_peak)) && first_peak=${RSS_BY_MIN[m]}
done
for ((m = MINUTES - third + 1; m <= MINUTES; m++)); do
	((RSS_BY_MIN[m] > last_peak)) && last_peak=${RSS_BY_MIN[m]}
done

missed=0
echo
echo "after ${MINUTES} min ($(($(date +%s) - t0)) s): $nreports reports, exit code $code"
target() {
	if [ "$1" = yes ]; then echo "  met:    $2"; else echo "  MISSED: $2"; missed=1; fi
}
target "$([ "$rss_max" -lt "$RSS_LIMIT_KIB" ] && echo yes)" \
	"RSS under 100 MiB at every sample (peak $((rss_max / 1024)) MiB)"
target "$([ $((last_peak * 10)) -le $((first_peak * 11)) ] && echo yes)" \
	"RSS not growing (peak $((first_peak / 1024)) MiB in the first third, $((last_peak / 1024)) MiB in the last)"
target "$(awk -v l="$late" -v i="$INTERVAL" 'BEGIN { print (l <= i) ? "yes" : "no" }')" \
	"reports on time (latest ${late}s after its due time, interval ${INTERVAL}s)"
target "$([ "$badsums" = 0 ] && echo yes)" "every drop counted by reason ($badsums reports off)"
target "$leaks_ok" "leak workloads exact (${#LEAKS[@]} running at 3,000,000 bytes, ${#STOPPED[@]} stopped and gone)"
target "$([ "$code" = 0 ] && echo yes)" "memleakbpf ended cleanly on Ctrl-C"
exit $missed
