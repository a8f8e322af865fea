#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug under the stack: CPU 1 goes offline with records of its own
# unread in /dev/qeexo_events (they are delivered, the reader then sleeps
# and dies of SIGTERM, poll stops reporting them), with krp, irqstat and
# procnet counts of its own (they stay in the totals), and around irqstat's
# reset and load (an offline CPU is reset too and starts from there when it
# comes back).
. "$(dirname "$0")/lib.sh"
unload_all
EV=$QX/events
DEV=/dev/qeexo_events
CTL=$QX/tksample/control
P=$QX/profiler
IQ=$QX/irqstat
KM=/proc/kmonpro
CPU1=/sys/devices/system/cpu/cpu1/online
T=/tmp/t-hotplug
rm -rf $T; mkdir -p $T

cpu1() { echo "$1" >$CPU1; }
# State letter and utime+stime (ticks) of process $1.
pstate() { awk '{ sub(/^.*\) /, ""); print $1, $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }
# irqstat's CPU 1 count of line 4, and of the TIMER softirq.
irq4_cpu1() { field "$(grep '^irq=4 ' $IQ/irqs)" cpu1; }
timer_cpu1() { field "$(grep '^vec=1 ' $IQ/softirqs)" cpu1; }
# How many cpu1 counts and times of irqstat FILE are not 0.
cpu1_nonzero() {
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cpu1(_ns|_max_ns)?=/ && $i !~ /=0$/) n++ } END { print n + 0 }' "$1"
}
# /proc/softirqs count of VEC on CPU 1.
proc_soft1() { awk -v v="$1:" '$1 == v { print $3 }' /proc/softirqs; }
# /proc/interrupts count of line 4 on CPU 1 (while CPU 1 is online).
proc_irq4_cpu1() { awk '$1 == "4:" { print $3 }' /proc/interrupts; }

trap 'echo 1 >$CPU1 2>/dev/null' EXIT
if [ ! -w $CPU1 ]; then
	ok 1 "CPU 1 can go offline (this test needs 2 CPUs and CPU hotplug)"
	done_testing
	exit 0
fi
check "load tkcore" -- load_core enable=0
check "load tksample" -- load_tksample

# ---- the events reader and an offline CPU's records ----
diag "at ${SECONDS}s: events"
cat $DEV >$T/ev &
rd=$!
wait_for '[ "$(cat $EV/readers)" = 1 ]' 20
kill -STOP $rd
check "emit 5 on CPU 1 while the reader is stopped" -- \
	taskset -c 1 "$TKWRITE" $CTL "emit 5 hp_offline"
check "CPU 1 goes offline with those records unread" -- cpu1 0
kill -CONT $rd
wait_for '[ "$(grep -c "\"event\":\"hp_offline\"" $T/ev)" = 5 ]' 10
is "$(grep -c '"event":"hp_offline"' $T/ev) $(grep '"event":"hp_offline"' $T/ev | grep -vc '"cpu":1,')" "5 0" \
	"the reader gets the 5 records of the offline CPU, each with cpu 1"
is "$(grep -c '"type":"dropped"' $T/ev)" 0 "and no dropped line"
s0=$(pstate $rd)
sleep 1
s1=$(pstate $rd)
check "then the reader sleeps: state S, no CPU time in a second ($s0 -> $s1)" -- \
	test "${s1%% *}" = S -a "$(( ${s1##* } - ${s0##* } ))" -le 2
kill -TERM $rd
check "SIGTERM ends the reader" -- wait_for "! kill -0 $rd 2>/dev/null" 5
if kill -0 $rd 2>/dev/null; then
	# It spins in read(): CPU 1's return lets it deliver and die.
	cpu1 1
	kill -9 $rd 2>/dev/null
fi
wait $rd 2>/dev/null
# poll: readable while an offline CPU's records wait, not once they are read.
cpu1 1
out=$(python3 - "$CTL" <<'EOF'
import os, select, subprocess, sys, time
fd = os.open("/dev/qeexo_events", os.O_RDONLY | os.O_NONBLOCK)
subprocess.run(["taskset", "-c", "1", "sh", "-c", f"echo 'emit 3 hp_poll' > {sys.argv[1]}"], check=True)
open("/sys/devices/system/cpu/cpu1/online", "w").write("0")
p = select.poll()
p.register(fd, select.POLLIN)
first = bool(p.poll(2000))
data = b""
try:
    while True:
        data += os.read(fd, 65536)
except BlockingIOError:
    pass
t0 = time.monotonic()
again = bool(p.poll(500))
print(f"{int(first)} {data.count(b'hp_poll')} {int(again)}")
EOF
)
is "$out" "1 3 0" "poll: readable with an offline CPU's 3 records waiting, not once they are read"
cpu1 1

# ---- counts of a CPU that goes offline ----
diag "at ${SECONDS}s: krp, irqstat and procnet across offline and online"
check "load krp funcs=sys_getpid" -- load_krp funcs=sys_getpid
check "load irqstat" -- load_irqstat
krp_count() { sed -n 's/^sys_getpid:[0-9]*:\([0-9]*\)$/\1/p' $P/stats; }
k0=$(krp_count)
taskset -c 1 "$TKLOAD" getpid 3000 >/dev/null
k1=$(krp_count)
check "krp counted 3000 getpid on CPU 1 ($k0 -> $k1)" -- test $((k1 - k0)) -ge 3000 -a $((k1 - k0)) -le 3010
# The serial line's interrupts on CPU 1.
aff=$(cat /proc/irq/4/smp_affinity_list)
echo 1 >/proc/irq/4/smp_affinity_list
for try in $(seq 20); do
	serial_traffic 300
	[ "$(irq4_cpu1)" -ge 20 ] 2>/dev/null && break
