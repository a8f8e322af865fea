#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cost of tk_telemetry_msg(), in one boot, timed in the kernel with ktime
# over N calls by tksample (bench_msg / bench_plain), median of ROUNDS,
# cases interleaved:
#   msg/none     no reader, no tracepoint enabled
#   msg/reader   /dev/qeexo_events open and read (cat > /dev/null)
#   msg/open     /dev/qeexo_events open, its reader stopped (SIGSTOP): the
#                write alone, without a reader competing for the emulator
#                (under single-threaded TCG the guest's two vCPUs share one
#                host thread, so a busy reader slows the timed loop)
#   msg/ftrace   qeexo:msg enabled in ftrace
#   plain/off    the peer tracepoint tksample:plain (same fields), disabled
#   plain/ftrace tksample:plain enabled in ftrace
# The target ratio is msg/ftrace : plain/ftrace <= 1.0 (also measured in
# short interleaved pairs, the figure to quote on a busy host).  Then end-to-end
# events per second from emit to a reader of /dev/qeexo_events, in Python
# and in C.
. "$(dirname "$0")/../stack/lib.sh"
unload_all
N=${TK_BENCH_CALLS:-100000}
ROUNDS=${TK_BENCH_ROUNDS:-9}
E2E=${TK_BENCH_E2E:-200000}
CTL=$QX/tksample/control
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs nodev $TR

# 32 MiB per CPU: N records fit, so the reader case measures writes, not drops.
load_core enable=0 events_buffer_kb=32768 || exit 1
load_tksample || exit 1
echo 1 >$TR/tracing_on

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# The fastest round: on a shared machine interference only adds time.
minimum() { tr ' ' '\n' | sed '/^$/d' | sort -n | head -n1; }
bench() {	# bench msg|plain: ns per call
	"$TKWRITE" $CTL "bench_$1 $N" >/dev/null || { echo "bench_$1 failed" >&2; echo 0; return; }
	cat $QX/tksample/last_ns
}

none=() reader=() ropen=() ftr=() poff=() pftr=()
for r in $(seq "$ROUNDS"); do
	none+=("$(bench msg)")
	poff+=("$(bench plain)")
	cat /dev/qeexo_events >/dev/null &
	rd=$!
	while [ "$(cat $QX/events/readers)" != 1 ]; do sleep 0.1; done
	reader+=("$(bench msg)")
	kill -STOP $rd
	ropen+=("$(bench msg)")
	kill -CONT $rd
	kill $rd; wait $rd 2>/dev/null
	echo 1 >$TR/events/qeexo/msg/enable
	ftr+=("$(bench msg)")
	echo 0 >$TR/events/qeexo/msg/enable
	echo 1 >$TR/events/tksample/plain/enable
	pftr+=("$(bench plain)")
	echo 0 >$TR/events/tksample/plain/enable
	echo >$TR/trace
	echo "round $r: msg/none ${none[*]: -1} msg/reader ${reader[*]: -1} msg/open ${ropen[*]: -1} msg/ftrace ${ftr[*]: -1} plain/off ${poff[*]: -1} plain/ftrace ${pftr[*]: -1}"
done
dropped=$(cat $QX/events/dropped)
A=$(echo "${none[*]}" | median)
B=$(echo "${reader[*]}" | median)
C=$(echo "${ftr[*]}" | median)
O=$(echo "${ropen[*]}" | median)
D=$(echo "${poff[*]}" | median)
E=$(echo "${pftr[*]}" | median)
echo "kernel $(uname -r), $N calls per run, median of $ROUNDS rounds (ns/call):"
echo "  tk_telemetry_msg: no consumer $A, reader attached $B (reader stopped $O), qeexo:msg in ftrace $C"
echo "  plain tracepoint tksample:plain: disabled $D, in ftrace $E"
echo "  reader-case drops: $dropped"
pair=$(for i in "${!ftr[@]}"; do awk -v c="${ftr[$i]}" -v e="${pftr[$i]}" 'BEGIN { printf "%.3f ", c / e }'; done | median)
awk -v a="$A" -v b="$B" -v c="$C" -v d="$D" -v e="$E" -v o="$O" -v p="$pair" 'BEGIN {
	printf "  msg in ftrace / plain in ftrace: %.2f, median of the per-round ratios %.2f (target <= 1.0)\n", c / e, p
	printf "  msg with reader / plain in ftrace: %.2f (reader stopped: %.2f)\n", b / e, o / e
	printf "  msg without consumer / plain in ftrace: %.2f; / plain disabled: %.2f\n", a / e, a / d }'

