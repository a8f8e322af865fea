#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# procnet overhead, in one boot: ns per loopback UDP send+recv pair
# (tkload udp) with nothing attached, with procnet=1, and with krp timing
# the functions procnet hooks (two probes per pair, as procnet has two
# hooks).  Reports procnet's added cost as a ratio to krp's (the goal: a
# per-packet cost as small as krp's).
#   6.1: procnet = kretprobes on __sock_sendmsg and sock_recvmsg; krp
#        (kretprobe) probes the same two functions.
#   6.12: procnet = the sock_send_length/sock_recv_length tracepoints; krp
#        (fprobe) probes __sys_sendto (the send path; __sock_sendmsg is
#        inlined there) and sock_recvmsg.
# The host is shared and emulation is slow: other work only ever adds time,
# in bursts.  So each figure is the least of BATCHES short runs (tkload udp
# N BATCHES), each round is paired: bare, procnet, bare, krp, bare, with
# procnet and krp switched at run time (procnet file, krp's funcs add/del),
# each added cost is taken against the mean of the bare figures around it,
# and the ratio is of the medians over ROUNDS rounds.
. "$(dirname "$0")/../stack/lib.sh"
unload_all
N=${TK_BENCH_CALLS:-2000}
BATCHES=${TK_BENCH_BATCHES:-5}
ROUNDS=${TK_BENCH_ROUNDS:-21}
case $TK_KVER in
6.1.*) FUNCS=__sock_sendmsg,sock_recvmsg ;;
*) FUNCS=__sys_sendto,sock_recvmsg ;;
esac
F=$QX/profiler/funcs

ip link set lo up
measure() { "$TKLOAD" udp "$N" "$BATCHES" | sed 's/.*ns_per_call=//'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

load_core enable=0 || exit 1
load_krp || exit 1
"$TKWRITE" $F "add $FUNCS" >/dev/null || exit 1
sed 's/^/# /' $F
"$TKWRITE" $F "del $FUNCS" >/dev/null
measure >/dev/null	# warm up
dpn=() dkrp=() bare=()
for r in $(seq "$ROUNDS"); do
	b0=$(measure)
	echo 1 >$QX/telemetry/procnet; p=$(measure); echo 0 >$QX/telemetry/procnet
	b1=$(measure)
	"$TKWRITE" $F "add $FUNCS" >/dev/null; k=$(measure); "$TKWRITE" $F "del $FUNCS" >/dev/null
	b2=$(measure)
	dpn+=($((p - (b0 + b1) / 2)))
	dkrp+=($((k - (b1 + b2) / 2)))
	bare+=("$b0" "$b1" "$b2")
	echo "round $r: bare $b0 procnet $p bare $b1 krp $k bare $b2"
done
B=$(echo "${bare[*]}" | median)
P=$(echo "${dpn[*]}" | median)
K=$(echo "${dkrp[*]}" | median)
echo "kernel $(uname -r), $ROUNDS rounds, each figure the least of $BATCHES runs of $N UDP send+recv pairs (ns/pair):"
awk -v b="$B" -v p="$P" -v k="$K" -v f="$FUNCS" 'BEGIN {
	printf "  bare %d; procnet adds %d ns/pair (median), krp on %s adds %d: procnet/krp added-cost ratio %.2f (target <= 1)\n", b, p, f, k, p / k }'
rmmod krp
rmmod tkcore
