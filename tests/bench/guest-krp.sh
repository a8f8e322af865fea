#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# krp overhead, in one boot: ns per getpid unprofiled, profiled by krp, and
# profiled by bpftrace doing what funclatency does (kprobe + kretprobe, an
# average), interleaved, median of ROUNDS.  Reports krp's added cost as a
# ratio to bpftrace's; on fprobe kernels also krp's kretprobe backend.
. "$(dirname "$0")/../stack/lib.sh"
unload_all
N=${TK_BENCH_CALLS:-200000}
ROUNDS=${TK_BENCH_ROUNDS:-5}
SYM=__x64_sys_getpid

measure() { "$TKLOAD" getpid "$N" | sed 's/.*ns_per_call=//'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

bt_start() {
	bpftrace -e "kprobe:$SYM { @s[tid] = nsecs; } kretprobe:$SYM /@s[tid]/ { @lat = avg(nsecs - @s[tid]); delete(@s[tid]); }" \
		>/tmp/bt.out 2>&1 &
	bt=$!
	for _ in $(seq 600); do
		grep -q 'Attaching' /tmp/bt.out && { sleep 1; return 0; }
		sleep 0.2
	done
	return 1
}
bt_stop() { kill -INT "$bt"; wait "$bt" 2>/dev/null; }

load_core enable=0
have_fprobe=0
load_krp funcs=sys_getpid && grep -q mech=fprobe $QX/profiler/funcs && have_fprobe=1
rmmod krp
command -v bpftrace >/dev/null || { echo "bpftrace not installed"; exit 1; }

base=() krp=() kret=() bt=()
for r in $(seq "$ROUNDS"); do
	base+=("$(measure)")
	load_krp funcs=sys_getpid && krp+=("$(measure)") && rmmod krp
	if [ $have_fprobe = 1 ]; then
		load_krp funcs=sys_getpid mech=kretprobe && kret+=("$(measure)") && rmmod krp
	fi
	if bt_start; then bt+=("$(measure)"); bt_stop; else echo "bpftrace did not attach"; cat /tmp/bt.out; exit 1; fi
	base+=("$(measure)")
	echo "round $r: base ${base[*]: -2} krp ${krp[*]: -1} kret ${kret[*]: -1} bpftrace ${bt[*]: -1}"
done
B=$(echo "${base[*]}" | median)
K=$(echo "${krp[*]}" | median)
T=$(echo "${bt[*]}" | median)
echo "kernel $(uname -r), $N getpid calls per run, median of $ROUNDS rounds (ns/call):"
echo "  unprofiled $B, krp $K, bpftrace $T"
awk -v b="$B" -v k="$K" -v t="$T" 'BEGIN {
	printf "  krp adds %d ns/call, bpftrace adds %d ns/call: krp/bpftrace added-cost ratio %.2f (target <= 0.5)\n", k - b, t - b, (k - b) / (t - b) }'
if [ $have_fprobe = 1 ]; then
	R=$(echo "${kret[*]}" | median)
	awk -v b="$B" -v k="$K" -v r="$R" 'BEGIN {
		printf "  krp fprobe adds %d ns/call, krp kretprobe adds %d: fprobe/kretprobe ratio %.2f\n", k - b, r - b, (k - b) / (r - b) }'
fi
rmmod tkcore