mA=$(echo "${none[*]}" | minimum)
mO=$(echo "${ropen[*]}" | minimum)
mC=$(echo "${ftr[*]}" | minimum)
mE=$(echo "${pftr[*]}" | minimum)
awk -v a="$mA" -v o="$mO" -v c="$mC" -v e="$mE" 'BEGIN {
	printf "  fastest rounds: msg no consumer %s, reader stopped %s, msg in ftrace %s, plain in ftrace %s: ratio msg/plain in ftrace %.2f\n", a, o, c, e, c / e }'

# The target ratio on its own, in short interleaved pairs (ABBA order), so
# that both sides of a pair see the same interference from the host: the
# median of PAIRS pair ratios of PN calls each.
PAIRS=${TK_BENCH_PAIRS:-40}
PN=${TK_BENCH_PAIR_CALLS:-10000}
echo 1 >$TR/events/qeexo/msg/enable
echo 1 >$TR/events/tksample/plain/enable
ratios=()
for i in $(seq "$PAIRS"); do
	if [ $((i % 2)) -eq 1 ]; then
		"$TKWRITE" $CTL "bench_msg $PN" >/dev/null; m=$(cat $QX/tksample/last_ns)
		"$TKWRITE" $CTL "bench_plain $PN" >/dev/null; p=$(cat $QX/tksample/last_ns)
	else
		"$TKWRITE" $CTL "bench_plain $PN" >/dev/null; p=$(cat $QX/tksample/last_ns)
		"$TKWRITE" $CTL "bench_msg $PN" >/dev/null; m=$(cat $QX/tksample/last_ns)
	fi
	ratios+=("$(awk -v m="$m" -v p="$p" 'BEGIN { printf "%.3f", m / p }')")
	echo >$TR/trace
done
echo 0 >$TR/events/qeexo/msg/enable
echo 0 >$TR/events/tksample/plain/enable
q=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f (quartiles %.2f-%.2f)", a[int((NR + 1) / 2)], a[int((NR + 3) / 4)], a[int((3 * NR + 3) / 4)] }')
echo "  paired: msg/plain in ftrace, median of $PAIRS interleaved pairs of $PN calls: $q (target <= 1.0)"

# End to end: a reader that starts before emit and stops after E2E messages,
# in Python (tkevents.py: a line loop in an interpreter, like a simple
# consumer) and in C (tkevrate: 256 KiB reads and a memchr() line count, so
# that the device's part shows).
e2e() {	# e2e LABEL READER...
	local label=$1 lines msgs drops secs rp t0 t1
	shift
	rm -f /tmp/tkevents.rate
	"$@" "$E2E" >/tmp/rate.out &
	rp=$!
	while [ ! -e /tmp/tkevents.rate ]; do sleep 0.1; done
	sleep 0.5
	t0=$(date +%s%N)
	"$TKWRITE" $CTL "emit $E2E" >/dev/null
	t1=$(date +%s%N)
	wait $rp
	read -r lines msgs drops secs < <(sed 's/[a-z]*=//g' /tmp/rate.out)
	awk -v l="$label" -v n="$E2E" -v m="$msgs" -v d="$drops" -v s="$secs" -v e="$(( (t1 - t0) / 1000 ))" 'BEGIN {
		printf "end to end, %s reader: %d messages emitted in %.3f s (%.0f/s); the reader got %d in %.3f s: %.0f events/s, %d dropped (%.1f%%)\n",
			l, n, e / 1e6, n / (e / 1e6), m, s, m / s, d, 100 * d / n }'
}
e2e Python python3 "$TK_TOP/tests/helpers/tkevents.py" rate
e2e C "$TK_TOP/build/host/tkevrate"
rmmod tksample
rmmod tkcore