done
i1=$(irq4_cpu1)
check "irqstat counted line 4 on CPU 1 ($i1 after $try bursts)" -- test "${i1:-0}" -ge 20
# procnet: datagrams sent from CPU 1 by a process that stays alive (nettop
# lists live processes; an exited one's bytes move to nettotal's exited part).
echo 1 >$QX/telemetry/procnet
ip link set lo up 2>/dev/null
N=200000
taskset -c 1 "$TKLOAD" udpsend 5557 $N 1000 $T/sent &
send=$!
wait_for "[ -e $T/sent ]" 30
nettx() { awk -v p="pid=$send" '$1 == "nettop" && $2 == p { sub(/^tx_bytes=/, "", $3); print $3 }' $KM; }
n1=$(nettx)
is "$n1" $N "procnet: the sender on CPU 1 sent $N bytes"
# Line 4 back to CPU 0 first, so that CPU 1's count of it stops moving.
echo 0 >/proc/irq/4/smp_affinity_list
serial_traffic 100
sleep 0.2
i1=$(irq4_cpu1)
k1=$(krp_count)
check "CPU 1 goes offline" -- cpu1 0
k=$(krp_count)
check "krp: CPU 1's calls stay in the count while it is offline ($k1 -> $k)" -- test $((k - k1)) -ge 0 -a $((k - k1)) -le 10
is "$(irq4_cpu1)" "$i1" "irqstat: CPU 1's line 4 count ($i1) stays while it is offline"
is "$(nettx)" $N "procnet: CPU 1's bytes stay in the sender's total while it is offline"
kill $send
wait $send 2>/dev/null
"$TKLOAD" getpid 1000 >/dev/null
k2=$(krp_count)
check "krp: 1000 more on CPU 0 add up ($k1 -> $k2)" -- test $((k2 - k1)) -ge 1000 -a $((k2 - k1)) -le 1010
check "CPU 1 comes back" -- cpu1 1
taskset -c 1 "$TKLOAD" getpid 500 >/dev/null
k3=$(krp_count)
check "krp: 500 more on CPU 1 after it came back ($k2 -> $k3)" -- test $((k3 - k2)) -ge 500 -a $((k3 - k2)) -le 510

# ---- irqstat reset with CPU 1 offline ----
diag "at ${SECONDS}s: irqstat reset with CPU 1 offline"
check "CPU 1 goes offline again" -- cpu1 0
s_timer=$(proc_soft1 TIMER)
check "reset while CPU 1 is offline" -- "$TKWRITE" $IQ/reset 1
is "$(cpu1_nonzero $IQ/irqs)" 0 \
	"irqs: every line's cpu1 count and times are 0 after the reset"
is "$(cpu1_nonzero $IQ/softirqs)" 0 \
	"softirqs: every cpu1 count is 0 after the reset"
check "CPU 1 comes back" -- cpu1 1
# CPU 1 took no interrupt while offline: its count now is its count at the reset.
p0=$(proc_irq4_cpu1)
echo 1 >/proc/irq/4/smp_affinity_list
for try in $(seq 5); do serial_traffic 300; done
sleep 0.2
i2=$(irq4_cpu1)
p1=$(proc_irq4_cpu1)
check "irqstat: CPU 1's line 4 count after it came back (${i2:-none}) is what /proc/interrupts counted there since ($((p1 - p0)), +1)" -- \
	test "${i2:-0}" -ge 1 -a "${i2:-0}" -le $((p1 - p0 + 1))
a=$(proc_soft1 TIMER)
st=$(timer_cpu1)
b=$(proc_soft1 TIMER)
check "softirqs: CPU 1's TIMER count ($st) is /proc/softirqs' since the reset ($((a - s_timer))..$((b - s_timer)))" -- \
	test "${st:-x}" -ge $((a - s_timer)) -a "${st:-x}" -le $((b - s_timer))
echo "$aff" >/proc/irq/4/smp_affinity_list

# ---- irqstat loaded while CPU 1 is offline ----
diag "at ${SECONDS}s: irqstat loaded with CPU 1 offline"
rmmod irqstat
check "CPU 1 goes offline" -- cpu1 0
s_timer=$(proc_soft1 TIMER)
check "load irqstat with CPU 1 offline" -- load_irqstat
is "$(cpu1_nonzero $IQ/softirqs)" 0 \
	"softirqs: CPU 1 starts from 0"
check "CPU 1 comes back" -- cpu1 1
sleep 0.5
a=$(proc_soft1 TIMER)
st=$(timer_cpu1)
b=$(proc_soft1 TIMER)
check "softirqs: CPU 1's TIMER count ($st) is /proc/softirqs' since the load ($((a - s_timer))..$((b - s_timer)))" -- \
	test "${st:-x}" -ge $((a - s_timer)) -a "${st:-x}" -le $((b - s_timer))

echo 0 >$QX/telemetry/procnet
unload_all
is "$(cat $CPU1)" 1 "CPU 1 is online at the end"
done_testing
